/**
 * `BindIdStrategy`: BindID sign-in as a Passport strategy, for apps that write their own routes with
 * `passport.authenticate('bindid')` instead of mounting `bindIdRouter`.
 *
 * - On the login route (a request without `code`, `error` or `state` in its query) it keeps `state`,
 *   `nonce`, the PKCE S256 verifier and an allow-listed `returnTo` in the server-side session and
 *   redirects (303) to BindID.
 * - On the callback it consumes the `state` atomically in the shared store (single use, across
 *   instances), exchanges the code and validates the ID token (openid-client: `state`, `nonce`, PKCE,
 *   RS256 signature, `iss`, `aud`, `exp`). A returning user (ID token with `bindid_alias`) is looked
 *   up with `findUserByAlias` and passed to `success(user, { returnTo })`; passport's `req.login`
 *   then gives the session a new id. A new user gets a new session id with the pending login in it,
 *   and is redirected to the confirm page (or the authentication fails with `{ bindidPending: true }`),
 *   where `createLocalStrategy` + `sendAuthenticationPerformed` finish.
 * - Every failure is a coded `BindIdError` (the router's codes), given to passport's `error()` once.
 *
 * @module
 */
import type { Request } from 'express';
import type {} from 'express-session';
import passportDefault, { type Strategy as PassportStrategy, type StrategyCreatedStatic } from 'passport';
import { BindIdError, BindIdStateError, ErrorCode } from '../errors.js';
import { assertAlias } from '../feedback/assert-alias.js';
import { logger, printable } from '../internal/log.js';
import { BindIdOidcClient, type CallbackResult } from '../oidc/bindid-oidc-client.js';
import { consumeState } from '../oidc/consume-state.js';
import { storePendingLogin } from '../session/pending-login.js';
import { regenerateSession, saveSession } from '../session/regenerate-session.js';
import { requireAuthTransaction, requirePassport, requireServerSession } from '../session/require-session.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import { type BindIdStrategyOptions, readBindIdStrategyOptions, type StrategyConfig } from './bind-id-strategy-options.js';

export type { BindIdStrategyOptions, StrategyAliasLookup } from './bind-id-strategy-options.js';

const log = logger('login');

/** The value of `CONFIRM_AGAIN` (the router's export): a registered symbol, so both agree. */
const CONFIRM_AGAIN = Symbol.for('express-bindid.confirm-again');

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
  oidc: BindIdOidcClient;
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
 * passport.use(new BindIdStrategy<User>({ issuer, clientId, clientSecret, baseUrl, findUserByAlias }));
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
    const oidc = new BindIdOidcClient({
      issuer: config.issuer,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      redirectUri: config.callbackURL,
      scope: config.scope,
      timeoutMs: config.httpTimeoutMs,
    });
    contexts.set(this, { config, oidc } as StrategyContext<unknown>);
  }

  /** Called by `passport.authenticate()`: starts a sign-in, or completes one on the callback. */
  override authenticate(req: Request, _options?: unknown): void {
    const actions = this as unknown as Actions;
    const ctx = contextOf(this);
    noStore(req);
    const query = queryOf(req);
    const step = isCallback(query) ? callback(ctx, req, query) : login(ctx, req);
    step
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

/** Start a sign-in: the transaction into the session, then a 303 to BindID. */
async function login<U>(ctx: StrategyContext<U>, req: Request): Promise<Outcome> {
  const session = requireServerSession(req);
  requirePassport(req);
  const { config } = ctx;
  const returnTo = sanitizeReturnTo(req.query?.returnTo, config.baseUrl, config.defaultReturnTo);
  const { url, transaction } = await ctx.oidc.authorizationRequest(returnTo, config.now());
  session.bindid = { ...(session.bindid ?? {}), auth: transaction };
  await saveSession(req);
  return (a) => a.redirect(url, 303);
}

/** Complete a sign-in: single-use state, code exchange, then the returning or the new user. */
async function callback<U>(ctx: StrategyContext<U>, req: Request, query: string): Promise<Outcome> {
  const transaction = requireAuthTransaction(req);
  await consumeState(ctx.config.store, transaction.state);
  delete req.session.bindid?.auth;
  const result = await ctx.oidc.callback(query, transaction);
  const { returnTo } = transaction;
  const alias = result.claims.bindid_alias;
  if (alias === undefined || alias === null) return keepPendingLogin(ctx, req, result, returnTo, false);
  try {
    assertAlias(alias);
  } catch {
    throw new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'BindID returned an alias this app cannot use.', { status: 400 });
  }
  const user = await ctx.config.findUserByAlias(alias, result.claims, req);
  if (user === CONFIRM_AGAIN) {
    log('link of alias %s revoked by the app: confirming again', printable(alias));
    return keepPendingLogin(ctx, req, result, returnTo, true);
  }
  if (!user || typeof user === 'symbol') {
    log('alias %s maps to no user: sign-in refused', printable(alias));
    throw new BindIdStateError(ErrorCode.UNKNOWN_ALIAS, 'This BindID account is not linked to an active account here.', {
      status: 403,
    });
  }
  requirePassport(req);
  // passport's req.login (0.6+) gives the session a new id before it stores the user.
  const info: BindIdAuthInfo = { returnTo };
  return (a) => a.success(user as Express.User, info);
}

/** A new session id holding only the pending login and `returnTo`; then the confirm page, or `fail`. */
async function keepPendingLogin<U>(
  ctx: StrategyContext<U>,
  req: Request,
  result: CallbackResult,
  returnTo: string,
  relink: boolean,
): Promise<Outcome> {
  await regenerateSession(req, { returnTo });
  storePendingLogin(
    req,
    { accessToken: result.accessToken, expiresIn: result.expiresIn, claims: result.claims },
    { ttlSeconds: ctx.config.pendingTtlSeconds, now: ctx.config.now, ...(relink ? { relink: true } : {}) },
  );
  await saveSession(req);
  if (ctx.config.pending === 'fail') {
    const info: BindIdAuthInfo = { bindidPending: true, returnTo, message: 'Confirm this BindID sign-in with your password.' };
    return (a) => a.fail(info);
  }
  const confirmPath = ctx.config.confirmPath;
  return (a) => a.redirect(confirmPath, 303);
}

/** The raw query string of the request, without `?`. */
function queryOf(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '';
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at + 1);
}

/** BindID's answer carries `code` or `error` (and `state`); a login start carries none of them. */
function isCallback(query: string): boolean {
  const params = new URLSearchParams(query);
  return params.has('code') || params.has('error') || params.has('state');
}

/** Never cache a response of either route (nor an error page answered for it). */
function noStore(req: Request): void {
  req.res?.set('Cache-Control', 'no-store');
  req.res?.set('Pragma', 'no-cache');
}
