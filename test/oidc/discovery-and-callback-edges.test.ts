/**
 * Edges of discovery and of the callback not covered by the emulator suites, against tiny loopback
 * servers: a redirect names where it goes (origin and path only, never the query, never an overlong
 * URL), a host that hangs or is not listening over https is the retryable ERR_BINDID_UNAVAILABLE;
 * a sign-in with PKCE off sends no challenge and no verifier; `access_denied` is a 403; a token
 * answer without an ID token is a 400 "could not be verified"; a token endpoint that is down is a
 * retryable 503.
 */
import diagnostics from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import { createSigningKey } from '../../src/emulator/keys.js';
import { DIAGNOSTICS_CHANNELS, ErrorCode, isBindIdError } from '../../src/index.js';
import { BindIdFeedbackError } from '../../src/errors.js';
import type { BindIdOidcClient, OidcSettings } from '../../src/oidc/bindid-oidc-client.js';
import { loginError, OIDC_REDIRECT, oidcClient } from '../helpers/oidc-client.js';
import { TEST_SIGNING_KEY } from '../helpers/signing-key.js';
import { discoveryError, isUnreachable } from '../../src/oidc/oidc-configuration.js';
import { urlProblem } from '../../src/oidc/static-metadata.js';
import { type Answer, json, type LoopbackServer, loopbackServer } from '../doctor/loopback-server.js';

const REDIRECT = OIDC_REDIRECT;

let emulator: Emulator;
let handle: (path: string, base: string) => Answer | 'hang' = () => ({ status: 404 });
let srv: LoopbackServer;

beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: [REDIRECT], signingKey: TEST_SIGNING_KEY });
  srv = await loopbackServer((req, base) => handle(req.url ?? '', base));
});
afterAll(async () => {
  await Promise.all([emulator.close(), srv.close()]);
});
beforeEach(() => {
  emulator.clearFaults();
});

function client(overrides: Partial<OidcSettings> = {}): BindIdOidcClient {
  return oidcClient(emulator, overrides);
}

function expectUnavailable(err: unknown): void {
  expect(isBindIdError(err, ErrorCode.UNAVAILABLE)).toBe(true);
  expect(err).toBeInstanceOf(BindIdFeedbackError);
  expect(err).toMatchObject({ status: 503, retryable: true });
}

