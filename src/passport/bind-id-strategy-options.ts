/**
 * The options of {@link BindIdStrategy}: their types, and `readBindIdStrategyOptions`, which checks
 * them once, when the strategy is built.
 *
 * @module
 */
import type { Request } from 'express';
import { readStore } from '../confirm/confirm-options.js';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { type BindIdClaims, DEFAULT_PENDING_TTL_SECONDS } from '../session/pending-login.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import type { BindIdStore } from '../stores/bindid-store.js';

/**
 * What `findUserByAlias` of the strategy may return: the user; `null`/`undefined`/`false` for none
 * (the sign-in is refused); or `CONFIRM_AGAIN` (exported from the package root) when the app revoked
 * this link, so the user confirms with their password again. Any other symbol counts as no user.
 */
export type StrategyAliasLookup<U> = U | symbol | null | undefined | false;

/**
 * Options of `new BindIdStrategy(options)`. Give the callback URL either whole (`callbackURL`) or as
 * `baseUrl` + `callbackPath`; the origin of either is the app's own, which `returnTo` must stay on.
 */
export interface BindIdStrategyOptions<U = Express.User> {
  /** Strategy name for `passport.use()`/`passport.authenticate()`. Default `bindid`. */
  name?: string;
  /** BindID's issuer (signin host), e.g. `https://signin.bindid-sandbox.io`; for the emulator `emu.issuer`. */
  issuer: string;
  /** The BindID client ID of the app. */
  clientId: string;
  /** The BindID client secret (token endpoint). */
  clientSecret: string;
  /** The redirect URI registered at BindID, e.g. `https://app.example.com/bindid/callback`. Or give `baseUrl`. */
  callbackURL?: string;
  /** The app's public origin, e.g. `https://app.example.com`: the callback URL is `baseUrl + callbackPath`. */
  baseUrl?: string;
  /** Path of the callback route, with `baseUrl`. Default `/bindid/callback`. */
  callbackPath?: string;
  /**
   * Find the app user whose alias BindID returned (a returning BindID user). Return
   * `null`/`undefined`/`false` for none (deleted, disabled): the sign-in is refused
   * (`ERR_BINDID_UNKNOWN_ALIAS`). Return `CONFIRM_AGAIN` when the app revoked this link.
   */
  findUserByAlias: (alias: string, claims: BindIdClaims, req: Request) => StrategyAliasLookup<U> | Promise<StrategyAliasLookup<U>>;
  /**
   * A new BindID user (no alias yet): `redirect` (default) keeps the pending login in the session and
   * redirects to `confirmPath`; `fail` keeps it too and fails the authentication with
   * `{ bindidPending: true }` as info, for apps that route themselves (`failureRedirect`, a custom callback).
   */
  pending?: 'redirect' | 'fail';
  /** Where `pending: 'redirect'` sends a new BindID user: the app's confirm page. Default `/bindid/confirm`. */
  confirmPath?: string;
  /** Where to go after sign-in when the login had no valid `?returnTo=`. Default `/`. */
  defaultReturnTo?: string;
  /**
   * The shared store that makes each sign-in's `state` single-use across requests and instances.
   * Default: a `MemoryBindIdStore` of this process; with several instances give a `RedisBindIdStore`.
   */
  store?: BindIdStore;
  /** OIDC scopes. Default `openid email`. */
  scope?: string;
  /** Time a new user has to confirm, in seconds (never beyond the access token's lifetime). Default 600. */
  pendingTtlSeconds?: number;
  /** Deadline of each OIDC request (discovery, token), in ms. Default 5000. */
  httpTimeoutMs?: number;
  /** Clock in ms since 1970 (tests). Default `Date.now`. */
  now?: () => number;
}

/** @internal The option names (not in the package root). */
export const STRATEGY_OPTION_KEYS: KnownKeys<BindIdStrategyOptions> = {
  name: true,
  issuer: true,
  clientId: true,
  clientSecret: true,
  callbackURL: true,
  baseUrl: true,
  callbackPath: true,
  findUserByAlias: true,
  pending: true,
  confirmPath: true,
  defaultReturnTo: true,
  store: true,
  scope: true,
  pendingTtlSeconds: true,
  httpTimeoutMs: true,
  now: true,
};

