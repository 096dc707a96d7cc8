/**
 * `checkDiscovery` against tiny loopback servers: each way a sign-in host's metadata can be wrong
 * gives its own FAIL line with what was seen and a fix (unreachable, 404, an empty body, a redirect
 * of the JWKS, a JWKS that is not 200 or has no keys, a document without issuer or endpoints, plain
 * http endpoints off this machine), and what the later client-auth check is told to use.
 */
import { checkDiscovery } from '../../src/doctor/discovery-checks.js';
import type { ProbeContext } from '../../src/doctor/ask.js';
import { Redactor } from '../../src/doctor/redactor.js';
import type { BindIdSetupCheck } from '../../src/doctor/types.js';
import { type Answer, json, type LoopbackServer, loopbackServer } from './loopback-server.js';

let handle: (path: string, base: string) => Answer | 'drop' = () => ({ status: 404 });
let srv: LoopbackServer;
beforeAll(async () => {
  srv = await loopbackServer((req, base) => handle(req.url ?? '', base));
});
afterAll(() => srv.close());
beforeEach(() => {
  srv.requests.length = 0;
});

function context(): ProbeContext {
  return { timeoutMs: 2000, now: Date.now, dates: [], redactor: new Redactor() };
}

/** A discovery document of `base` with `patch` applied (`undefined` removes a field). */
function documentOf(base: string, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const document: Record<string, unknown> = {
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
  };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete document[key];
    else document[key] = value;
  }
  return document;
}

const RSA_KEY = { kty: 'RSA', use: 'sig', alg: 'RS256', kid: 'k1', n: 'sXch', e: 'AQAB' };

function byId(checks: BindIdSetupCheck[]): Record<string, BindIdSetupCheck> {
  return Object.fromEntries(checks.map((check) => [check.id, check]));
}

it('an issuer nobody listens on fails discovery with the connection error and a reachability fix; the checks that need it are skipped, and there is no token endpoint', async () => {
  const closed = await loopbackServer(() => ({ status: 500 }));
  await closed.close();
  const outcome = await checkDiscovery(closed.url, context());
  const { checks } = outcome;
  expect(checks.map((c) => [c.id, c.status])).toEqual([['discovery', 'fail'], ['issuer', 'skipped'], ['endpoints', 'skipped'], ['jwks', 'skipped'], ['capabilities', 'skipped']]);
  expect(checks[0]).toEqual({
    id: 'discovery',
    status: 'fail',
    detail: `no answer from ${new URL(closed.url).host} (ECONNREFUSED)`,
    fix: 'check the issuer URL and that this machine can reach it (DNS, proxy, firewall)',
  });
  expect(byId(checks).jwks).toEqual({ id: 'jwks', status: 'skipped', detail: 'not checked: discovery failed' });
  expect(outcome).toMatchObject({ found: false, failure: { answered: false } });
  expect(outcome.tokenEndpoint).toBeUndefined();
});

it('a 404 at the well-known URL fails discovery with the status, not a JSON complaint', async () => {
  handle = () => ({ status: 404, headers: { 'content-type': 'application/json' }, body: '{"error":"not_found"}' });
  const { checks, failure } = await checkDiscovery(srv.url, context());
  expect(byId(checks).discovery?.detail).toBe(`${srv.url}/.well-known/openid-configuration answered 404`);
  expect(byId(checks).discovery?.fix).toMatch(/^set issuer to BindID's sign-in host/);
  expect(failure).toEqual({ problem: `${srv.url}/.well-known/openid-configuration answered 404`, answered: true });
});

it('N191 a discovery answer over 1 MiB fails discovery ("larger than 1 MiB") with the issuer fix: the host answered, but not as BindID', async () => {
  handle = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: ' '.repeat(1024 * 1024 + 1) });
  const { checks, failure } = await checkDiscovery(srv.url, context());
  expect(byId(checks).discovery).toEqual({
    id: 'discovery',
    status: 'fail',
    detail: `the answer from ${new URL(srv.url).host} is larger than 1 MiB: the doctor stopped reading it`,
    fix: expect.stringMatching(/^set issuer to BindID's sign-in host/),
  });
  expect(failure?.answered).toBe(true);
});

it('a 200 without Content-Type whose body is not a JSON object says "a body"', async () => {
  handle = () => ({ status: 200, body: '[]' });
  const { checks } = await checkDiscovery(srv.url, context());
  expect(byId(checks).discovery?.detail).toBe(`${srv.url}/.well-known/openid-configuration answered a body that is not a JSON object`);
});

