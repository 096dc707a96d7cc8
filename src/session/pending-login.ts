/** The pending BindID login (access token and ID-token claims), in the server-side session until confirmed; never sent to the browser. */
// The built .d.ts must load express-session's types itself (for `req.session` and SessionData, augmented
// below): `import type {}` is elided from declarations, a reference with preserve="true" is kept.
/// <reference types="express-session" preserve="true" />
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type {} from 'express-session';
import { BindIdStateError, ErrorCode, invalidArgument } from '../errors.js';
import { aliasClaim, aliasUnusable } from '../feedback/assert-alias.js';
import { assertAccessToken } from '../feedback/signing.js';
import { describeType } from '../internal/describe-type.js';
import { isLoopback } from '../internal/is-loopback.js';
import { assertSameBrowser, bindBrowser, bindsBrowser } from './browser-binding.js';
import { requireServerSession } from './require-session.js';

/** Claims of a verified BindID ID token, as far as this library reads them. */
export interface BindIdClaims {
  sub: string;
  /** Absent until the app reported one. */
  bindid_alias?: string;
  email?: string;
  email_verified?: boolean;
  phone_number?: string;
  acr?: string;
  amr?: string[];
  [claim: string]: unknown;
}

/** A pending BindID login as kept in the session; times in ms since 1970. */
export interface PendingLogin {
  /** Random; its single-use claim is keyed on it. */
  id: string;
  accessToken: string;
  /** At most the access token's expiry. */
  expiresAt: number;
  createdAt: number;
  /** The access token's expiry: a report queued by fail-open is dead-lettered after it. */
  tokenExpiresAt: number;
  claims: BindIdClaims;
  /** A BindID user that already has an alias confirms again (a revoked link). */
  relink?: boolean;
  /** The SHA-256 of the browser's sign-in cookie, which the confirmation requires; absent on plain-http loopback. */
  browser?: string;
}

/** One authorization request in flight, sealed in a cookie until its callback (`oidc/transaction-cookie.ts`). */
export interface AuthTransaction {
  state: string;
  nonce: string;
  /** Absent with `pkce: false`. */
  codeVerifier?: string;
  returnTo: string;
  /** When the sign-in (or unlink) started, in ms: an unlink's `auth_time` may not be earlier. */
  createdAt: number;
  /** `unlink`: a fresh sign-in of the signed-in user, whose ID token must carry `unlinkAlias`. */
  purpose?: 'unlink';
  unlinkAlias?: string;
  browser?: string;
}

/** What this library keeps in `req.session.bindid`. */
export interface BindIdSessionState {
  pending?: PendingLogin;
  /** A same-origin path to return to after sign-in. */
  returnTo?: string;
  csrf?: string;
}

declare module 'express-session' {
  interface SessionData {
    /** express-bindid's state. Server-side only: never put it in a client-side cookie. */
    bindid?: BindIdSessionState;
  }
}

/** Input of {@link storePendingLogin}: from BindID's `/token` response. */
export interface StorePendingLoginInput {
  accessToken: string;
  /** `expires_in`, in seconds (BindID: 3600). */
  expiresIn: number;
  /** The ID token's claims, once verified. Must contain `sub`. */
  claims: BindIdClaims | Record<string, unknown>;
}

/** Options of {@link storePendingLogin}. */
export interface StorePendingLoginOptions {
  /** Longest time the user has to confirm, in seconds. Default 600 (never beyond `expiresIn`). */
  ttlSeconds?: number;
  /** Clock in ms since 1970. Default `Date.now`. */
  now?: () => number;
  /** Confirm again although the ID token has an alias (the app revoked the link). */
  relink?: boolean;
  /** Your app's base URL: the pending login is bound to this browser by a `__Host-` cookie on `req.res` (none on plain-http loopback, `http://localhost:3000`). */
  baseUrl?: string;
}

export const DEFAULT_PENDING_TTL_SECONDS = 600;
const MAX_CLAIMS_BYTES = 16_384;

/**
 * For an own callback, the router's policy: true when the ID token has no `bindid_alias` (absent, `null`, `""`), so the user confirms once with their password.
 * @throws BindIdStateError `ERR_BINDID_ALIAS_UNUSABLE` (403) for a malformed `bindid_alias`: never "fixed" (another app of the same BindID tenant may have set it).
 */
export function isNewBindIdUser(claims: BindIdClaims | Record<string, unknown>): boolean {
  assertClaimsObject(claims);
  const claim = aliasClaim(claims);
  if (claim.kind === 'unusable') throw aliasUnusable();
  return claim.kind === 'none';
}

/**
 * For an own BindID callback: keep a new user's login in the session (bound to this browser) until they confirm; then redirect to your confirm page.
 * @throws BindIdStateError `ERR_BINDID_SESSION_MISSING` without a server-side session.
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` for a bad token, lifetime, claims or `baseUrl`.
 */
export function storePendingLogin(
  req: Request,
  input: StorePendingLoginInput,
  options: StorePendingLoginOptions = {},
): PendingLogin {
  requireServerSession(req);
  const bind = bindsBrowser(readBaseUrl(options.baseUrl));
  const pending = pendingLoginOf(input, options);
  const browser = bindBrowser(req, bind);
  return keepPendingLogin(req, browser === undefined ? pending : { ...pending, browser });
}

