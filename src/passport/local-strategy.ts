/**
 * `createLocalStrategy(options)`: passport-local around the app's password check. Credentials come from the body
 * only (never the query string), within the caps; every failure has one generic message; attempts are limited first. @module
 */
import type { Request } from 'express';
import { Strategy as PassportLocalStrategy } from 'passport-local';
import { invalidArgument } from '../errors.js';
import { ATTEMPT_GUARD_OPTIONS, attemptGuardContext } from '../confirm/attempt-guard.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, readSchema, schemaReader, type SettingsOf } from '../internal/option-schema.js';
import { requirePassport, requireServerSession } from '../session/require-session.js';
import { guardedVerify, type RunVerify } from './guarded-verify.js';

export type VerifyDone<U> = (err: unknown, user?: U | false | null, info?: { message?: string }) => void;

export type VerifyResult<U> = U | false | null | undefined;

/** The app's check: `(username, password) => user | false` (or a promise), or with `done` as in passport-local. */
export type Verify<U> = (
  username: string,
  password: string,
  done: VerifyDone<U>,
  // biome-ignore lint/suspicious/noConfusingVoidType: the callback form returns nothing; `void` (not `undefined`) lets a function typed `=> void` be passed.
) => Promise<VerifyResult<U>> | VerifyResult<U> | void;

/** As {@link Verify}, with the request first (`passReqToCallback: true`). */
export type VerifyWithRequest<U> = (
  req: Request,
  username: string,
  password: string,
  done: VerifyDone<U>,
  // biome-ignore lint/suspicious/noConfusingVoidType: the callback form returns nothing; `void` (not `undefined`) lets a function typed `=> void` be passed.
) => Promise<VerifyResult<U>> | VerifyResult<U> | void;

type AnyVerify = (...args: unknown[]) => unknown;

export const DEFAULT_FAILURE_MESSAGE = 'Invalid username or password.';

/** The options of {@link createLocalStrategy}; under `bindIdRouter` the router's attempt limits and store apply. */
export const LOCAL_STRATEGY_OPTIONS = {
  /** The app's existing check; the number of parameters it declares tells the promise form from the `done` form. */
  verify: option.requiredCustom<never, AnyVerify>((o, key) => {
    const verify = o.fn<AnyVerify>(key);
    if (!verify) throw o.error(key, 'is required: your existing check, (username, password) => user or false');
    return verify;
  }),
  /** Give `verify` the request first. Default `false`. */
  passReqToCallback: option.boolean(false),
  /** Strategy name for `passport.use()`/`passport.authenticate()`. Default `bindid-local`. */
  name: option.string('bindid-local'),
  /** Body field of the username (the router's confirm page posts under it). Default `username`. */
  usernameField: option.custom<string, string>("`'username'`", (o, key) => fieldName(o, key, 'username')),
  /** Body field of the password. Default `password`. */
  passwordField: option.custom<string, string>("`'password'`", (o, key) => fieldName(o, key, 'password')),
  /** Longest username accepted, in characters. Default 256. */
  maxUsernameLength: option.integer(256, 1, 65_536),
  /** Longest password accepted, in characters (bounds hashing cost). Default 1024. */
  maxPasswordLength: option.integer(1024, 1, 65_536),
  /** The one failure message for every failed check. Default `Invalid username or password.` */
  message: option.string(DEFAULT_FAILURE_MESSAGE),
  ...ATTEMPT_GUARD_OPTIONS,
};

/** Options of {@link createLocalStrategy}: `verify` takes `req` first with `passReqToCallback: true`. */
export type LocalStrategyOptions<U = Express.User> = Omit<OptionsOf<typeof LOCAL_STRATEGY_OPTIONS>, 'verify' | 'passReqToCallback'> &
  ({ verify: Verify<U>; passReqToCallback?: false } | { verify: VerifyWithRequest<U>; passReqToCallback: true });

type LocalSettings = Omit<SettingsOf<typeof LOCAL_STRATEGY_OPTIONS>, 'verify' | 'passReqToCallback' | keyof typeof ATTEMPT_GUARD_OPTIONS>;

