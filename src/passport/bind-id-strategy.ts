/** `BindIdStrategy`: the sign-in flow's outcomes mapped to passport's actions; every failure a coded `BindIdError`, given to `error()` once. @module */
import type { Request } from 'express';
import passportDefault, { type AuthenticateOptions, type Strategy as PassportStrategy, type StrategyCreatedStatic } from 'passport';
import { BindIdError } from '../errors.js';
import { type SignInOutcome, SignInFlow } from '../flow/sign-in-flow.js';
import { signedInUser } from '../flow/unlink.js';
import { logger, printable } from '../internal/log.js';
import { type BindIdStrategyOptions, readBindIdStrategyOptions, type StrategyConfig } from './bind-id-strategy-options.js';

export type { BindIdStrategyOptions } from './bind-id-strategy-options.js';

declare module 'passport' {
  interface AuthenticateOptions {
    /** `BindIdStrategy` only: unlink BindID from the signed-in user. Mount it on a POST route after a CSRF and same-origin check. */
    unlink?: boolean;
  }
}

const log = logger('login');

/** The `info` of the strategy's outcomes (`req.authInfo` on success). */
export interface BindIdAuthInfo {
  /** A same-origin path: the login's allow-listed `?returnTo=`, or `defaultReturnTo`. */
  returnTo: string;
  /** A new BindID user must confirm first (with `pending: 'fail'`). */
  bindidPending?: true;
  message?: string;
}

type Outcome = (actions: StrategyCreatedStatic) => void;

interface StrategyContext<U> {
  config: StrategyConfig<U>;
  flow: SignInFlow<U>;
}

/** Out of the strategy's properties, so that logging a strategy shows no secret (passport authenticates on `Object.create(strategy)`). */
const contexts = new WeakMap<object, StrategyContext<unknown>>();

/** Typed here so that the declarations need no default import of passport. */
const StrategyBase: new () => PassportStrategy & StrategyCreatedStatic = passportDefault.Strategy;

/**
 * A Passport strategy for BindID login, for apps that write their own routes instead of mounting `bindIdRouter`. A new BindID user is
 * sent to the confirm page (`createLocalStrategy` + `sendAuthenticationPerformed`); `{ unlink: true }` on a POST unlinks the signed-in user.
 *
 * @example
 * ```ts
 * passport.use(new BindIdStrategy<User>({ issuer, apiUrl, clientId, clientSecret, baseUrl, findUserByAlias }));
 * app.get('/login/bindid', passport.authenticate('bindid'));
 * app.get('/bindid/callback', passport.authenticate('bindid', { failureRedirect: '/login' }),
 *   (req, res) => res.redirect(303, (req.authInfo as BindIdAuthInfo).returnTo));
 * ```
 */
export class BindIdStrategy<U = Express.User> extends StrategyBase {
  override name: string;

  /** Discovery happens at the first sign-in (retried after a failure). */
  constructor(options: BindIdStrategyOptions<U>) {
    super();
    const config = readBindIdStrategyOptions(options);
    this.name = config.name;
    contexts.set(this, { config, flow: new SignInFlow(config.flow) } as StrategyContext<unknown>);
  }

  override authenticate(req: Request, options?: AuthenticateOptions): void {
    // Never cache a response of either route (nor an error page answered for it).
    req.res?.set('Cache-Control', 'no-store');
    req.res?.set('Pragma', 'no-cache');
    step(contextOf(this), req, options?.unlink === true)
      .then(
        (outcome) => {
          try {
            outcome(this);
          } catch (err) {
            // The app's `authenticate` callback runs inside the outcome: its error goes on as a throwing handler's, unless a response started.
            if (req.res?.headersSent) log('error after the response started; not forwarded');
            else this.error(err);
          }
        },
        (err: unknown) => {
          if (err instanceof BindIdError) log('%s %s failed: %s', req.method, printable(req.path), err.code);
          this.error(err);
        },
      )
      // Only when passport's error() itself threw (the app's callback, given the error): never a second outcome.
      .catch((err: unknown) => log('the error handler threw: %s', err instanceof Error ? err.name : typeof err));
  }
}

function contextOf(strategy: object): StrategyContext<unknown> {
  for (let o: object | null = strategy; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const ctx = contexts.get(o);
    if (ctx) return ctx;
  }
  throw new TypeError('BindIdStrategy#authenticate called on an object that is not a BindIdStrategy');
}

async function step<U>(ctx: StrategyContext<U>, req: Request, unlink: boolean): Promise<Outcome> {
  if (unlink) {
    const url = await ctx.flow.startUnlink(req, signedInUser<U>(req), bodyOrQuery(req, 'returnTo'));
    return (a) => a.redirect(url, 303);
  }
  if (!isCallback(req)) {
    const url = await ctx.flow.start(req, req.query?.returnTo);
    return (a) => a.redirect(url, 303);
  }
  return outcomeOf(ctx.config, await ctx.flow.complete(req));
}

function outcomeOf<U>(config: StrategyConfig<U>, outcome: SignInOutcome<U>): Outcome {
  const { returnTo } = outcome;
  switch (outcome.kind) {
    case 'signed-in':
      // passport's req.login (0.6+) gives the session a new id before it stores the user.
      return (a) => a.success(outcome.user as Express.User, { returnTo } satisfies BindIdAuthInfo);
    case 'pending': {
      if (config.pending === 'redirect') return (a) => a.redirect(config.confirmPath, 303);
      const info: BindIdAuthInfo = { bindidPending: true, returnTo, message: 'Confirm this BindID sign-in with your password.' };
      return (a) => a.fail(info);
    }
    case 'unlinked':
      return (a) => a.redirect(returnTo, 303);
  }
}

/** BindID's answer carries `code` or `error` (and `state`); a login start carries none of them. */
function isCallback(req: Request): boolean {
  const query = req.query ?? {};
  return query.code !== undefined || query.error !== undefined || query.state !== undefined;
}

function bodyOrQuery(req: Request, name: string): unknown {
  const body: unknown = req.body;
  if (body !== null && typeof body === 'object' && Object.hasOwn(body, name)) return (body as Record<string, unknown>)[name];
  return req.query?.[name];
}
