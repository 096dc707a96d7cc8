/**
 * Where the OpenID endpoints come from (issue 14 §1, §2): a discovery that shows a wrong
 * configuration (another issuer, a trailing slash, a redirect, a 4xx, HTML, a missing endpoint) is
 * `ERR_BINDID_CONFIGURATION` (500, not retryable) with a message naming the fix, never the retryable
 * `ERR_BINDID_UNAVAILABLE`, which stays for an unreachable BindID (network, 5xx); and static
 * metadata replaces discovery without any request to it.
 */
import { createServer } from 'node:net';
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import { ErrorCode, isBindIdError } from '../../src/index.js';
import { BindIdFeedbackError } from '../../src/errors.js';
import type { BindIdOidcClient, OidcSettings } from '../../src/oidc/bindid-oidc-client.js';
import { loginError, OIDC_REDIRECT, oidcClient } from '../helpers/oidc-client.js';
import { recordOutbound } from '../helpers/outbound.js';

const REDIRECT = OIDC_REDIRECT;

let emulator: Emulator;

beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: [REDIRECT] });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
});

function client(overrides: Partial<OidcSettings> = {}): BindIdOidcClient {
  return oidcClient(emulator, overrides);
}

/** The emulator's own discovery document with `change` applied. */
async function documentWith(change: (doc: Record<string, unknown>) => void): Promise<string> {
  const doc = (await (await fetch(`${emulator.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  change(doc);
  return JSON.stringify(doc);
}

function expectConfigurationError(err: unknown, fix: RegExp): void {
  expect(isBindIdError(err, ErrorCode.CONFIGURATION)).toBe(true);
  expect(err).toBeInstanceOf(BindIdFeedbackError);
  expect(err).toMatchObject({ status: 500, retryable: false, expose: false });
  expect((err as Error).message).toContain(`${emulator.issuer}/.well-known/openid-configuration`);
  expect((err as Error).message).toMatch(fix);
}

describe('discovery showing a wrong configuration is ERR_BINDID_CONFIGURATION, not a retryable 503', () => {
  it('N162 another issuer in the document', async () => {
    emulator.setFault('discovery', { status: 200, body: await documentWith((d) => (d.issuer = 'https://signin.bindid.io')) });
    const err = await loginError(client());
    expectConfigurationError(err, /names another issuer \(https:\/\/signin\.bindid\.io\/\)\. Set issuer to BindID's sign-in host exactly/);
  });

  it('N162 the same issuer with a trailing slash (ID tokens would never match it)', async () => {
    emulator.setFault('discovery', { status: 200, body: await documentWith((d) => (d.issuer = `${emulator.issuer}/`)) });
    const err = await loginError(client());
    expectConfigurationError(err, /with a trailing slash.*give static `metadata`/);
  });

  it.each([301, 302, 307, 308])('N162 a redirect (%i), which is not followed', async (status) => {
    emulator.setFault('discovery', { status });
    const err = await loginError(client());
    expectConfigurationError(err, new RegExp(`answered with a redirect \\(HTTP ${status}\\), which is not followed\\. Set issuer to the host`));
  });

  it('a page that is not JSON (the app or a web page at the issuer URL)', async () => {
    emulator.setFault('discovery', { status: 200, body: '<!doctype html><title>Sign in</title>' });
    const err = await loginError(client());
    expectConfigurationError(err, /did not answer with a JSON discovery document\. Check issuer/);
    expect((err as Error).message).not.toContain('doctype');
  });

  it('a 404 (the API host given as issuer, say)', async () => {
    emulator.setFault('discovery', { status: 404, body: '{"error":"not_found"}' });
    const err = await loginError(client());
    expectConfigurationError(err, /answered HTTP 404: there is no discovery document there\. Check issuer: .*not the API host/);
  });

  it.each(['authorization_endpoint', 'jwks_uri'])('a document without %s', async (name) => {
    emulator.setFault('discovery', { status: 200, body: await documentWith((d) => delete d[name]) });
    const err = await loginError(client());
    expectConfigurationError(err, new RegExp(`has a ${name} that is missing\\. Give the endpoints by hand with the \`metadata\` option`));
  });

  it('N162 a document whose token endpoint is plain http on a public host', async () => {
    emulator.setFault('discovery', { status: 200, body: await documentWith((d) => (d.token_endpoint = 'http://bindid.example/token')) });
    const err = await loginError(client());
    expectConfigurationError(err, /has a token_endpoint that is unusable \(must use https:/);
  });

  it('is tried again at the next login: once the document is right, the sign-in starts', async () => {
    emulator.setFault('discovery', { status: 302, times: 1 });
    const c = client();
    expectConfigurationError(await loginError(c), /redirect/);
    const { url } = await c.authorizationRequest('/', Date.now());
    expect(url.startsWith(`${emulator.issuer}/authorize?`)).toBe(true);
  });
});

describe('BindID unreachable stays the retryable ERR_BINDID_UNAVAILABLE (503)', () => {
  it.each([500, 503, 429])('discovery answering %i', async (status) => {
    emulator.setFault('discovery', { status });
    const err = await loginError(client());
    expect(isBindIdError(err, ErrorCode.UNAVAILABLE)).toBe(true);
    expect(err).toMatchObject({ status: 503, retryable: true });
  });

  it('nothing listening at the issuer', async () => {
    const port = await closedPort();
    const err = await loginError(client({ issuer: `http://127.0.0.1:${port}` }));
    expect(isBindIdError(err, ErrorCode.UNAVAILABLE)).toBe(true);
    expect(err).toMatchObject({ status: 503, retryable: true });
  });
});

describe('static metadata instead of discovery', () => {
  const metadata = () => ({
    issuer: emulator.issuer,
    authorization_endpoint: `${emulator.issuer}/authorize`,
    token_endpoint: `${emulator.issuer}/token`,
    jwks_uri: `${emulator.issuer}/jwks`,
  });

  it('makes no discovery request, and a whole sign-in (code exchange, ID token signature) works', async () => {
    // Discovery would fail: static metadata must not ask for it.
    emulator.setFault('discovery', { status: 500 });
    const outbound = recordOutbound();
    try {
      const c = client({ metadata: metadata() });
      const { url, transaction } = await c.authorizationRequest('/', Date.now());
      const res = await fetch(`${url}&identity=new`, { redirect: 'manual' });
      const callback = new URL(res.headers.get('location') ?? '');
      const result = await c.callback(callback.search.slice(1), transaction);
      expect(result.claims.iss).toBe(emulator.issuer);
      expect(result.claims.sub).toEqual(expect.any(String));
      const paths = outbound.requests.filter((r) => r.origin === emulator.issuer).map((r) => r.path.split('?')[0]);
      expect(paths).not.toContain('/.well-known/openid-configuration');
      expect(paths).toEqual(expect.arrayContaining(['/token', '/jwks']));
    } finally {
      outbound.stop();
    }
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
