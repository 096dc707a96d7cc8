/**
 * Issue 24, point 5: the doctor's probes of what only a real BindID shows, against a fake BindID on
 * 127.0.0.1 answering each case, healthy and failing:
 *
 * - `pkce`: two invalid-code exchanges, with and without a dummy `code_verifier`, compared: alike
 *   PASS, different WARN advising `pkce: false` (PASS when the app already has it off);
 * - `capabilities`: the discovery document's `iss` parameter, `S256`, `client_secret_post` and
 *   `RS256`, a WARN per finding on one line, which does not fail the report;
 * - `authorize`: the app's authorization request, redirects not followed: the sign-in page or a
 *   redirect back without an error PASS; a redirect back with `error=`, an error page or a redirect
 *   to another host FAIL with the likely causes; another page of the sign-in host WARN.
 */
import { ErrorCode } from '../../src/errors.js';
import { checkBindIdSetup } from '../../src/doctor/check-bindid-setup.js';
import { formatSetupReport } from '../../src/doctor/format.js';
import type { BindIdSetupCheck, BindIdSetupCheckId, BindIdSetupOptions, BindIdSetupReport } from '../../src/doctor/types.js';
import { type Answer, json, type LoopbackServer, loopbackServer } from './loopback-server.js';

const SECRET = 'probe-secret-value';
const REDIRECT_URI = 'http://localhost:3000/bindid/callback';
const RSA_KEY = { kty: 'RSA', use: 'sig', alg: 'RS256', kid: 'k1', n: 'sXch', e: 'AQAB' };
const CAPABLE = {
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['client_secret_post'],
  id_token_signing_alg_values_supported: ['RS256'],
};
const INVALID_GRANT = json({ error: 'invalid_grant', error_description: 'the code is unknown' }, 400);

/** What the fake BindID answers; each test changes what it needs. */
interface Fake {
  document: (base: string) => Record<string, unknown>;
  token: (body: URLSearchParams) => Answer;
  authorize: (query: URLSearchParams, base: string) => Answer;
}

