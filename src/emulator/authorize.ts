/**
 * `GET /authorize` (and `POST`, form body, only with `allowPostAuthorize`; otherwise 405): the
 * authorization-code flow's front channel.
 *
 * Checks, in order:
 * 1. `client_id` must be the registered client and `redirect_uri` one of the registered URIs,
 *    exactly (each at most once). Otherwise: a 400 HTML page, never a redirect.
 * 2. Then OAuth errors are redirected to `redirect_uri` with `error`, `error_description` and
 *    `state`: a repeated parameter (`invalid_request`), `response_type` missing (`invalid_request`)
 *    or not `code` (`unsupported_response_type`), `response_mode` other than `query`
 *    (`invalid_request`), `scope` without `openid` (`invalid_scope`), PKCE other than S256 with a
 *    43-character base64url challenge (`invalid_request`).
 * 3. Without `identity`: 200 with the sign-in page, which posts every parameter back with the
 *    chosen `identity`. `identity=cancel` redirects with `access_denied`; `identity=new` creates a
 *    fresh identity; the id of a known or created identity signs it in again (the page offers the
 *    last {@link CREATED_ON_PAGE} created ones, as BindID recognises a returning person); anything
 *    else is a 400 page.
 *
 * Completion redirects (302) to `redirect_uri?code=...&state=...`. The code is single-use, valid
 * {@link CODE_TTL_MS} ms, and bound to the client, the redirect URI, the PKCE challenge and the nonce.
 *
 * `GET /authorize?...&identity=<id|new|cancel>` completes at once too (a shortcut for scripts and
 * tests; BindID has no such thing), and `device=<id>` names the device the person authenticates
 * from (default {@link DEFAULT_DEVICE}): `ts.bindid.app_bound_cred` is per device.
 *
 * BindID parameters honoured:
 * - `acr_values` (space-separated; unknown values ignored): `ts.bindid.iac.email` /
 *   `ts.bindid.iac.phone_number` make the person verify their email / phone number during this
 *   login (a person BindID knows none of enters one: the `login_hint` address, or an invented one).
 *   The address is then verified from now on, released even without the `email`/`phone` scope, and
 *   the ID token's `acr` lists the value.
 * - `login_hint`: `email:<address>` (or a bare address). The sign-in page offers the identity with
 *   that address first; `identity=new` registers the new person with it (unverified).
 * - `max_age` (OpenID Connect; a whole number of seconds, else `invalid_request`): the emulator keeps
 *   no single sign-on session and authenticates the person at every authorization, so the ID token's
 *   `auth_time` is always the time of this one and every `max_age` is met, `max_age=0` (an unlink's
 *   step-up) included. The `staleAuthTime` fault on `token` plays a provider that did not honour it.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logger, printable } from '../internal/log.js';
import { ACR_EMAIL, ACR_PHONE } from './claims.js';
import { CODE_TTL_MS, type Context, DEFAULT_DEVICE } from './config.js';
import { HttpError, mediaType, parseForm, readBody, redirect, repeatedParam, sendHtml } from './http.js';
import { errorPage, signInPage } from './pages.js';
import { randomToken } from './secrets.js';
import type { AppUser, Identity } from './state.js';

const log = logger('emulator');

/** Parameters (besides `client_id` and `redirect_uri`) that must not be repeated. */
const SINGLE_PARAMS = [
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'identity',
  'device',
  'acr_values',
  'login_hint',
  'max_age',
];

/** A device id given as `device=<id>`. */
const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** How many of the identities created by `identity=new` the sign-in page offers (newest first). */
export const CREATED_ON_PAGE = 5;

/** An OAuth error to redirect with. */
interface OAuthError {
  error: string;
  description: string;
}

/** Handle `GET /authorize?...` and `POST /authorize` (form body). */
export async function handleAuthorize(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: Context,
  query: string,
): Promise<void> {
  if (req.method === 'POST' && !ctx.config.allowPostAuthorize) {
    throw new HttpError(405, 'method_not_allowed', 'use GET /authorize (POST is enabled by allowPostAuthorize)', {
      Allow: 'GET',
    });
  }
  const params = req.method === 'POST' ? await readForm(req) : new URLSearchParams(query);
  authorize(params, res, ctx);
}

/** The email address of a `login_hint` (`email:<address>` or a bare address), if it names one. */
export function hintedEmail(params: URLSearchParams): string | undefined {
  const hint = params.get('login_hint');
  if (hint === null) return undefined;
  const address = hint.startsWith('email:') ? hint.slice('email:'.length) : hint;
  return /^[^\s@]{1,64}@[^\s@]{1,190}$/.test(address) ? address : undefined;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const body = await readBody(req);
  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'invalid_request', 'POST /authorize takes an application/x-www-form-urlencoded body');
  }
  return parseForm(body);
}

