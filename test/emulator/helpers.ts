/**
 * Helpers of the emulator tests: start an emulator, sign an identity in through the raw HTTP
 * endpoints, and send session-feedback requests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, type JWTPayload } from 'jose';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { authorizationHeader } from '../../src/feedback/signing.js';
import { TEST_SIGNING_KEY } from '../helpers/signing-key.js';

/** The redirect URI registered by {@link startEmulator}. */
export const REDIRECT_URI = 'http://localhost:3000/callback';

/** Start an emulator with {@link REDIRECT_URI} registered (unless `options` say otherwise). */
export function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return createEmulator({ redirectUris: [REDIRECT_URI], signingKey: TEST_SIGNING_KEY, ...options });
}

/** A PKCE pair. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The `/authorize` URL for `params` (defaults: the test client, {@link REDIRECT_URI}, code, openid). */
export function authorizeUrl(emu: Emulator, params: Record<string, string | undefined> = {}): URL {
  const url = new URL(`${emu.issuer}/authorize`);
  const all: Record<string, string | undefined> = {
    client_id: emu.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid email',
    state: 'state-123',
    ...params,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

/** GET a URL without following redirects. */
export function get(url: URL | string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers });
}

/** The `Location` of a 302 answer, as a URL; fails the test if the answer is not a redirect. */
export function location(res: Response): URL {
  if (res.status !== 302) throw new Error(`expected a 302 redirect, got ${res.status}`);
  return new URL(res.headers.get('location') as string);
}

/** Run `/authorize` with `identity` and return the code (fails if there is none). */
export async function authorizeCode(
  emu: Emulator,
  params: Record<string, string | undefined> = {},
): Promise<string> {
  const target = location(await get(authorizeUrl(emu, { identity: 'alice', ...params })));
  const code = target.searchParams.get('code');
  if (code === null) throw new Error(`no code in the redirect: error=${target.searchParams.get('error')}`);
  return code;
}

/** POST a form to `/token`. */
export function postToken(
  emu: Emulator,
  form: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) if (value !== undefined) body.set(name, value);
  return fetch(`${emu.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

/** The tokens of one login. */
export interface Login {
  accessToken: string;
  idToken: string;
  claims: JWTPayload & Record<string, unknown>;
}

/** Exchange `code` at `/token` with client_secret_post; `extra` overrides or (undefined) drops fields. */
export function exchangeCode(
  emu: Emulator,
  code: string,
  extra: Record<string, string | undefined> = {},
): Promise<Response> {
  return postToken(emu, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    client_id: emu.clientId,
    client_secret: emu.clientSecret,
    ...extra,
  });
}

/** Sign `identity` in (code flow with client_secret_post, no PKCE) and decode the ID token. */
export function login(emu: Emulator, identity = 'alice', scope = 'openid email'): Promise<Login> {
  return loginWith(emu, identity, { scope });
}

/** As {@link login}, with more (or other) `/authorize` parameters (`scope` defaults to `openid email`). */
export async function loginWith(
  emu: Emulator,
  identity: string,
  params: Record<string, string | undefined>,
): Promise<Login> {
  const res = await exchangeCode(emu, await authorizeCode(emu, { identity, scope: 'openid email', ...params }));
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { access_token: string; id_token: string };
  return { accessToken: body.access_token, idToken: body.id_token, claims: decodeJwt(body.id_token) };
}

/** Options of {@link sendFeedback}. */
export interface FeedbackRequest {
  /** The whole `Authorization` header; `null` sends none. Default: the full form for `accessToken`. */
  authorization?: string | null;
  /** The raw body; default: a valid `authentication_performed` report. */
  body?: string | Buffer;
  /** Default `application/json`. `null` sends none. */
  contentType?: string | null;
}

/** A valid session-feedback body. */
export function feedbackBody(accessToken: string, report: Record<string, unknown> = {}): string {
  return JSON.stringify({
    subject_session_at: accessToken,
    reports: [{ type: 'authentication_performed', alias: 'user-1', time: 1700000000, ...report }],
  });
}

/** POST to `<apiUrl>/session-feedback`. */
export function sendFeedback(emu: Emulator, accessToken: string, request: FeedbackRequest = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const authorization =
    request.authorization === undefined ? authorizationHeader(emu.clientSecret, accessToken) : request.authorization;
  if (authorization !== null) headers.authorization = authorization;
  const contentType = request.contentType === undefined ? 'application/json' : request.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  return fetch(`${emu.apiUrl}/session-feedback`, {
    method: 'POST',
    headers,
    body: request.body ?? feedbackBody(accessToken),
  });
}

/** Report `alias` for the session of `accessToken` with `type`; return the status. */
export async function report(
  emu: Emulator,
  accessToken: string,
  type: string,
  alias?: string,
): Promise<number> {
  const res = await sendFeedback(emu, accessToken, {
    body: feedbackBody(accessToken, { type, alias }),
  });
  await res.arrayBuffer();
  return res.status;
}