/** The strategy's options as read once. @internal */
export interface StrategyConfig<U> {
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The app's base URL (`returnTo` stays on its origin). */
  baseUrl: string;
  callbackURL: string;
  findUserByAlias: BindIdStrategyOptions<U>['findUserByAlias'];
  pending: 'redirect' | 'fail';
  confirmPath: string;
  defaultReturnTo: string;
  store: BindIdStore;
  scope: string;
  pendingTtlSeconds: number;
  httpTimeoutMs: number;
  now: () => number;
}

/** Check every option of `BindIdStrategy` (throws `ERR_BINDID_INVALID_OPTION` naming the first bad one). */
export function readBindIdStrategyOptions<U>(options: BindIdStrategyOptions<U>): StrategyConfig<U> {
  const o = new OptionReader('BindIdStrategy', options, STRATEGY_OPTION_KEYS);
  const name = o.string('name', 'bindid');
  const issuer = o.baseUrl('issuer', 'https://signin.bindid-sandbox.io');
  const clientId = o.requiredString('clientId', 'the client ID from the BindID admin portal');
  const clientSecret = o.requiredString('clientSecret', 'process.env.BINDID_CLIENT_SECRET');
  if (clientSecret.trim() !== clientSecret) throw o.error('clientSecret', 'has leading or trailing whitespace; trim it');
  const { baseUrl, callbackURL } = readCallback(o);
  const findUserByAlias = o.fn<BindIdStrategyOptions<U>['findUserByAlias']>('findUserByAlias');
  if (!findUserByAlias) throw o.error('findUserByAlias', 'is required: (alias) => the user whose alias it is, or null');
  const pending = o.oneOf('pending', ['redirect', 'fail'] as const, 'redirect');
  if (pending === 'fail' && o.has('confirmPath')) {
    throw o.error('confirmPath', "is only used with pending: 'redirect'; with pending: 'fail' the app routes new users itself");
  }
  const confirmPath = appPath(o, 'confirmPath', '/bindid/confirm');
  const defaultReturnTo = o.string('defaultReturnTo', '/');
  if (sanitizeReturnTo(defaultReturnTo, baseUrl, '') !== defaultReturnTo) {
    throw o.error('defaultReturnTo', 'must be a path on this site, such as /account');
  }
  const scope = o.string('scope', 'openid email');
  if (!scope.split(' ').includes('openid')) throw o.error('scope', 'must include openid');
  const now = o.fn<() => number>('now') ?? Date.now;
  return {
    name,
    issuer,
    clientId,
    clientSecret,
    baseUrl,
    callbackURL,
    findUserByAlias,
    pending,
    confirmPath,
    defaultReturnTo,
    store: readStore(o).store,
    scope,
    pendingTtlSeconds: o.integer('pendingTtlSeconds', DEFAULT_PENDING_TTL_SECONDS, 10, 3600),
    httpTimeoutMs: o.integer('httpTimeoutMs', 5000, 500, 60_000),
    now,
  };
}

/** `callbackURL`, or `baseUrl` + `callbackPath`: exactly one of the two forms. */
function readCallback(o: OptionReader): { baseUrl: string; callbackURL: string } {
  if (o.has('callbackURL')) {
    if (o.has('baseUrl') || o.has('callbackPath')) {
      throw o.error('callbackURL', 'cannot be combined with baseUrl/callbackPath: give one or the other');
    }
    const callbackURL = o.baseUrl('callbackURL', 'https://app.example.com/bindid/callback');
    const url = new URL(callbackURL);
    if (url.pathname === '/') throw o.error('callbackURL', 'must include the path of the callback route, such as /bindid/callback');
    return { baseUrl: url.origin, callbackURL };
  }
  if (!o.has('baseUrl')) {
    throw o.error('callbackURL', 'is required (or baseUrl), for example https://app.example.com/bindid/callback');
  }
  const baseUrl = o.baseUrl('baseUrl', 'https://app.example.com');
  return { baseUrl, callbackURL: `${baseUrl}${appPath(o, 'callbackPath', '/bindid/callback')}` };
}

function appPath(o: OptionReader, key: string, fallback: string): string {
  const value = o.string(key, fallback);
  if (!/^\/[A-Za-z0-9\-._~/]*$/.test(value) || value.includes('//')) {
    throw o.error(key, 'must be an absolute path such as /bindid/confirm');
  }
  return value;
}
