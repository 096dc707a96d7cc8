/**
 * The claims of ID tokens and `/userinfo` answers, from a session and the user's state at the time.
 *
 * - `acr`: a space-delimited string, `ts.bindid.mfca`, plus `ts.bindid.app_bound_cred` once the
 *   client set an alias for the user.
 * - `amr`: `['ts.bind_id.mfca']` (BindID writes `bind_id` here, unlike the ACR values).
 * - `bindid_alias` only once an alias is set; `bindid_info.capp_first_confirmed_login` only once a
 *   report confirmed the user.
 * - `email`/`email_verified` only with the `email` scope; `phone_number`/`phone_number_verified` only
 *   with the `phone` scope and when the identity has a number.
 * - `/userinfo` answers `sub`, `auth_time`, `nonce`, `acr`, `amr` and the scope claims (what BindID's
 *   docs list); whether BindID adds the alias or `bindid_info` there is unknown, so it does not.
 *
 * @module
 */
import type { JWTPayload } from 'jose';
import type { AppUser, Session } from './state.js';

/** The ACR of every BindID login. */
const ACR_MFCA = 'ts.bindid.mfca';
/** The ACR added once the client bound the user (set an alias by session feedback). */
const ACR_APP_BOUND = 'ts.bindid.app_bound_cred';

/** The `acr` claim for `user`. */
export function acrOf(user: AppUser): string {
  return user.alias === undefined ? ACR_MFCA : `${ACR_MFCA} ${ACR_APP_BOUND}`;
}

/** The claims about the session common to ID tokens and `/userinfo`. */
function sessionClaims(session: Session, user: AppUser): JWTPayload {
  const claims: JWTPayload = { sub: session.sub, auth_time: session.authTime };
  if (session.nonce !== undefined) claims.nonce = session.nonce;
  claims.acr = acrOf(user);
  claims.amr = ['ts.bind_id.mfca'];
  const scopes = session.scope.split(' ');
  const { email, phoneNumber } = user.identity;
  if (scopes.includes('email') && email !== undefined) {
    claims.email = email;
    claims.email_verified = true;
  }
  if (scopes.includes('phone') && phoneNumber !== undefined) {
    claims.phone_number = phoneNumber;
    claims.phone_number_verified = true;
  }
  return claims;
}

/** The `bindid_info` claim: app-scoped login times (unix seconds). */
function bindidInfo(user: AppUser): Record<string, number> {
  const info: Record<string, number> = {};
  if (user.firstLogin !== undefined) {
    info.capp_first_login = user.firstLogin;
    info.capp_first_login_from_authenticating_device = user.firstLogin;
  }
  if (user.lastLogin !== undefined) {
    info.capp_last_login = user.lastLogin;
    info.capp_last_login_from_authenticating_device = user.lastLogin;
  }
  if (user.firstConfirmedLogin !== undefined) info.capp_first_confirmed_login = user.firstConfirmedLogin;
  return info;
}

/** Input of {@link idTokenClaims}. */
export interface IdTokenInput {
  issuer: string;
  clientId: string;
  session: Session;
  user: AppUser;
  /** Issue time, unix seconds. */
  iat: number;
  /** Lifetime, seconds. */
  ttlSeconds: number;
}

/** The claims of an ID token. */
export function idTokenClaims({ issuer, clientId, session, user, iat, ttlSeconds }: IdTokenInput): JWTPayload {
  const claims: JWTPayload = {
    iss: issuer,
    aud: clientId,
    iat,
    exp: iat + ttlSeconds,
    ...sessionClaims(session, user),
    bindid_info: bindidInfo(user),
  };
  if (user.alias !== undefined) claims.bindid_alias = user.alias;
  return claims;
}

/** The claims of a `/userinfo` answer. */
export function userinfoClaims(session: Session, user: AppUser): JWTPayload {
  return sessionClaims(session, user);
}
