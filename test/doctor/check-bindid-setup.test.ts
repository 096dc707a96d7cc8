/**
 * `checkBindIdSetup` against the emulator: every check passes for a healthy setup, and each
 * misconfiguration fails its own check with a fix (wrong secret, wrong issuer, trailing slash, the
 * API URL on the sign-in host, an http redirect URI off this machine, a redirecting discovery, a
 * skewed clock), and the checks it leaves unchecked are skipped. The secret, the dummy token and the
 * HMAC never reach the report. The newcomer's slips (issue 21) are in check-bindid-setup-hints.test.ts,
 * what the doctor never sends or prints (issue 23) in check-bindid-setup-leaks.test.ts.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Emulator } from '../../src/emulator/index.js';
import { ErrorCode } from '../../src/errors.js';
import { checkBindIdSetup } from '../../src/doctor/check-bindid-setup.js';
import type { BindIdSetupCheckId, BindIdSetupOptions, BindIdSetupReport } from '../../src/doctor/types.js';
import { startEmulator } from '../emulator/helpers.js';

const REDIRECT_URI = 'http://localhost:3000/bindid/callback';

let emu: Emulator;
beforeAll(async () => {
  // The second is an app's own callback route (registered, so that its /authorize probe passes).
  emu = await startEmulator({ redirectUris: [REDIRECT_URI, 'https://app.example.com/auth/cb'] });
});
afterAll(() => emu.close());

function healthy(): BindIdSetupOptions {
  return { issuer: emu.issuer, apiUrl: emu.apiUrl, clientId: emu.clientId, clientSecret: emu.clientSecret, redirectUri: REDIRECT_URI };
}

/** The ids of the skipped checks. */
function skippedIds(report: BindIdSetupReport): BindIdSetupCheckId[] {
  return report.checks.filter((check) => check.status === 'skipped').map((check) => check.id);
}

/** The failed checks, by id, with their detail and fix. */
function failures(report: BindIdSetupReport): Partial<Record<BindIdSetupCheckId, { detail: string; fix?: string }>> {
  return Object.fromEntries(
    report.checks.filter((check) => check.status === 'fail').map(({ id, detail, fix }) => [id, { detail, fix }]),
  );
}

/** A loopback server; `handle` answers each request. */
async function server(handle: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ url: string; close: () => Promise<void> }> {
  const srv: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const answer = handle(req, body);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  };
}

it('passes every check against a healthy emulator, in a fixed order', async () => {
  const report = await checkBindIdSetup(healthy());
  expect(failures(report)).toEqual({});
  expect(report.ok).toBe(true);
  expect(report.checks.map((check) => check.id)).toEqual([
    'discovery',
    'issuer',
    'endpoints',
    'jwks',
    'capabilities',
    'client-auth',
    'pkce',
    'authorize',
    'api-host',
    'environment',
    'redirect-uri',
    'clock',
  ]);
  expect(report.checks.find((check) => check.id === 'client-auth')?.detail).toMatch(/accepted client_secret_post .* 400 invalid_grant/);
});

it('a wrong client secret fails client-auth with invalid_client, and the secret appears nowhere', async () => {
  const wrong = 'a-wrong-secret-value';
  const report = await checkBindIdSetup({ ...healthy(), clientSecret: wrong });
  expect(report.ok).toBe(false);
  expect(Object.keys(failures(report))).toEqual(['client-auth']);
  expect(failures(report)['client-auth']?.detail).toMatch(/refused the client \(401 invalid_client\)/);
  expect(failures(report)['client-auth']?.fix).toMatch(/clientId and clientSecret/);
  expect(JSON.stringify(report)).not.toContain(wrong);
});

it('a wrong client id fails client-auth too, and authorize with the sign-in host\'s error page', async () => {
  const report = await checkBindIdSetup({ ...healthy(), clientId: 'someone-else' });
  expect(Object.keys(failures(report))).toEqual(['client-auth', 'authorize']);
  expect(failures(report).authorize?.detail).toMatch(/answered 400 \("BindID emulator — Unknown client"\): an error page, not the sign-in page$/);
  expect(failures(report).authorize?.fix).toContain('the client id "someone-else" is not an application of this environment');
});

