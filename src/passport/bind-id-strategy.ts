/**
 * `BindIdStrategy`: BindID sign-in as a Passport strategy, for apps that write their own routes with
 * `passport.authenticate('bindid')` instead of mounting `bindIdRouter`. It is an adapter over the same
 * sign-in flow as the router (`src/flow/sign-in-flow.ts`), which maps each outcome to passport's
 * actions:
 *
 * - the login route (a request without `code`, `error` or `state` in its query): the flow keeps the
 *   transaction in its sealed cookie, `redirect` (303) to BindID;
 * - `passport.authenticate('bindid', { unlink: true })` on the app's unlink POST (after its CSRF and
 *   same-origin check): the signed-in user unlinks BindID after a fresh BindID sign-in;
 * - the callback: a returning (or self-healed) user is `success(user, { returnTo })` (passport's
 *   `req.login` then gives the session a new id); a new BindID user is `redirect` to the confirm page
 *   (or `fail` with `{ bindidPending: true }`), where `createLocalStrategy` +
 *   `sendAuthenticationPerformed` finish; an unlink is `redirect` to its `returnTo`;
 * - every failure is a coded `BindIdError` (the router's codes), given to passport's `error()` once.
 *
 * @module
 */
import type { Request } from 'express';
import type {} from 'express-session';
import passportDefault, { type AuthenticateOptions, type Strategy as PassportStrategy, type StrategyCreatedStatic } from 'passport';
import { BindIdError } from '../errors.js';
import { type SignInOutcome, SignInFlow } from '../flow/sign-in-flow.js';
import { signedInUser } from '../flow/unlink.js';
import { logger, printable } from '../internal/log.js';
import { type BindIdStrategyOptions, readBindIdStrategyOptions, type StrategyConfig } from './bind-id-strategy-options.js';

export type { BindIdStrategyOptions } from './bind-id-strategy-options.js';

declare module 'passport' {
  interface AuthenticateOptions {
    /**
     * `BindIdStrategy` only: start unlinking BindID from the signed-in user (a fresh BindID sign-in
     * whose callback, on the strategy's callback route, reports `alias_deleted`). Mount it on a POST
     * route after the form's CSRF and same-origin check.
     */
    unlink?: boolean;
  }
}

const log = logger('login');

/**
 * The `info` of the strategy's outcomes: on success (`req.authInfo`), where to go now; on
 * `pending: 'fail'`, `bindidPending: true` and the `returnTo` kept for after the confirmation.
 */
export interface BindIdAuthInfo {
  /** A same-origin path: the login's allow-listed `?returnTo=`, or `defaultReturnTo`. */
  returnTo: string;
  /** Set when a new BindID user must confirm first (with `pending: 'fail'`). */
  bindidPending?: true;
  message?: string;
}

/** What passport adds to the strategy for one request. */
interface Actions {
  success(user: Express.User, info?: object): void;
  fail(challenge?: object, status?: number): void;
  redirect(url: string, status?: number): void;
  error(err: unknown): void;
}
type Outcome = (actions: Actions) => void;

interface StrategyContext<U> {
  config: StrategyConfig<U>;
  flow: SignInFlow<U>;
}

/**
 * The settings of each strategy, out of its properties: passport runs `authenticate` on
 * `Object.create(strategy)`, and nothing here should show up when an app logs its strategies.
 */
const contexts = new WeakMap<object, StrategyContext<unknown>>();

/**
 * passport's base `Strategy` class (`passport-strategy`, re-exported by passport, a peer dependency),
 * typed here so the declarations need no default import of passport.
 */
const StrategyBase: new () => PassportStrategy & StrategyCreatedStatic = passportDefault.Strategy;

/**
 * A Passport strategy for BindID login. Register it and use it on two routes:
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
  /** The name for `passport.authenticate()`: `bindid` unless the `name` option says otherwise. */
  override name: string;

  /** Options are validated here, once; discovery happens at the first sign-in (retried after a failure). */
  constructor(options: BindIdStrategyOptions<U>) {
    super();
    const config = readBindIdStrategyOptions(options);
    this.name = config.name;
    contexts.set(this, { config, flow: new SignInFlow(config.flow) } as StrategyContext<unknown>);
  }

  /**
   * Called by `passport.authenticate()`: starts a sign-in, an unlink (`{ unlink: true }`), or
   * completes either on the callback.
   */
  override authenticate(req: Request, options?: AuthenticateOptions): void {
    const actions = this as unknown as Actions;
    const ctx = contextOf(this);
    noStore(req);
    step(ctx, req, options?.unlink === true)
      .then(
        (outcome) => {
          try {
            outcome(actions);
          } catch (err) {
            // The app's own code threw inside the outcome (a custom `authenticate` callback runs
            // synchronously in it): hand it on as Express would a throwing handler, unless a response started.
            if (req.res?.headersSent) log('error after the response started; not forwarded');
            else actions.error(err);
          }
        },
        (err: unknown) => {
          if (err instanceof BindIdError) log('%s %s failed: %s', req.method, printable(req.path), err.code);
          actions.error(err);
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

/** This request's step of the flow, as one of passport's actions. */
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

/** The flow's outcome as passport's action. */
function outcomeOf<U>(config: StrategyConfig<U>, outcome: SignInOutcome<U>): Outcome {
  const { returnTo } = outcome;
  switch (outcome.kind) {
    case 'signed-in': {
      // passport's req.login (0.6+) gives the session a new id before it stores the user.
      const info: BindIdAuthInfo = { returnTo };
      return (a) => a.success(outcome.user as Express.User, info);
    }
    case 'pending': {
      if (config.pending === 'fail') {
        const info: BindIdAuthInfo = { bindidPending: true, returnTo, message: 'Confirm this BindID sign-in with your password.' };
        return (a) => a.fail(info);
      }
      return (a) => a.redirect(config.confirmPath, 303);
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

/** A field of the parsed body (the unlink form), else of the query. */
function bodyOrQuery(req: Request, name: string): unknown {
  const body: unknown = req.body;
  if (body !== null && typeof body === 'object' && Object.hasOwn(body, name)) return (body as Record<string, unknown>)[name];
  return req.query?.[name];
}

/** Never cache a response of either route (nor an error page answered for it). */
function noStore(req: Request): void {
  req.res?.set('Cache-Control', 'no-store');
  req.res?.set('Pragma', 'no-cache');
}
