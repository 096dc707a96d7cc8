/**
 * The claims of ID tokens and `/userinfo` answers, from a session and the user's state at the time
 * (docs/emulator-fidelity.md says which rule comes from which BindID source).
 *
 * - `acr`: a space-delimited string of the documented values only: `ts.bindid.app_bound_cred` when
 *   the device the person authenticated from was bound to the client by an `authentication_performed`
 *   report (per device, not per user), and the `ts.bindid.iac.*` values this login verified. Absent
 *   when there is none.
 * - `amr`: `['ts.bind_id.mfca']` (BindID writes `bind_id` here, unlike the ACR values).
 * - `bindid_alias` only once an alias is set.
 * - `email` with the `email` scope (or `acr_values` asking to verify it) when BindID holds an address;
 *   `email_verified` is `true` only for a verified one. The same for `phone_number` /
 *   `phone_number_verified` with the `phone` scope.
 * - `bindid_info` (ID token): app-scoped unix seconds `capp_first_login`, `capp_last_login`,
 *   `capp_first_login_from_authenticating_device`, `capp_last_login_from_authenticating_device`, and
 *   `capp_first_confirmed_login` once a report confirmed the user.
 * - `bindid_network_info` only with the `bindid_network_info` scope: `user_registration_time`,
 *   `user_last_seen`, `authenticating_device_registration_time`, `authenticating_device_last_seen`
 *   (ISO 8601 strings, as the samples read them as strings), `confirmed_capp_count`, `device_count`
 *   (integers).
 * - `/userinfo` answers `sub`, `auth_time`, `nonce`, `acr`, `amr` and the scope claims (what BindID's
 *   docs list); whether BindID adds the alias or `bindid_info` there is unknown, so it does not.
 *
 * @module
 */
import type { JwtClaims } from './keys.js';
import type { AppUser, DeviceRecord, Session } from './state.js';

/** The ACR of a login from a device whose authenticator the client bound (session feedback). */
export const ACR_APP_BOUND = 'ts.bindid.app_bound_cred';
/** The data-verification ACR values BindID documents (D-VER), asked for with `acr_values`. */
export const ACR_EMAIL = 'ts.bindid.iac.email';
export const ACR_PHONE = 'ts.bindid.iac.phone_number';

/** The `acr` claim of `session` for `user`, or `undefined` when no ACR value applies. */
export function acrOf(session: Session, user: AppUser): string | undefined {
  const values = user.devices.get(session.device)?.bound === true ? [ACR_APP_BOUND] : [];
  values.push(...session.verified);
  return values.length === 0 ? undefined : values.join(' ');
}

/** The claims about the session common to ID tokens and `/userinfo`. */
function sessionClaims(session: Session, user: AppUser): JwtClaims {
  const claims: JwtClaims = { sub: session.sub, auth_time: session.authTime };
  if (session.nonce !== undefined) claims.nonce = session.nonce;
  const acr = acrOf(session, user);
  if (acr !== undefined) claims.acr = acr;
  claims.amr = ['ts.bind_id.mfca'];
  const scopes = session.scope.split(' ');
  // Data only with its scope: a verification (acr_values) without the scope collects and verifies the
  // data, "but this data won't be returned in the ID token" (D-VER).
  if (user.email !== undefined && scopes.includes('email')) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  if (user.phoneNumber !== undefined && scopes.includes('phone')) {
    claims.phone_number = user.phoneNumber;
    claims.phone_number_verified = user.phoneNumberVerified;
  }
  if (scopes.includes('bindid_network_info')) claims.bindid_network_info = networkInfo(session, user);
  return claims;
}

/** The `bindid_info` claim: app-scoped login times (unix seconds), per user and per device. */
function bindidInfo(session: Session, user: AppUser): Record<string, number> {
  const info: Record<string, number> = {};
  if (user.firstLogin !== undefined) info.capp_first_login = user.firstLogin;
  if (user.firstConfirmedLogin !== undefined) info.capp_first_confirmed_login = user.firstConfirmedLogin;
  if (user.lastLogin !== undefined) info.capp_last_login = user.lastLogin;
  const device = user.devices.get(session.device);
  if (device !== undefined) {
    info.capp_first_login_from_authenticating_device = device.firstLogin;
    info.capp_last_login_from_authenticating_device = device.lastLogin;
  }
  return info;
}

/** Unix seconds as an ISO 8601 UTC string without fractions, e.g. `2023-07-22T04:26:40Z`. */
function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The `bindid_network_info` claim (network-wide facts; the emulator's network is this one client). */
function networkInfo(session: Session, user: AppUser): Record<string, string | number> {
  const devices: DeviceRecord[] = [...user.devices.values()];
  const info: Record<string, string | number> = {};
  if (devices.length > 0) {
    info.user_registration_time = isoTime(Math.min(...devices.map((device) => device.firstLogin)));
    info.user_last_seen = isoTime(Math.max(...devices.map((device) => device.lastLogin)));
  }
  const device = user.devices.get(session.device);
  if (device !== undefined) {
    info.authenticating_device_registration_time = isoTime(device.firstLogin);
    info.authenticating_device_last_seen = isoTime(device.lastLogin);
  }
  info.confirmed_capp_count = user.firstConfirmedLogin === undefined ? 0 : 1;
  info.device_count = devices.length;
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
export function idTokenClaims({ issuer, clientId, session, user, iat, ttlSeconds }: IdTokenInput): JwtClaims {
  const claims: JwtClaims = {
    iss: issuer,
    aud: clientId,
    iat,
    exp: iat + ttlSeconds,
    ...sessionClaims(session, user),
    bindid_info: bindidInfo(session, user),
  };
  if (user.alias !== undefined) claims.bindid_alias = user.alias;
  return claims;
}

/** The claims of a `/userinfo` answer. */
export function userinfoClaims(session: Session, user: AppUser): JwtClaims {
  return sessionClaims(session, user);
}