/** The passport-local Strategy {@link createLocalStrategy} returns. */
export class BindIdLocalStrategy extends PassportLocalStrategy {
  readonly message: string;
  /** The body fields a confirm form posts the credentials under. */
  readonly fields: { readonly username: string; readonly password: string };
  // Plain (not #private) fields: passport calls authenticate() on Object.create(strategy).
  private readonly maxLength: { username: number; password: number };

  /** @internal use {@link createLocalStrategy}. */
  constructor(settings: LocalSettings, verify: (req: Request, username: string, password: string, done: VerifyDone<unknown>) => void) {
    const { usernameField, passwordField } = settings;
    super({ usernameField, passwordField, passReqToCallback: true }, verify as never);
    this.name = settings.name;
    this.message = settings.message;
    this.fields = Object.freeze({ username: usernameField, password: passwordField });
    this.maxLength = { username: settings.maxUsernameLength, password: settings.maxPasswordLength };
  }

  override authenticate(req: Request, options?: object): void {
    const context = attemptGuardContext(req);
    if (context) context.guarded = true;
    try {
      // The router checked both for this request before it handed over the pending login.
      if (!context?.pending) {
        requireServerSession(req);
        requirePassport(req);
      }
    } catch (err) {
      this.error(err as Error);
      return;
    }
    const { fields, maxLength } = this;
    if (!bodyString(req, fields.username, maxLength.username) || !bodyString(req, fields.password, maxLength.password)) {
      this.fail({ message: this.message }, 401);
      return;
    }
    super.authenticate(req, { ...(options ?? {}), badRequestMessage: this.message });
  }
}

/**
 * The passport-local Strategy of the BindID confirm step: run it with `passport.authenticate(strategy.name, { session: false })`.
 *
 * @example
 * ```ts
 * passport.use(createLocalStrategy({ verify: async (username, password) => (await users.checkPassword(username, password)) ?? false }));
 * ```
 */
export function createLocalStrategy<U = Express.User>(options: LocalStrategyOptions<U>): BindIdLocalStrategy {
  const o = schemaReader('createLocalStrategy', options, LOCAL_STRATEGY_OPTIONS);
  const { verify, passReqToCallback, store, maxAttempts, attemptLimits, ...settings } = readSchema(o, LOCAL_STRATEGY_OPTIONS);
  const guard = { store, now: Date.now, maxAttempts, limits: attemptLimits };
  return new BindIdLocalStrategy(settings, guardedVerify(guard, settings.message, appVerify(verify, passReqToCallback)));
}

/** The app's `verify`, in either form, as a {@link RunVerify}. */
function appVerify(verify: AnyVerify, withRequest: boolean): RunVerify {
  const callbackForm = verify.length >= (withRequest ? 4 : 3);
  return (req, username, password, done) => {
    let finished = false;
    const finish = (err: unknown, user?: unknown) => {
      if (finished) return;
      finished = true;
      done(err ? err : null, err ? undefined : user);
    };
    const args: unknown[] = withRequest ? [req, username, password] : [username, password];
    // The callback form answers through `done`; a promise it returns counts only when it rejects.
    const settle = (user: unknown) => {
      if (!callbackForm) finish(null, user);
    };
    try {
      const returned = callbackForm ? verify(...args, finish) : verify(...args);
      if (isThenable(returned)) returned.then(settle, (err: unknown) => finish(asError(err)));
      else settle(returned);
    } catch (err) {
      finish(asError(err));
    }
  };
}

/** A body field name option: a plain name, so that it can go into the confirm page's HTML as it is. */
function fieldName(o: OptionReader, key: string, fallback: string): string {
  const value = o.string(key, fallback);
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(value)) throw o.error(key, 'must be a plain field name such as "username"');
  return value;
}

/** Whether the body's own (never inherited) field `name` is a string of 1 to `max` characters. */
function bodyString(req: Request, name: string, max: number): boolean {
  const body: unknown = req.body;
  if (body === null || typeof body !== 'object' || !Object.hasOwn(body, name)) return false;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : invalidArgument('verify failed with a non-Error value');
}