/** Keep `pending` (checked and bound by the caller) in the session the caller checked. @internal */
export function keepPendingLogin(req: Request, pending: PendingLogin): PendingLogin {
  req.session.bindid = { ...(req.session.bindid ?? {}), pending };
  return pending;
}

/** The pending login of `input`, checked and copied (not yet stored). */
export function pendingLoginOf(input: StorePendingLoginInput, options: StorePendingLoginOptions = {}): PendingLogin {
  if (input === null || typeof input !== 'object') throw invalidArgument('storePendingLogin() input must be an object');
  assertAccessToken(input.accessToken);
  const { expiresIn, claims } = input;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw invalidArgument('expiresIn must be a positive number of seconds (the /token response `expires_in`)');
  }
  assertClaimsObject(claims);
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) {
    throw invalidArgument('claims.sub must be a non-empty string of at most 255 characters');
  }
  const copy = JSON.parse(JSON.stringify(claims)) as BindIdClaims;
  if (Buffer.byteLength(JSON.stringify(copy)) > MAX_CLAIMS_BYTES) {
    throw invalidArgument(`claims are larger than ${MAX_CLAIMS_BYTES} bytes`);
  }
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_PENDING_TTL_SECONDS;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw invalidArgument('ttlSeconds must be a positive number');
  const now = (options.now ?? Date.now)();
  const pending: PendingLogin = {
    id: randomBytes(16).toString('base64url'),
    accessToken: input.accessToken,
    createdAt: now,
    expiresAt: now + Math.min(ttlSeconds, expiresIn) * 1000,
    tokenExpiresAt: now + Math.floor(expiresIn * 1000),
    claims: copy,
  };
  if (options.relink) pending.relink = true;
  return pending;
}

function readBaseUrl(baseUrl: unknown): string | undefined {
  if (baseUrl === undefined) return undefined;
  const url = typeof baseUrl === 'string' && URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (url?.protocol === 'https:' || (url?.protocol === 'http:' && isLoopback(url.hostname))) return url.href;
  throw invalidArgument("baseUrl must be your app's https URL (plain http only on localhost)");
}

/** ID-token claims are an object, else `ERR_BINDID_INVALID_ARGUMENT` naming `what` and the type given. */
export function assertClaimsObject(claims: unknown, what = 'claims'): asserts claims is Record<string, unknown> {
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw invalidArgument(`${what} must be an object (got ${describeType(claims)})`);
  }
}

/** The pending login of this session, or `undefined` (an expired one is removed). Never throws. */
export function getPendingLogin(req: Request, now: number = Date.now()): PendingLogin | undefined {
  const state = req.session?.bindid;
  const pending = state?.pending;
  if (!pending || !isPendingLogin(pending)) return undefined;
  if (now >= pending.expiresAt) {
    delete state.pending;
    return undefined;
  }
  return pending;
}

/**
 * The pending login of this session (the caller checked it with `requireServerSession`); throws a
 * 4xx `BindIdStateError` when there is none (`ERR_BINDID_NO_PENDING_LOGIN`), it expired
 * (`ERR_BINDID_PENDING_LOGIN_EXPIRED`, and it is removed) or it was started in another browser
 * (`ERR_BINDID_LOGIN_STATE_MISSING`, {@link assertSameBrowser}: a planted one, nothing changed).
 */
export function requirePendingLogin(req: Request, now: number): PendingLogin {
  const pending = req.session?.bindid?.pending;
  if (!pending || !isPendingLogin(pending)) {
    const hint =
      typeof req.isAuthenticated === 'function' && req.isAuthenticated()
        ? ' The user is already logged in: if passport.authenticate() ran before this middleware, give it ' +
          '{ session: false } so the login (and its session regeneration) happens after the BindID report.'
        : '';
    throw new BindIdStateError(
      ErrorCode.NO_PENDING_LOGIN,
      `There is no pending BindID sign-in to confirm: start again from "Sign in with BindID".${hint}`,
      { status: 400 },
    );
  }
  unexpired(req, pending, now);
  assertSameBrowser(req, pending.browser);
  return pending;
}

/** `pending` unless it expired by `now`: then it is removed and `ERR_BINDID_PENDING_LOGIN_EXPIRED` (400) thrown. */
export function unexpired(req: Request, pending: PendingLogin, now: number): PendingLogin {
  if (now >= pending.expiresAt) {
    clearPendingLogin(req);
    throw new BindIdStateError(
      ErrorCode.PENDING_LOGIN_EXPIRED,
      'The BindID sign-in waited too long to be confirmed: start again from "Sign in with BindID".',
      { status: 400 },
    );
  }
  return pending;
}

/** Remove the pending login from the session. */
export function clearPendingLogin(req: Request): void {
  const state = req.session?.bindid;
  if (state) delete state.pending;
}

function isPendingLogin(value: unknown): value is PendingLogin {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, its callers turn null away first (!pending) and a primitive has none of the fields checked below
  if (value === null || typeof value !== 'object') return false;
  const p = value as Record<string, unknown>;
  return (
    typeof p.id === 'string' &&
    typeof p.accessToken === 'string' &&
    typeof p.expiresAt === 'number' &&
    typeof p.createdAt === 'number' &&
    typeof (p.claims as { sub?: unknown } | null | undefined)?.sub === 'string' &&
    (p.browser === undefined || typeof p.browser === 'string')
  );
}