function healthyFake(): Fake {
  return {
    document: (base) => ({ issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`, ...CAPABLE }),
    token: () => INVALID_GRANT,
    authorize: () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html><title>Sign in</title></html>' }),
  };
}

let fake: Fake = healthyFake();
let signIn: LoopbackServer;
let api: LoopbackServer;
beforeAll(async () => {
  signIn = await loopbackServer((req, base) => {
    const url = new URL(req.url ?? '/', base);
    if (url.pathname === '/.well-known/openid-configuration') return json(fake.document(base));
    if (url.pathname === '/jwks') return json({ keys: [RSA_KEY] });
    if (url.pathname === '/authorize') return fake.authorize(url.searchParams, base);
    if (url.pathname === '/token') return fake.token(new URLSearchParams(signIn.bodies[signIn.bodies.length - 1]));
    return { status: 404 };
  });
  api = await loopbackServer(() => ({ status: 401 }));
});
afterAll(() => Promise.all([signIn.close(), api.close()]));
beforeEach(() => {
  fake = healthyFake();
  signIn.requests.length = 0;
  signIn.bodies.length = 0;
});

function options(extra: Partial<BindIdSetupOptions> = {}): BindIdSetupOptions {
  return { issuer: signIn.url, apiUrl: api.url, clientId: 'cid', clientSecret: SECRET, redirectUri: REDIRECT_URI, ...extra };
}

function check(report: BindIdSetupReport, id: BindIdSetupCheckId): BindIdSetupCheck | undefined {
  return report.checks.find((one) => one.id === id);
}

/** The token requests' bodies. */
function tokenBodies(): URLSearchParams[] {
  return signIn.requests.flatMap((request, i) => (request === 'POST /token' ? [new URLSearchParams(signIn.bodies[i])] : []));
}

/** The one authorization request's parameters. */
function authorizeQuery(): URLSearchParams {
  const requests = signIn.requests.filter((request) => request.startsWith('GET /authorize?'));
  expect(requests).toHaveLength(1);
  return new URL(requests[0]?.slice('GET '.length) ?? '', signIn.url).searchParams;
}

describe('pkce: an invalid code with and without a dummy code_verifier', () => {
  it('alike (both invalid_grant): PASS; three exchanges, each with the secret in the body, one with a 43-character verifier', async () => {
    const report = await checkBindIdSetup(options());
    expect(report.ok).toBe(true);
    expect(check(report, 'pkce')).toEqual({
      id: 'pkce',
      status: 'pass',
      detail: 'an invalid code got 400 invalid_grant with a dummy code_verifier as without one: nothing suggests BindID refuses PKCE with the client secret',
    });
    const bodies = tokenBodies();
    expect(bodies.map((body) => body.get('client_secret'))).toEqual([SECRET, SECRET, SECRET]);
    expect(bodies.map((body) => body.get('code_verifier')?.length ?? 0).sort()).toEqual([0, 0, 43]);
    expect(new Set(bodies.map((body) => body.get('code'))).size).toBe(3);
  });

  it('different (invalid_request about PKCE with the verifier): WARN advising pkce: false, which does not fail the report', async () => {
    fake.token = (body) =>
      body.has('code_verifier') ? json({ error: 'invalid_request', error_description: 'PKCE is not allowed with a client secret' }, 400) : INVALID_GRANT;
    const report = await checkBindIdSetup(options());
    expect(check(report, 'pkce')).toEqual({
      id: 'pkce',
      status: 'warn',
      detail:
        'an invalid code got 400 invalid_grant without a code_verifier but 400 invalid_request ("PKCE is not allowed with a client secret") with a dummy one: BindID may refuse PKCE together with the client secret, and every sign-in fail at the token exchange (ERR_BINDID_CALLBACK_INVALID)',
      fix: expect.stringMatching(/^set pkce: false in the options of bindIdRouter or BindIdStrategy/),
    });
    expect(report.ok).toBe(true);
    const text = formatSetupReport(report);
    expect(text).toMatch(/^WARN {2}pkce {10}an invalid code got 400 invalid_grant without .*\n {20}fix: set pkce: false/m);
    expect(text).toContain('All 12 checks passed, 1 with a warning.');
  });

  it('different, with pkce: false given: PASS, the app already sends no verifier', async () => {
    fake.token = (body) => (body.has('code_verifier') ? json({ error: 'invalid_request' }, 400) : INVALID_GRANT);
    const report = await checkBindIdSetup(options({ pkce: false }));
    expect(check(report, 'pkce')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/but 400 invalid_request with a dummy one; pkce is off, as this suggests$/) });
  });

  it('a refused client: not compared (client-auth fails and says why)', async () => {
    fake.token = () => json({ error: 'invalid_client' }, 401);
    const report = await checkBindIdSetup(options());
    expect(check(report, 'pkce')).toEqual({
      id: 'pkce',
      status: 'skipped',
      detail: 'not checked: an invalid code got 401 invalid_client, not invalid_grant (see client-auth)',
    });
    expect(check(report, 'client-auth')?.status).toBe('fail');
  });

  it('N189 a token endpoint that redirects the exchange with the verifier: FAIL, and the secret does not follow', async () => {
    fake.token = (body) => (body.has('code_verifier') ? { status: 307, headers: { location: `${signIn.url}/elsewhere` } } : INVALID_GRANT);
    const report = await checkBindIdSetup(options());
    expect(check(report, 'pkce')).toMatchObject({ status: 'fail', detail: `${signIn.url}/token redirects (307) to ${signIn.url}/elsewhere` });
    expect(signIn.requests).not.toContain('POST /elsewhere');
  });
});

describe('capabilities: what the discovery document advertises', () => {
  it('S256, client_secret_post and RS256 without the iss parameter: PASS', async () => {
    const report = await checkBindIdSetup(options());
    expect(check(report, 'capabilities')).toEqual({
      id: 'capabilities',
      status: 'pass',
      detail: 'S256, client_secret_post and RS256 advertised; no iss parameter required in callbacks',
    });
  });

  it('the iss parameter required, and no S256, client_secret_post or RS256: one WARN line with each finding and its fix; the report stays ok', async () => {
    fake.document = (base) => ({
      ...healthyFake().document(base),
      authorization_response_iss_parameter_supported: true,
      code_challenge_methods_supported: ['plain'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    const report = await checkBindIdSetup(options());
    const capabilities = check(report, 'capabilities');
    expect(capabilities?.status).toBe('warn');
    expect(capabilities?.detail.split('; ')).toEqual([
      'authorization_response_iss_parameter_supported is true: every callback must carry iss equal to the issuer, and the library (openid-client, RFC 9207) refuses one without it (ERR_BINDID_CALLBACK_INVALID, 400)',
      'code_challenge_methods_supported is [plain], without S256',
      'token_endpoint_auth_methods_supported is [client_secret_basic, private_key_jwt], without client_secret_post (the library sends the secret in the form body)',
      'id_token_signing_alg_values_supported is [ES256], without RS256 (the library accepts RS256 ID tokens only)',
    ]);
    expect(capabilities?.fix?.split('; ')).toEqual([
      expect.stringMatching(/give the four endpoints as the metadata option/),
      expect.stringMatching(/^set pkce: false/),
      expect.stringMatching(/^the client-auth line shows whether/),
      expect.stringMatching(/^check that the issuer is BindID's sign-in host, whose ID tokens are RS256-signed/),
    ]);
    expect(report.ok).toBe(true);
    expect(formatSetupReport(report)).toMatch(/^WARN {2}capabilities {2}authorization_response_iss_parameter_supported is true/m);
  });

  it('lists left out: each named as absent', async () => {
    fake.document = (base) => ({ issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks` });
    const detail = check(await checkBindIdSetup(options()), 'capabilities')?.detail;
    expect(detail?.split('; ')).toEqual([
      'has no code_challenge_methods_supported, so no S256',
      'has no token_endpoint_auth_methods_supported, so no client_secret_post (the library sends the secret in the form body)',
      'has no id_token_signing_alg_values_supported, so no RS256 (the library accepts RS256 ID tokens only)',
    ]);
  });
});