function authorize(params: URLSearchParams, res: ServerResponse, ctx: Context): void {
  const { config, state } = ctx;
  if (repeatedParam(params, ['client_id', 'redirect_uri']) !== undefined) {
    sendHtml(res, 400, errorPage('Invalid request', 'client_id and redirect_uri must each appear once.'));
    return;
  }
  const clientId = params.get('client_id');
  if (clientId !== config.clientId) {
    sendHtml(res, 400, errorPage('Unknown client', 'The client_id is missing or not registered with this emulator.'));
    return;
  }
  const redirectUri = params.get('redirect_uri');
  if (redirectUri === null || !config.redirectUris.has(redirectUri)) {
    sendHtml(
      res,
      400,
      errorPage('Unregistered redirect_uri', 'The redirect_uri is missing or is not exactly one of the registered redirect URIs.'),
    );
    return;
  }
  const target = new URL(redirectUri);
  const stateParam = params.get('state');
  const problem = requestProblem(params);
  if (problem !== undefined) {
    redirectError(res, target, stateParam, problem);
    return;
  };

  const choice = params.get('identity');
  const hint = hintedEmail(params);
  if (choice === null) {
    sendHtml(
      res,
      200,
      signInPage({
        clientId,
        params,
        identities: state.knownIdentities.map((identity) => asHeld(identity, ctx)),
        created: state.createdIdentities(CREATED_ON_PAGE).map((identity) => asHeld(identity, ctx)),
        ...(hint === undefined ? {} : { hint }),
      }),
    );
    return;
  }
  if (choice === 'cancel') {
    redirectError(res, target, stateParam, { error: 'access_denied', description: 'the user cancelled the sign-in' });
    return;
  }
  const device = params.get('device') ?? DEFAULT_DEVICE;
  if (!DEVICE_ID.test(device)) {
    sendHtml(res, 400, errorPage('Invalid device', 'device must be 1 to 64 letters, digits, ".", "_" or "-".'));
    return;
  }
  const identity = choice === 'new' ? state.createIdentity(undefined, hint) : state.identity(choice);
  if (identity === undefined) {
    sendHtml(res, 400, errorPage('Unknown identity', 'There is no test identity with this id.'));
    return;
  }
  complete(res, ctx, params, redirectUri, identity, device);
}

/** `identity` with the email address BindID holds for it now (a verification may have set one). */
function asHeld(identity: Identity, ctx: Context): Identity {
  const email = ctx.state.user(identity.sub)?.email;
  return email === undefined ? identity : { ...identity, email };
}

/** The first OAuth error of the request, if any (see the module comment). */
function requestProblem(params: URLSearchParams): OAuthError | undefined {
  const repeated = repeatedParam(params, SINGLE_PARAMS);
  if (repeated !== undefined) return invalidRequest(`${repeated} must appear once`);
  const responseType = params.get('response_type');
  if (responseType === null) return invalidRequest('response_type is required');
  if (responseType !== 'code') {
    return { error: 'unsupported_response_type', description: 'only response_type=code is supported' };
  }
  const responseMode = params.get('response_mode');
  if (responseMode !== null && responseMode !== 'query') return invalidRequest('only response_mode=query is supported');
  if (!(params.get('scope') ?? '').split(' ').includes('openid')) {
    return { error: 'invalid_scope', description: 'scope must include openid' };
  }
  const maxAge = params.get('max_age');
  if (maxAge !== null && !/^\d{1,10}$/.test(maxAge)) return invalidRequest('max_age must be a whole number of seconds');
  const method = params.get('code_challenge_method');
  const challenge = params.get('code_challenge');
  if (method !== null && method !== 'S256') return invalidRequest('code_challenge_method must be S256');
  if (method !== null && challenge === null) return invalidRequest('code_challenge is required with code_challenge_method');
  if (challenge !== null && method === null) {
    return invalidRequest('code_challenge_method=S256 is required with code_challenge (plain is not supported)');
  }
  if (challenge !== null && !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
    return invalidRequest('code_challenge must be 43 base64url characters');
  }
  return undefined;
}

function invalidRequest(description: string): OAuthError {
  return { error: 'invalid_request', description };
}

function redirectError(res: ServerResponse, target: URL, state: string | null, problem: OAuthError): void {
  const location = new URL(target);
  location.searchParams.append('error', problem.error);
  location.searchParams.append('error_description', problem.description);
  if (state !== null) location.searchParams.append('state', state);
  log('authorize: redirecting with %s', problem.error);
  redirect(res, location);
}

/** Sign `identity` in: record the login, issue a code, redirect with it. */
function complete(
  res: ServerResponse,
  ctx: Context,
  params: URLSearchParams,
  redirectUri: string,
  identity: Identity,
  device: string,
): void {
  const { config, state } = ctx;
  const user = state.user(identity.sub);
  if (user === undefined) throw new Error('the identity was evicted before it could sign in');
  const now = config.now();
  const authTime = Math.floor(now / 1000);
  state.recordLogin(user, authTime, device);
  const verified = verify(user, params);
  const code = randomToken();
  const nonce = params.get('nonce');
  const codeChallenge = params.get('code_challenge');
  state.putCode(
    code,
    {
      clientId: config.clientId,
      redirectUri,
      scope: params.get('scope') ?? 'openid',
      sub: identity.sub,
      authTime,
      ...(nonce === null ? {} : { nonce }),
      ...(codeChallenge === null ? {} : { codeChallenge }),
      device,
      verified,
      expiresAt: now + CODE_TTL_MS,
    },
    now,
  );
  const location = new URL(redirectUri);
  location.searchParams.append('code', code);
  const stateParam = params.get('state');
  if (stateParam !== null) location.searchParams.append('state', stateParam);
  log('authorize: code issued to identity %s', printable(identity.id));
  redirect(res, location);
}

/**
 * Play the verifications `acr_values` asks for: the person confirms (or first enters) their email
 * address / phone number, which is verified from then on. Returns the ACR values satisfied.
 */
function verify(user: AppUser, params: URLSearchParams): string[] {
  const asked = new Set((params.get('acr_values') ?? '').split(' '));
  const verified: string[] = [];
  if (asked.has(ACR_EMAIL)) {
    user.email ??= hintedEmail(params) ?? `${user.identity.id}@example.com`;
    user.emailVerified = true;
    verified.push(ACR_EMAIL);
  }
  if (asked.has(ACR_PHONE)) {
    user.phoneNumber ??= '+15555550199';
    user.phoneNumberVerified = true;
    verified.push(ACR_PHONE);
  }
  return verified;
}
