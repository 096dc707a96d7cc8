/**
 * The read-only OIDC endpoints of the sign-in side: `/.well-known/openid-configuration`, `/jwks`
 * and `GET|POST /userinfo` (`Authorization: Bearer <access token>`; a missing, unknown or expired
 * token gets 401 with `WWW-Authenticate: Bearer error="invalid_token"`).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { userinfoClaims } from './claims.js';
import type { Context } from './config.js';
import { HttpError, readBody, sendJson } from './http.js';

/**
 * The discovery document of an emulator whose sign-in side is `issuer` (BindID's own document is not
 * in any public source; this one advertises only what the emulator does). `client_secret_basic` is
 * listed only when `allowClientSecretBasic` is set.
 */
export function discoveryDocument(issuer: string, allowClientSecretBasic = false): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    userinfo_endpoint: `${issuer}/userinfo`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: allowClientSecretBasic
      ? ['client_secret_post', 'client_secret_basic']
      : ['client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'email', 'phone', 'bindid_network_info'],
    acr_values_supported: ['ts.bindid.app_bound_cred', 'ts.bindid.iac.email', 'ts.bindid.iac.phone_number'],
    claims_supported: [
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'acr',
      'amr',
      'email',
      'email_verified',
      'phone_number',
      'phone_number_verified',
      'bindid_alias',
      'bindid_info',
      'bindid_network_info',
    ],
  };
}

/** `GET /.well-known/openid-configuration`. */
export function handleDiscovery(_req: IncomingMessage, res: ServerResponse, ctx: Context): void {
  sendJson(res, 200, discoveryDocument(ctx.issuer, ctx.config.allowClientSecretBasic));
}

/** `GET /jwks`: the public signing key. */
export function handleJwks(_req: IncomingMessage, res: ServerResponse, ctx: Context): void {
  sendJson(res, 200, ctx.keys.jwks);
}

/** `GET|POST /userinfo`. A POST body is read (within the cap) and ignored. */
export async function handleUserinfo(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  if (req.method === 'POST') await readBody(req);
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(req.headers.authorization ?? '');
  if (match === null) {
    throw new HttpError(401, 'invalid_token', 'an Authorization: Bearer <access token> header is required', {
      'WWW-Authenticate': 'Bearer realm="bindid-emulator"',
    });
  }
  const session = ctx.state.session(match[1] as string);
  const user = session === undefined ? undefined : ctx.state.user(session.sub);
  if (session === undefined || user === undefined || session.expiresAt <= ctx.config.now()) {
    throw new HttpError(401, 'invalid_token', 'the access token is unknown or has expired', {
      'WWW-Authenticate': 'Bearer realm="bindid-emulator", error="invalid_token"',
    });
  }
  sendJson(res, 200, userinfoClaims(session, user));
}