describe("authorize: the app's authorization request, redirects not followed", () => {
  it("the sign-in page (200): PASS; the app's parameters, an S256 challenge, no secret", async () => {
    const report = await checkBindIdSetup(options({ auxLink: 'https://app.example.com/other-ways' }));
    expect(check(report, 'authorize')).toEqual({
      id: 'authorize',
      status: 'pass',
      detail: `${signIn.url}/authorize answered 200 (the sign-in page) to client "cid" with redirect URI ${REDIRECT_URI}`,
    });
    const query = authorizeQuery();
    expect(Object.fromEntries([...query].map(([name, value]) => [name, name === 'state' || name === 'nonce' || name === 'code_challenge' ? typeof value : value]))).toEqual({
      client_id: 'cid',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      response_type: 'code',
      state: 'string',
      nonce: 'string',
      code_challenge: 'string',
      code_challenge_method: 'S256',
      bindid_aux_link: 'https://app.example.com/other-ways',
    });
    expect(query.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signIn.requests.find((request) => request.startsWith('GET /authorize'))).not.toMatch(/secret/);
  });

  it('with pkce: false, no code_challenge is sent', async () => {
    await checkBindIdSetup(options({ pkce: false }));
    const query = authorizeQuery();
    expect([query.has('code_challenge'), query.has('code_challenge_method')]).toEqual([false, false]);
  });

  it('a redirect back to the redirect URI without an error: PASS (the redirect is not followed)', async () => {
    fake.authorize = (query) => ({ status: 302, headers: { location: `${REDIRECT_URI}?code=abc&state=${query.get('state')}` } });
    expect(check(await checkBindIdSetup(options()), 'authorize')).toEqual({
      id: 'authorize',
      status: 'pass',
      detail: `${signIn.url}/authorize redirected back to the redirect URI without an error`,
    });
  });

  it('a redirect back with error=: FAIL with the error; about PKCE, the fix is pkce: false', async () => {
    fake.authorize = (query) => ({
      status: 302,
      headers: { location: `${REDIRECT_URI}?error=invalid_request&error_description=code_challenge%20not%20supported&state=${query.get('state')}` },
    });
    expect(check(await checkBindIdSetup(options()), 'authorize')).toEqual({
      id: 'authorize',
      status: 'fail',
      detail: `${signIn.url}/authorize redirected back to the redirect URI with error=invalid_request ("code_challenge not supported"): every sign-in would end there`,
      fix: 'BindID refused the PKCE parameters: set pkce: false in the options of bindIdRouter or BindIdStrategy',
    });
    fake.authorize = () => ({ status: 303, headers: { location: `${REDIRECT_URI}?error=unauthorized_client` } });
    const other = check(await checkBindIdSetup(options()), 'authorize');
    expect(other).toMatchObject({ status: 'fail', detail: expect.stringContaining('with error=unauthorized_client: every sign-in') });
    expect(other?.fix).toMatch(/^BindID refused the authorization request \(unauthorized_client\): check the application's settings/);
  });

  it('an error page (400 HTML): FAIL with its title and the likely causes, the aux link among them', async () => {
    fake.authorize = () => ({ status: 400, headers: { 'content-type': 'text/html' }, body: '<html><head><title>Invalid redirect_uri</title></head></html>' });
    const authorize = check(await checkBindIdSetup(options({ auxLink: 'https://app.example.com/other-ways' })), 'authorize');
    expect(authorize).toMatchObject({
      status: 'fail',
      detail: `${signIn.url}/authorize answered 400 ("Invalid redirect_uri"): an error page, not the sign-in page`,
    });
    expect(authorize?.fix).toBe(
      `likely causes: the redirect URI ${REDIRECT_URI} is not registered exactly (scheme, host, port and path) for the application in the BindID Admin Portal; ` +
        'the client id "cid" is not an application of this environment (issuer); or bindid_aux_link https://app.example.com/other-ways does not begin with the prefix registered at enrollment',
    );
  });

  it('a 5xx: FAIL, the causes and "run the doctor again later"', async () => {
    fake.authorize = () => ({ status: 503 });
    const authorize = check(await checkBindIdSetup(options()), 'authorize');
    expect(authorize).toMatchObject({ status: 'fail', detail: `${signIn.url}/authorize answered 503: an error page, not the sign-in page` });
    expect(authorize?.fix).toMatch(/give it with --aux-link to include it here\); or BindID is failing for now: run the doctor again later$/);
  });

  it('a redirect to another host, or to an error page of the sign-in host: FAIL; to another page of the sign-in host: WARN', async () => {
    fake.authorize = () => ({ status: 302, headers: { location: 'https://errors.example.net/oops?x=1' } });
    expect(check(await checkBindIdSetup(options()), 'authorize')).toMatchObject({
      status: 'fail',
      detail: `${signIn.url}/authorize redirects (302) to https://errors.example.net/oops, not to the redirect URI: an error page, not the sign-in page`,
      fix: expect.stringMatching(/^likely causes: the redirect URI/),
    });
    fake.authorize = () => ({ status: 302, headers: { location: '/error?code=unknown_client' } });
    expect(check(await checkBindIdSetup(options()), 'authorize')?.status).toBe('fail');
    fake.authorize = () => ({ status: 302, headers: { location: '/login?flow=42' } });
    const report = await checkBindIdSetup(options());
    expect(check(report, 'authorize')).toMatchObject({
      status: 'warn',
      detail: `${signIn.url}/authorize redirects (302) to ${signIn.url}/login, another page of the sign-in host: the doctor does not follow it, so it cannot tell the sign-in page from an error page`,
    });
    expect(report.ok).toBe(true);
    expect(signIn.requests.filter((request) => !/^(GET \/(\.well-known|jwks|authorize)|POST \/token)/.test(request))).toEqual([]);
  });

  it('an authorization endpoint in plain http off this machine: not checked, nothing sent there', async () => {
    const port = new URL(signIn.url).port;
    // An IPv4-mapped loopback address is not counted as this machine: without the guard, the request would reach the fake.
    fake.document = (base) => ({ ...healthyFake().document(base), authorization_endpoint: `http://[::ffff:127.0.0.1]:${port}/authorize` });
    const report = await checkBindIdSetup(options());
    expect(check(report, 'authorize')).toEqual({
      id: 'authorize',
      status: 'skipped',
      detail: 'not checked: the authorization endpoint is plain http off this machine (see endpoints)',
    });
    expect(check(report, 'endpoints')?.status).toBe('fail');
    expect(signIn.requests.filter((request) => request.startsWith('GET /authorize'))).toEqual([]);
  });
});

it('the new options are checked before anything is sent: pkce must be a boolean, auxLink an https URL', async () => {
  const before = signIn.connections();
  for (const bad of [{ pkce: 'no' }, { auxLink: 'http://app.example.com/x' }, { auxLink: 'not a url' }]) {
    await expect(checkBindIdSetup({ ...options(), ...bad } as unknown as BindIdSetupOptions)).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
      message: expect.stringMatching(/checkBindIdSetup\(\) option `(pkce|auxLink)`/),
    });
  }
  expect(signIn.connections()).toBe(before);
});