it('N167 a wrong issuer (another spelling of the host) fails the issuer check, naming the advertised one, and sends no secret', async () => {
  const issuer = emu.issuer.replace('127.0.0.1', 'localhost');
  const report = await checkBindIdSetup({ ...healthy(), issuer });
  // The document's token endpoint is on 127.0.0.1, not on the configured host: the secret is not sent there.
  expect(Object.keys(failures(report))).toEqual(['issuer', 'client-auth']);
  expect(failures(report).issuer?.detail).toContain(`says "${emu.issuer}", the configured issuer is "${issuer}"`);
  expect(failures(report).issuer?.fix).toContain(`set issuer to exactly "${emu.issuer}"`);
});

it('an issuer with a trailing slash fails the issuer check and says so', async () => {
  const report = await checkBindIdSetup({ ...healthy(), issuer: `${emu.issuer}/` });
  expect(Object.keys(failures(report))).toEqual(['issuer']);
  expect(failures(report).issuer?.detail).toMatch(/has a trailing slash/);
});

it('the API URL on the sign-in host fails api-host: 404, with the API hosts in the fix', async () => {
  const report = await checkBindIdSetup({ ...healthy(), apiUrl: emu.issuer });
  expect(Object.keys(failures(report))).toEqual(['api-host']);
  expect(failures(report)['api-host']?.detail).toMatch(/answered 404/);
  expect(failures(report)['api-host']?.fix).toMatch(/https:\/\/api\.bindid-sandbox\.io/);
});

it('an API host answering HTML, or redirecting, fails api-host', async () => {
  const html = await server(() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html></html>' }));
  const moved = await server(() => ({ status: 302, headers: { location: 'https://example.com/' } }));
  try {
    expect(failures(await checkBindIdSetup({ ...healthy(), apiUrl: html.url }))['api-host']?.detail).toMatch(/HTML page/);
    expect(failures(await checkBindIdSetup({ ...healthy(), apiUrl: moved.url }))['api-host']?.detail).toMatch(
      /redirects \(302\) to https:\/\/example\.com\//,
    );
  } finally {
    await Promise.all([html.close(), moved.close()]);
  }
});

it('an http redirect URI on a host other than localhost fails redirect-uri; so does another path', async () => {
  const http = await checkBindIdSetup({ ...healthy(), redirectUri: 'http://app.example.com/bindid/callback' });
  // Not registered at the emulator either: its /authorize shows an error page.
  expect(Object.keys(failures(http))).toEqual(['authorize', 'redirect-uri']);
  expect(failures(http)['redirect-uri']).toEqual({
    detail: 'http on app.example.com: only localhost may use plain http',
    fix: 'use https://app.example.com/bindid/callback (and register that exact URI in the BindID Admin Portal)',
  });
  const path = await checkBindIdSetup({ ...healthy(), redirectUri: 'https://app.example.com/auth/cb' });
  expect(failures(path)['redirect-uri']?.detail).toMatch(/^the path is "\/auth\/cb", not "\/bindid\/callback"/);
  const custom = await checkBindIdSetup({ ...healthy(), redirectUri: 'https://app.example.com/auth/cb', callbackPath: '/auth/cb' });
  expect(failures(custom)).toEqual({});
});

it('N189 a discovery that redirects fails discovery (the redirect is not followed); the checks that need it are skipped, and no secret goes to a guessed <issuer>/token', async () => {
  const paths: string[] = [];
  const moved = await server((req) => {
    paths.push(`${req.method} ${req.url}`);
    return { status: 301, headers: { location: `${emu.issuer}${req.url}` } };
  });
  try {
    const report = await checkBindIdSetup({ ...healthy(), issuer: moved.url });
    const failed = failures(report);
    expect(Object.keys(failed)).toEqual(['discovery']);
    expect(failed.discovery?.detail).toBe(
      `${moved.url}/.well-known/openid-configuration redirects (301) to ${emu.issuer}/.well-known/openid-configuration; the library does not follow redirects here`,
    );
    expect(failed.discovery?.fix).toMatch(/https:\/\/signin\.eu\.identity\.security/);
    expect(skippedIds(report)).toEqual(['issuer', 'endpoints', 'jwks', 'capabilities', 'client-auth', 'pkce', 'authorize']);
    expect(report.checks.find((check) => check.id === 'issuer')?.detail).toBe('not checked: discovery failed');
    expect(paths).toEqual(['GET /.well-known/openid-configuration']);
  } finally {
    await moved.close();
  }
});

it('N167 a token endpoint on another host than the issuer gets no secret: client-auth fails unchecked', async () => {
  const received: string[] = [];
  const elsewhere = await server((req, body) => {
    received.push(`${req.method} ${req.url} ${body}`);
    return { status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"invalid_grant"}' };
  });
  const metadata = await server((req) => {
    if (req.url !== '/.well-known/openid-configuration') return { status: 404 };
    const document = { issuer: `http://127.0.0.1:${new URL(metadataUrl()).port}`, authorization_endpoint: `${emu.issuer}/authorize`, token_endpoint: `${elsewhere.url}/token`, jwks_uri: `${emu.issuer}/jwks` };
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(document) };
  });
  const metadataUrl = (): string => metadata.url;
  try {
    const report = await checkBindIdSetup({ ...healthy(), issuer: metadata.url });
    expect(Object.keys(failures(report))).toEqual(['client-auth']);
    expect(failures(report)['client-auth']?.detail).toBe(
      `not checked: the token endpoint ${elsewhere.url}/token is not on the issuer's host, so the secret was not sent there`,
    );
    expect(received).toEqual([]);
  } finally {
    await Promise.all([elsewhere.close(), metadata.close()]);
  }
});

