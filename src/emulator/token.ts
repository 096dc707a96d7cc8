/**
 * `POST /token`: exchange an authorization code for an access token and an ID token.
 *
 * Checks, in order (errors are OAuth JSON `{ error, error_description }`, 400 unless stated, with
 * `Cache-Control: no-store` and `Pragma: no-cache`):
 * 1. The body is at most 64 KiB (413), `application/x-www-form-urlencoded` and no parameter is
 *    repeated (`invalid_request`).
 * 2. Client authentication by `client_secret_post` (`client_id` + `client_secret` in the body), as
 *    in every BindID example; `client_secret_basic` (`Authorization: Basic`, id and secret
 *    form-urlencoded per RFC 6749 §2.3.1) only with `allowClientSecretBasic`, and never both. The
 *    secret is compared in constant time. Failure: 401 `invalid_client` (with
 *    `WWW-Authenticate: Basic` when the header was used).
 * 3. `grant_type=authorization_code` (`unsupported_grant_type`; missing: `invalid_request`).
 * 4. The code (`invalid_request` when missing). Any redemption attempt that gets this far consumes
 *    it, so a code is single-use even when the attempt fails. Then `invalid_grant` for: unknown or
 *    used, expired (60 s), another client, `redirect_uri` not exactly the one of the authorization
 *    request, PKCE (`code_verifier` missing when a challenge was sent, not matching it by S256, or
 *    sent without a challenge).
 *
 * Success: 200 `{ access_token, token_type: 'Bearer', expires_in, id_token }` (BindID's documented
 * response), plus `scope` with `tokenResponseScope`. The ID token's `auth_time` is the time of the
 * authorization (the emulator authenticates the person at every one), unless a `staleAuthTime` or
 * `omitAuthTime` fault is set on `token`.
 *
 * @module
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { logger, printable } from '../internal/log.js';
import { idTokenClaims } from './claims.js';
import { type Context, type EmulatorConfig, ID_TOKEN_TTL_SECONDS } from './config.js';
import { HttpError, mediaType, parseForm, readBody, repeatedParam, sendJson } from './http.js';
import { randomToken, s256, safeEqual } from './secrets.js';
import type { CodeGrant, Session } from './state.js';
import type { Fault } from './types.js';

const log = logger('emulator');

const NO_CACHE: OutgoingHttpHeaders = { Pragma: 'no-cache' };

/** The parameters of a token request, none of which may be repeated. */
const PARAMS = ['grant_type', 'code', 'redirect_uri', 'client_id', 'client_secret', 'code_verifier'];

/** An RFC 7636 code verifier: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function oauthError(error: string, description: string, status = 400, headers: OutgoingHttpHeaders = {}): HttpError {
  return new HttpError(status, error, description, { ...NO_CACHE, ...headers });
}

/** Handle `POST /token` (a `staleAuthTime` or `omitAuthTime` fault changes the ID token's `auth_time`). */
export async function handleToken(req: IncomingMessage, res: ServerResponse, ctx: Context, _query = '', fault?: Fault): Promise<void> {
  const body = await readBody(req);
  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    throw oauthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  const params = parseForm(body);
  const repeated = repeatedParam(params, PARAMS);
  if (repeated !== undefined) throw oauthError('invalid_request', `${repeated} must appear once`);
  authenticateClient(req.headers.authorization, params, ctx.config);
  const grantType = params.get('grant_type');
  if (grantType === null) throw oauthError('invalid_request', 'grant_type is required');
  if (grantType !== 'authorization_code') {
    throw oauthError('unsupported_grant_type', 'only grant_type=authorization_code is supported');
  }
  const grant = redeemCode(params, ctx);
  await issueTokens(res, ctx, grant, fault);
}

