/**
 * `GET|POST /authorize`: the authorization-code flow's front channel.
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
 * tests; BindID has no such thing).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logger, printable } from '../internal/log.js';
import { CODE_TTL_MS, type Context } from './config.js';
import { HttpError, mediaType, parseForm, readBody, redirect, repeatedParam, sendHtml } from './http.js';
import { errorPage, signInPage } from './pages.js';
import { randomToken } from './secrets.js';
import type { Identity } from './state.js';

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
];

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
  const params = req.method === 'POST' ? await readForm(req) : new URLSearchParams(query);
  authorize(params, res, ctx);
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
  if (choice === null) {
    sendHtml(
      res,
      200,
      signInPage({
        clientId,
        params,
        identities: state.knownIdentities,
        created: state.createdIdentities(CREATED_ON_PAGE),
      }),
    );
    return;
  }
  if (choice === 'cancel') {
    redirectError(res, target, stateParam, { error: 'access_denied', description: 'the user cancelled the sign-in' });
    return;
  }
  const identity = choice === 'new' ? state.createIdentity() : state.identity(choice);
  if (identity === undefined) {
    sendHtml(res, 400, errorPage('Unknown identity', 'There is no test identity with this id.'));
    return;
  }
  complete(res, ctx, params, redirectUri, identity);
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
): void {
  const { config, state } = ctx;
  const user = state.user(identity.sub);
  if (user === undefined) throw new Error('the identity was evicted before it could sign in');
  const now = config.now();
  const authTime = Math.floor(now / 1000);
  state.recordLogin(user, authTime);
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