it('a discovery document that is not JSON, or an RS256-less JWKS, fails with what was seen', async () => {
  emu.setFault('discovery', { status: 200, body: 'hello', times: 1 });
  expect(failures(await checkBindIdSetup(healthy())).discovery?.detail).toMatch(/answered text\/plain that is not a JSON object/);
  emu.setFault('jwks', { status: 200, body: '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}', times: 1 });
  expect(failures(await checkBindIdSetup(healthy())).jwks?.detail).toMatch(/has 1 key\(s\), none an RSA signing key for RS256/);
});

it('a local clock 5 minutes ahead of the hosts fails the clock check', async () => {
  const report = await checkBindIdSetup({ ...healthy(), now: () => Date.now() + 300_000 });
  expect(Object.keys(failures(report))).toEqual(['clock']);
  expect(failures(report).clock?.detail).toMatch(/^the local clock is 30[01] s ahead of 127\.0\.0\.1:\d+ \(more than 30 s\)/);
  expect(failures(report).clock?.fix).toMatch(/NTP/);
});

it('a host that is down fails with the connection error, not a crash', async () => {
  const closed = await server(() => ({ status: 500 }));
  await closed.close();
  const report = await checkBindIdSetup({ ...healthy(), apiUrl: closed.url, timeoutMs: 2000 });
  expect(failures(report)['api-host']?.detail).toMatch(/^no answer from 127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
});

it('N166 never reports the secret, the dummy token or the HMAC, even when a host echoes them', async () => {
  const seen: string[] = [];
  const echo = await server((req, body) => {
    const authorization = req.headers.authorization ?? '';
    seen.push(authorization, body);
    return { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: authorization }) };
  });
  emu.setFault('token', { status: 400, body: JSON.stringify({ error: emu.clientSecret }), times: 1 });
  try {
    const report = await checkBindIdSetup({ ...healthy(), apiUrl: echo.url });
    const [, token, hmac] = /^BindIdBackend AccessToken ([^;]+); (.+)$/.exec(seen[0] as string) ?? [];
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hmac).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const text = JSON.stringify(report);
    for (const secret of [emu.clientSecret, token as string, hmac as string]) expect(text).not.toContain(secret);
    expect(failures(report)['client-auth']?.detail).toContain('400 [redacted]');
  } finally {
    await echo.close();
  }
});

it('checks its options once: a missing or malformed one rejects with ERR_BINDID_INVALID_OPTION naming it', async () => {
  const { issuer: _issuer, ...withoutIssuer } = healthy();
  await expect(checkBindIdSetup(withoutIssuer as BindIdSetupOptions)).rejects.toMatchObject({
    code: ErrorCode.INVALID_OPTION,
    message: expect.stringContaining('issuer'),
  });
  await expect(checkBindIdSetup({ ...healthy(), apiUrl: 'api.bindid.io' })).rejects.toMatchObject({
    code: ErrorCode.INVALID_OPTION,
    message: expect.stringMatching(/apiUrl.*must be an absolute URL/),
  });
  await expect(checkBindIdSetup({ ...healthy(), issuer: `${emu.issuer}?tenant=1` })).rejects.toMatchObject({
    message: expect.stringMatching(/issuer.*must not contain credentials, a query or a fragment/),
  });
  await expect(checkBindIdSetup({ ...healthy(), clientSecret: ' \n' })).rejects.toMatchObject({
    message: expect.stringMatching(/clientSecret.*is only whitespace/),
  });
  await expect(checkBindIdSetup({ ...healthy(), callbackPath: 'callback' })).rejects.toMatchObject({
    message: expect.stringContaining('callbackPath'),
  });
});