/** Check the client's credentials (see the module comment). */
function authenticateClient(header: string | undefined, params: URLSearchParams, config: EmulatorConfig): void {
  const challenge = header === undefined ? {} : { 'WWW-Authenticate': 'Basic realm="bindid-emulator"' };
  const fail = (description: string): HttpError => oauthError('invalid_client', description, 401, challenge);
  if (header !== undefined && !config.allowClientSecretBasic) {
    throw fail('client_secret_basic is not supported: send client_id and client_secret in the form body (client_secret_post)');
  }
  const basic = header === undefined ? undefined : parseBasic(header);
  if (basic === 'malformed') throw fail('the Authorization header must be Basic base64(client_id:client_secret)');
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  if (basic !== undefined && bodySecret !== null) {
    throw fail('use exactly one client authentication method, not both client_secret_basic and client_secret_post');
  }
  if (basic === undefined && bodySecret === null) {
    throw fail(`client authentication is required (client_secret_post${config.allowClientSecretBasic ? ' or client_secret_basic' : ''})`);
  }
  if (basic !== undefined && bodyId !== null && bodyId !== basic.id) {
    throw fail('client_id in the body differs from the one in the Authorization header');
  }
  const id = basic?.id ?? bodyId;
  const secret = basic?.secret ?? bodySecret ?? '';
  const secretOk = safeEqual(secret, config.clientSecret);
  if (id !== config.clientId || !secretOk) throw fail('client authentication failed');
}

/** Decode `Basic base64(urlencoded id ":" urlencoded secret)` (RFC 6749 §2.3.1). */
function parseBasic(header: string): { id: string; secret: string } | 'malformed' {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header);
  if (match === null) return 'malformed';
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return 'malformed';
  }
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** Consume the code and check what it is bound to (see the module comment). */
function redeemCode(params: URLSearchParams, ctx: Context): CodeGrant {
  const code = params.get('code');
  if (code === null || code === '') throw oauthError('invalid_request', 'code is required');
  const grant = ctx.state.takeCode(code);
  const invalidGrant = (description: string): HttpError => oauthError('invalid_grant', description);
  if (grant === undefined) throw invalidGrant('the code is unknown or was already used');
  if (grant.expiresAt <= ctx.config.now()) throw invalidGrant('the code has expired');
  if (grant.clientId !== ctx.config.clientId) throw invalidGrant('the code was issued to another client');
  if (params.get('redirect_uri') !== grant.redirectUri) {
    throw invalidGrant('redirect_uri is missing or differs from the one of the authorization request');
  }
  const verifier = params.get('code_verifier');
  if (grant.codeChallenge === undefined) {
    if (verifier !== null) throw invalidGrant('code_verifier was sent but the authorization request had no code_challenge');
  } else if (verifier === null) {
    throw invalidGrant('code_verifier is required: the authorization request had a code_challenge');
  } else if (!VERIFIER.test(verifier) || !safeEqual(s256(verifier), grant.codeChallenge)) {
    throw invalidGrant('code_verifier does not match the code_challenge');
  }
  return grant;
}

/** Store a new session and answer with its tokens. */
async function issueTokens(res: ServerResponse, ctx: Context, grant: CodeGrant, fault: Fault | undefined): Promise<void> {
  const { config, state, keys } = ctx;
  const user = state.user(grant.sub);
  if (user === undefined) throw oauthError('invalid_grant', 'the identity of this code no longer exists');
  const now = config.now();
  const session: Session = {
    sub: grant.sub,
    scope: grant.scope,
    // The fault plays a provider that answered from an earlier authentication (max_age ignored).
    authTime: grant.authTime - (fault?.staleAuthTime ?? 0),
    ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
    device: grant.device,
    verified: grant.verified,
    expiresAt: now + config.accessTokenTtlSeconds * 1000,
  };
  const claims = idTokenClaims({
    issuer: ctx.issuer,
    clientId: config.clientId,
    session,
    user,
    iat: Math.floor(now / 1000),
    ttlSeconds: ID_TOKEN_TTL_SECONDS,
  });
  if (fault?.omitAuthTime === true) delete claims.auth_time;
  const idToken = keys.sign(claims);
  const accessToken = randomToken();
  state.putSession(accessToken, session, now);
  log('token: issued tokens to identity %s', printable(user.identity.id));
  sendJson(
    res,
    200,
    {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: config.accessTokenTtlSeconds,
      id_token: idToken,
      ...(config.tokenResponseScope ? { scope: grant.scope } : {}),
    },
    NO_CACHE,
  );
}