it('a document without issuer, without endpoints, or with non-http ones fails issuer and endpoints, skips jwks, and asks for no JWKS', async () => {
  handle = (path, base) =>
    path === '/.well-known/openid-configuration'
      ? json(documentOf(base, { issuer: undefined, token_endpoint: undefined, authorization_endpoint: 'ftp://files.example/authorize', jwks_uri: 'not a url' }))
      : { status: 404 };
  const { checks, tokenEndpoint } = await checkDiscovery(srv.url, context());
  const found = byId(checks);
  expect(found.discovery?.status).toBe('pass');
  expect(found.issuer).toMatchObject({ status: 'fail', detail: 'the discovery document has no "issuer"' });
  expect(found.endpoints).toMatchObject({
    status: 'fail',
    detail: 'missing or not an http(s) URL: authorization_endpoint, token_endpoint, jwks_uri',
    fix: expect.stringMatching(/^the issuer does not look like BindID's sign-in host/),
  });
  expect(found.jwks).toEqual({ id: 'jwks', status: 'skipped', detail: 'not checked: the discovery document has no usable jwks_uri' });
  expect(srv.requests).toEqual(['GET /.well-known/openid-configuration']);
  // No token endpoint in the document: the secret has nowhere to go (no guessed <issuer>/token).
  expect(tokenEndpoint).toBeUndefined();
});

it('plain http endpoints on another host fail endpoints, naming them (both problems at once)', async () => {
  handle = (path, base) =>
    path === '/jwks'
      ? json({ keys: [RSA_KEY] })
      : json(documentOf(base, { authorization_endpoint: 'http://signin.example/authorize', token_endpoint: undefined }));
  const { checks } = await checkDiscovery(srv.url, context());
  const found = byId(checks);
  expect(found.issuer?.status).toBe('pass');
  expect(found.endpoints?.detail).toBe('missing or not an http(s) URL: token_endpoint; plain http off this machine: authorization_endpoint');
  expect(found.jwks).toMatchObject({ status: 'pass', detail: `1 RS256 signing key(s) at ${srv.url}/jwks` });
  handle = (path, base) =>
    path === '/jwks' ? json({ keys: [RSA_KEY] }) : json(documentOf(base, { token_endpoint: 'http://signin.example/token' }));
  const { checks: insecure, tokenEndpoint } = await checkDiscovery(srv.url, context());
  expect(byId(insecure).endpoints?.detail).toBe('plain http off this machine: token_endpoint');
  expect(tokenEndpoint).toBe('http://signin.example/token'); // client-auth refuses it: not on the issuer's host
});

it('a JWKS URL that drops the connection fails jwks with a reachability fix', async () => {
  handle = (path, base) => (path === '/jwks' ? 'drop' : json(documentOf(base)));
  const { checks, tokenEndpoint } = await checkDiscovery(srv.url, context());
  expect(byId(checks).jwks).toEqual({
    id: 'jwks',
    status: 'fail',
    detail: expect.stringMatching(new RegExp(`^no answer from ${new URL(srv.url).host} \\(\\w+\\)$`)),
    fix: 'check that this machine can reach the sign-in host',
  });
  expect(tokenEndpoint).toBe(`${srv.url}/token`);
});

it('a JWKS URL that redirects fails jwks without following the redirect', async () => {
  handle = (path, base) => (path === '/jwks' ? { status: 302, headers: { location: `${base}/keys` } } : json(documentOf(base)));
  const { checks } = await checkDiscovery(srv.url, context());
  expect(byId(checks).jwks?.detail).toBe(`${srv.url}/jwks redirects (302) to ${srv.url}/keys`);
  expect(byId(checks).jwks?.fix).toMatch(/BindID signs ID tokens with RS256/);
  expect(srv.requests).not.toContain('GET /keys');
});

it('a JWKS that answers 500, or 200 without a "keys" array, fails jwks with the status', async () => {
  handle = (path, base) => (path === '/jwks' ? json({ keys: [RSA_KEY] }, 500) : json(documentOf(base)));
  expect(byId((await checkDiscovery(srv.url, context())).checks).jwks?.detail).toBe(`${srv.url}/jwks answered 500 without a "keys" array`);
  handle = (path, base) => (path === '/jwks' ? json({ keys: 'none' }) : json(documentOf(base)));
  expect(byId((await checkDiscovery(srv.url, context())).checks).jwks?.detail).toBe(`${srv.url}/jwks answered 200 without a "keys" array`);
});

it('only an RSA signing key usable for RS256 counts: not null, an encryption key, a PS256 key or one without a modulus', async () => {
  const keys = [null, { ...RSA_KEY, use: 'enc' }, { ...RSA_KEY, alg: 'PS256' }, { kty: 'RSA', e: 'AQAB' }];
  handle = (path, base) => (path === '/jwks' ? json({ keys }) : json(documentOf(base)));
  expect(byId((await checkDiscovery(srv.url, context())).checks).jwks?.detail).toBe(
    `${srv.url}/jwks has 4 key(s), none an RSA signing key for RS256`,
  );
  const { use: _use, alg: _alg, ...bare } = RSA_KEY;
  handle = (path, base) => (path === '/jwks' ? json({ keys: [...keys, bare] }) : json(documentOf(base)));
  expect(byId((await checkDiscovery(srv.url, context())).checks).jwks?.status).toBe('pass');
});