describe('discovery', () => {
  it('N171 a redirect names its target by origin and path only: the query is not repeated', async () => {
    handle = () => ({ status: 302, headers: { location: '/elsewhere/.well-known/openid-configuration?token=hunter2-secret' } });
    const err = await loginError(client({ issuer: srv.url }));
    expect(isBindIdError(err, ErrorCode.CONFIGURATION)).toBe(true);
    expect((err as Error).message).toContain(
      `answered with a redirect (HTTP 302 to ${srv.url}/elsewhere/.well-known/openid-configuration), which is not followed`,
    );
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('N171 a redirect to an overlong URL is shown as "an unprintable URL", not echoed', async () => {
    handle = () => ({ status: 301, headers: { location: `https://elsewhere.example/${'a'.repeat(300)}` } });
    const err = await loginError(client({ issuer: srv.url }));
    expect((err as Error).message).toContain('answered with a redirect (HTTP 301 to an unprintable URL)');
    expect((err as Error).message).not.toContain('aaaa');
  });

  it('N172 a document whose token endpoint carries credentials or a fragment is ERR_BINDID_CONFIGURATION, the credentials not repeated', async () => {
    for (const token of ['https://client:pa55word@signin.example/token', 'https://signin.example/token#frag']) {
      handle = (_path, base) =>
        json({ issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: token, jwks_uri: `${base}/jwks` });
      const err = await loginError(client({ issuer: srv.url }));
      expect(isBindIdError(err, ErrorCode.CONFIGURATION)).toBe(true);
      expect((err as Error).message).toContain('has a token_endpoint that is unusable (must not contain credentials or a fragment)');
      expect((err as Error).message).not.toContain('pa55word');
    }
  });

  it('urlProblem: a value that is not a non-empty string is not an https URL', () => {
    for (const value of [undefined, 42, '', ['https://signin.example/token']]) expect(urlProblem(value)).toBe('must be an absolute https: URL');
    expect(urlProblem('https://signin.example/token')).toBeUndefined();
  });

  it('a discovery that never answers times out as the retryable 503, and the next login asks again', async () => {
    // openid-client's timeout (AbortSignal.timeout, rounded up to 1 s) is Node's own timer: how long this takes is measured in timeouts.timing.ts.
    handle = () => 'hang';
    const c = client({ issuer: srv.url, timeoutMs: 100 });
    expectUnavailable(await loginError(c));
    const before = srv.requests.length;
    handle = () => ({ status: 500 });
    expectUnavailable(await loginError(c));
    expect(srv.requests.length).toBe(before + 1);
  });

  it('an https issuer with nothing listening is the retryable 503', async () => {
    const closed = await loopbackServer(() => ({ status: 500 }));
    await closed.close();
    expectUnavailable(await loginError(client({ issuer: closed.url.replace('http:', 'https:') })));
  });

  it('isUnreachable: openid-client\'s timeout and abort codes, and a nested fetch failure, count; other errors do not', () => {
    expect(isUnreachable({ code: 'OAUTH_TIMEOUT' })).toBe(true);
    expect(isUnreachable({ code: 'OAUTH_ABORT' })).toBe(true);
    expect(isUnreachable({ name: 'ClientError', cause: new TypeError('fetch failed') })).toBe(true);
    expect(isUnreachable({ name: 'ClientError', cause: { cause: new TypeError('fetch failed') } })).toBe(false);
    expect(isUnreachable(new RangeError('fetch failed'))).toBe(false);
    expect(isUnreachable({ name: 'TimeoutError' })).toBe(true);
    expect(isUnreachable({ name: 'ClientError', cause: { name: 'AbortError' } })).toBe(true);
    expect(isUnreachable(null)).toBe(false);
  });

  it('discoveryError: an issuer mismatch without a readable issuer says "none"; an unknown failure is a 500 naming only its class', () => {
    const mismatch = discoveryError({ code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED', cause: { body: {} } }, 'https://signin.example');
    expect(mismatch).toMatchObject({ code: ErrorCode.CONFIGURATION, status: 500 });
    expect(mismatch.message).toContain('names another issuer (none)');
    const other = discoveryError(new RangeError('the secret s3cr3t leaked here'), 'https://signin.example');
    expect(other).toMatchObject({ code: ErrorCode.CONFIGURATION, status: 500, retryable: false });
    expect(other.message).toBe(
      "express-bindid: BindID discovery at https://signin.example/.well-known/openid-configuration failed. Check issuer: it must be BindID's sign-in host (BINDID_HOSTS).",
    );
    expect(JSON.stringify({ message: other.message, cause: String(other.cause) })).not.toContain('s3cr3t');
    expect((other.cause as Error).message).toBe('discovery RangeError');
    const odd = new Error('x');
    odd.name = '42';
    expect((discoveryError(odd, 'https://signin.example').cause as Error).message).toBe('discovery Error');
    const primitive = discoveryError('a string', 'https://signin.example');
    expect(primitive.message).toMatch(/failed\. Check issuer/);
    expect((primitive.cause as Error).message).toBe('discovery unknown');
  });
});

describe('the callback', () => {
  /** Start a sign-in with `c` and come back with `params` (the transaction's state added). */
  async function callbackWith(c: BindIdOidcClient, params: Record<string, string>): Promise<unknown> {
    const { transaction } = await c.authorizationRequest('/', Date.now());
    const query = new URLSearchParams({ state: transaction.state, ...params }).toString();
    return c.callback(query, transaction).then(
      (result) => result,
      (err: unknown) => err,
    );
  }

  it('with pkce: false, the authorization URL has no code_challenge, the transaction no verifier, and the sign-in completes', async () => {
    const c = client({ pkce: false });
    const { url, transaction } = await c.authorizationRequest('/', Date.now());
    const params = new URL(url).searchParams;
    expect(params.has('code_challenge')).toBe(false);
    expect(params.has('code_challenge_method')).toBe(false);
    expect(transaction).not.toHaveProperty('codeVerifier');
    const res = await fetch(`${url}&identity=new`, { redirect: 'manual' });
    const callback = new URL(res.headers.get('location') ?? '');
    const result = await c.callback(callback.search.slice(1), transaction);
    expect(result).toMatchObject({ accessToken: expect.any(String), claims: { iss: emulator.issuer } });
    const withPkce = await client().authorizationRequest('/', Date.now());
    expect(new URL(withPkce.url).searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('N174 the token-exchange trace tells a returning user (an alias in the ID token) from a new one, without the claims', async () => {
    const ends: Array<Record<string, unknown>> = [];
    const asyncEnd = `tracing:${DIAGNOSTICS_CHANNELS.tokenExchange}:asyncEnd`;
    const onEnd = (message: unknown): void => {
      ends.push({ ...(message as Record<string, unknown>) });
    };
    diagnostics.subscribe(asyncEnd, onEnd);
    try {
      const sub = emulator.addIdentity({ id: 'returning-erin' });
      const c = client();
      const signIn = async () => {
        const { url, transaction } = await c.authorizationRequest('/', Date.now());
        const res = await fetch(`${url}&identity=returning-erin`, { redirect: 'manual' });
        return c.callback(new URL(res.headers.get('location') ?? '').search.slice(1), transaction);
      };
      expect((await signIn()).claims.bindid_alias).toBeUndefined();
      emulator.setAlias(sub, 'app-user-7');
      expect((await signIn()).claims.bindid_alias).toBe('app-user-7');
      expect(ends.map((end) => end.returningUser)).toEqual([false, true]);
      expect(JSON.stringify(ends)).not.toContain('app-user-7');

      // An empty or non-string bindid_alias is no returning user (the flow refuses it as unusable).
      const withAlias = async (alias: unknown) => {
        const { url, transaction } = await c.authorizationRequest('/', Date.now());
        const now = Math.floor(Date.now() / 1000);
        const idToken = createSigningKey(TEST_SIGNING_KEY).sign({
          iss: emulator.issuer,
          aud: emulator.clientId,
          sub,
          nonce: new URL(url).searchParams.get('nonce'),
          iat: now,
          exp: now + 600,
          auth_time: now,
          bindid_alias: alias,
        });
        const body = { access_token: 'A'.repeat(43), token_type: 'Bearer', expires_in: 3600, id_token: idToken };
        emulator.setFault('token', { status: 200, times: 1, body: JSON.stringify(body) });
        const res = await fetch(`${url}&identity=returning-erin`, { redirect: 'manual' });
        return c.callback(new URL(res.headers.get('location') ?? '').search.slice(1), transaction);
      };
      expect((await withAlias('')).claims.bindid_alias).toBe('');
      expect((await withAlias(7)).claims.bindid_alias).toBe(7);
      expect(ends.map((end) => end.returningUser)).toEqual([false, true, false, false]);
    } finally {
      diagnostics.unsubscribe(asyncEnd, onEnd);
    }
  });

  it('access_denied (the user cancelled) is a 403 ACCESS_DENIED', async () => {
    const err = await callbackWith(client(), { error: 'access_denied' });
    expect(isBindIdError(err, ErrorCode.ACCESS_DENIED)).toBe(true);
    expect(err).toMatchObject({ status: 403, message: 'The BindID sign-in was cancelled.' });
  });

  it('a token answer without an ID token is a 400 CALLBACK_INVALID "could not be verified", not retryable', async () => {
    emulator.setFault('token', { status: 200, body: '{"access_token":"at-1","token_type":"Bearer","expires_in":60}', times: 1 });
    const err = await callbackWith(client({ pkce: false }), { code: 'any-code' });
    expect(isBindIdError(err, ErrorCode.CALLBACK_INVALID)).toBe(true);
    expect(err).toMatchObject({ status: 400, message: 'The BindID sign-in could not be verified. Start again.' });
  });

  it('a token answer without a usable expires_in gives the access token a lifetime of 3600 s', async () => {
    // A token endpoint in front of the emulator's that removes expires_in (or makes it 0) from the answer.
    let lifetime: unknown;
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const answer = await fetch(`${emulator.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? '' },
          body: Buffer.concat(chunks),
        });
        const tokens = (await answer.json()) as Record<string, unknown>;
        if (lifetime === undefined) delete tokens.expires_in;
        else tokens.expires_in = lifetime;
        res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(tokens));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const metadata = {
        issuer: emulator.issuer,
        authorization_endpoint: `${emulator.issuer}/authorize`,
        token_endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/token`,
        jwks_uri: `${emulator.issuer}/jwks`,
      };
      const c = client({ metadata });
      for (const given of [undefined, 0]) {
        lifetime = given;
        const { url, transaction } = await c.authorizationRequest('/', Date.now());
        const res = await fetch(`${url}&identity=new`, { redirect: 'manual' });
        const result = await c.callback(new URL(res.headers.get('location') ?? '').search.slice(1), transaction);
        expect(result).toMatchObject({ accessToken: expect.any(String), expiresIn: 3600 });
      }
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('a token endpoint that is down is the retryable 503 UNAVAILABLE', async () => {
    const doc = (await (await fetch(`${emulator.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    const closed = await loopbackServer(() => ({ status: 500 }));
    await closed.close();
    const metadata = {
      issuer: emulator.issuer,
      authorization_endpoint: doc.authorization_endpoint as string,
      token_endpoint: `${closed.url}/token`,
      jwks_uri: doc.jwks_uri as string,
    };
    const err = await callbackWith(client({ metadata }), { code: 'any-code' });
    expectUnavailable(err);
  });
});
