/**
 * `signInWithBindId` and `mintPendingLogin`: the code flow through the emulator, as a browser walks
 * it (login → authorize → callback, real redirects) or without an app (for own-callback apps).
 *
 * Both refuse to talk to anything but the emulator of the given `TestBindId`, on a loopback host.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { isLoopback } from '../internal/is-loopback.js';
import { checkAgent, checkOptions, checkPath, checkString, checkTestBindId, identityParam } from './arguments.js';
import type {
  MintedPendingLogin,
  MintPendingLoginOptions,
  SignInWithBindIdOptions,
  TestAgent,
  TestBindId,
  TestResponse,
} from './types.js';

const SIGN_IN = 'signInWithBindId()';
const MINT = 'mintPendingLogin()';
/** `bindIdRouter`'s login path. */
export const DEFAULT_LOGIN_PATH = '/login/bindid';

/**
 * Sign the agent in with BindID, following the app's real redirects: GET `loginPath` on the app,
 * follow its redirect to the emulator's `/authorize` (refused — an `Error` — unless it goes to this
 * `TestBindId`'s issuer on a loopback host, so a test can never talk to a real BindID), complete it
 * as `identity`, and GET the callback path and query on the app with the agent.
 *
 * @returns the app's answer to the callback (a supertest `Response`): for `bindIdRouter`, a 303 to
 *   the confirm page for a BindID user the app has not linked yet, or to `returnTo` for a linked one.
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` for a bad argument; `Error` when the
 *   app does not redirect to this emulator or the emulator refuses the request.
 */
export async function signInWithBindId<R extends TestResponse>(
  agent: TestAgent<R>,
  bindid: TestBindId,
  options: SignInWithBindIdOptions = {},
): Promise<R> {
  checkAgent<R>(SIGN_IN, agent);
  checkTestBindId(SIGN_IN, bindid);
  checkOptions(SIGN_IN, 'options', options, ['identity', 'loginPath', 'returnTo']);
  const loginPath = checkPath(SIGN_IN, 'options.loginPath', options.loginPath, DEFAULT_LOGIN_PATH);
  const returnTo = options.returnTo === undefined ? undefined : checkString(SIGN_IN, 'options.returnTo', options.returnTo);
  const identity = identityParam(SIGN_IN, bindid, options.identity);

  const start =
    returnTo === undefined ? loginPath : `${loginPath}${loginPath.includes('?') ? '&' : '?'}returnTo=${encodeURIComponent(returnTo)}`;
  const login = await agent.get(start);
  const location = login.headers.location;
  if (login.status < 300 || login.status > 399 || typeof location !== 'string') {
    throw new Error(`${SIGN_IN}: GET ${loginPath} answered ${login.status}, not a redirect to BindID`);
  }
  const authorize = emulatorUrl(bindid, location, '/authorize');
  const callback = await completeAuthorize(bindid, authorize, identity);
  return agent.get(`${callback.pathname}${callback.search}`);
}

/**
 * For apps with their own BindID callback: run the code flow at the emulator for `identity`
 * (authorize, then `/token` with the client's secret) and return a real login, the input of
 * `storePendingLogin`. The test then stores it through the app (e.g. a test route that calls
 * `storePendingLogin(req, login)`), and confirms it with {@link confirmWithPassword}.
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` for a bad argument; `Error` when the
 *   emulator refuses the authorization or token request (e.g. a fault set with `fail()`).
 */
export async function mintPendingLogin(bindid: TestBindId, options: MintPendingLoginOptions = {}): Promise<MintedPendingLogin> {
  checkTestBindId(MINT, bindid);
  checkOptions(MINT, 'options', options, ['identity']);
  const identity = identityParam(MINT, bindid, options.identity);
  const authorize = emulatorUrl(bindid, `${bindid.issuer}/authorize`, '/authorize');
  authorize.search = new URLSearchParams({
    client_id: bindid.clientId,
    redirect_uri: bindid.redirectUri,
    response_type: 'code',
    scope: 'openid email',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
  }).toString();
  const code = (await completeAuthorize(bindid, authorize, identity)).searchParams.get('code');
  if (code === null) throw new Error(`${MINT}: the emulator's /authorize redirected without a code`);
  const res = await fetch(emulatorUrl(bindid, `${bindid.issuer}/token`, '/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: bindid.redirectUri,
      client_id: bindid.clientId,
      client_secret: bindid.clientSecret,
    }),
  });
  const body = (await res.json().catch(() => undefined)) as { access_token?: unknown; expires_in?: unknown; id_token?: unknown } | undefined;
  if (res.status !== 200 || typeof body?.access_token !== 'string' || typeof body.expires_in !== 'number' || typeof body.id_token !== 'string') {
    throw new Error(`${MINT}: the emulator's /token answered ${res.status} without a usable token response`);
  }
  return { accessToken: body.access_token, expiresIn: body.expires_in, claims: idTokenClaims(body.id_token) };
}

/**
 * `location` as a URL, if it is `path` on this TestBindId's emulator (same origin as its issuer, a
 * loopback host); otherwise an `Error`, before any request is made.
 */
function emulatorUrl(bindid: TestBindId, location: string, path: string): URL {
  const issuer = new URL(bindid.issuer);
  const url = URL.canParse(location) ? new URL(location) : undefined;
  if (url === undefined || url.origin !== issuer.origin || !isLoopback(url.hostname)) {
    const where = url === undefined ? 'a relative or invalid URL' : url.origin;
    throw new Error(
      `express-bindid/testing refuses to follow the app's redirect to ${where}: it is not this test's BindID emulator (${issuer.origin}). ` +
        'Configure the app with the TestBindId (issuer, apiUrl, clientId, clientSecret: `bindid.options`).',
    );
  }
  if (url.pathname !== `${issuer.pathname.replace(/\/$/, '')}${path}`) {
    throw new Error(`express-bindid/testing: the app redirected to ${url.pathname} on the emulator, not to ${path}`);
  }
  return url;
}

/** Complete `/authorize` as `identity` (the emulator's shortcut); the callback URL it redirects to. */
async function completeAuthorize(bindid: TestBindId, authorize: URL, identity: string): Promise<URL> {
  authorize.searchParams.delete('identity');
  authorize.searchParams.append('identity', identity);
  const res = await fetch(authorize, { redirect: 'manual' });
  const location = res.headers.get('location');
  await res.body?.cancel();
  if (res.status !== 302 || location === null) {
    const sent = authorize.searchParams.get('redirect_uri');
    const hint =
      sent !== bindid.redirectUri
        ? ` The app's redirect_uri (${sent}) is not the redirectUri given to startTestBindId (${bindid.redirectUri}).`
        : '';
    throw new Error(`express-bindid/testing: the emulator's /authorize answered ${res.status}, not a redirect back to the app.${hint}`);
  }
  return new URL(location);
}

/** The payload of a JWT (not verified: it comes from the local emulator, over loopback). */
function idTokenClaims(idToken: string): MintedPendingLogin['claims'] {
  const payload = idToken.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (typeof claims.sub !== 'string') throw new Error(`${MINT}: the emulator's ID token has no sub`);
  return claims as MintedPendingLogin['claims'];
}
