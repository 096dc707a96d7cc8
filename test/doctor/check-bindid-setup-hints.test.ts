/**
 * Issue 21, a newcomer's slips against the emulator, each named in one line with its fix: a correct
 * own-callback redirect URI without `--callback-path`; a client secret with a trailing newline (named
 * without being shown, the rest checked with it trimmed); the issuer and the API URL swapped (one
 * FAIL line saying so, the checks it leaves unchecked on one SKIP line).
 */
import type { Emulator } from '../../src/emulator/index.js';
import { checkBindIdSetup } from '../../src/doctor/check-bindid-setup.js';
import { formatSetupReport } from '../../src/doctor/format.js';
import type { BindIdSetupCheck, BindIdSetupOptions, BindIdSetupReport } from '../../src/doctor/types.js';
import { startEmulator } from '../emulator/helpers.js';
import { json, loopbackServer } from './loopback-server.js';

const REDIRECT_URI = 'http://localhost:3000/bindid/callback';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ redirectUris: [REDIRECT_URI, 'http://localhost:3000/auth/bindid/callback'] });
});
afterAll(() => emu.close());

function healthy(): BindIdSetupOptions {
  return { issuer: emu.issuer, apiUrl: emu.apiUrl, clientId: emu.clientId, clientSecret: emu.clientSecret, redirectUri: REDIRECT_URI };
}

/** The checks that did not pass, by id. */
function notPassed(report: BindIdSetupReport): Record<string, Omit<BindIdSetupCheck, 'id'>> {
  return Object.fromEntries(report.checks.filter((check) => check.status !== 'pass').map(({ id, ...rest }) => [id, rest]));
}

it('a correct own-callback redirect URI fails only redirect-uri, whose fix names --callback-path, BINDID_CALLBACK_PATH and the router\'s paths.callback; with the path given, everything passes', async () => {
  const redirectUri = 'http://localhost:3000/auth/bindid/callback';
  const report = await checkBindIdSetup({ ...healthy(), redirectUri });
  expect(Object.keys(notPassed(report))).toEqual(['redirect-uri']);
  const { fix } = notPassed(report)['redirect-uri'] ?? {};
  expect(fix).toMatch(/^with your own callback route or BindIdStrategy, tell the doctor its path: --callback-path \/auth\/bindid\/callback \(or BINDID_CALLBACK_PATH=\/auth\/bindid\/callback; callbackPath in code\)/);
  expect(fix).toMatch(/with bindIdRouter, set its paths\.callback to "\/auth\/bindid\/callback"/);
  expect((await checkBindIdSetup({ ...healthy(), redirectUri, callbackPath: '/auth/bindid/callback' })).ok).toBe(true);
});

it('a client secret with a trailing newline fails client-auth naming the newline, not the secret; trimmed, it is accepted, and the API host is checked with it', async () => {
  const report = await checkBindIdSetup({ ...healthy(), clientSecret: `${emu.clientSecret}\n` });
  expect(Object.keys(notPassed(report))).toEqual(['client-auth']);
  expect(notPassed(report)['client-auth']).toEqual({
    status: 'fail',
    detail: expect.stringMatching(
      /^the client secret has trailing whitespace "\\n", which BindID refuses \(401 invalid_client\) and the library refuses at start-up; trimmed, it is accepted: .* accepted client_secret_post/,
    ),
    fix: expect.stringMatching(/^trim the secret where it is read/),
  });
  expect(JSON.stringify(report)).not.toContain(emu.clientSecret);
});

it('a wrong secret with leading whitespace: client-auth names the whitespace and what the trimmed secret still got (401 invalid_client)', async () => {
  const report = await checkBindIdSetup({ ...healthy(), clientSecret: '\tnot-the-secret' });
  expect(notPassed(report)['client-auth']?.detail).toMatch(
    /^the client secret has leading whitespace "\\t", .*; trimmed, it still fails: .* refused the client \(401 invalid_client\)$/,
  );
  expect(notPassed(report)['client-auth']?.fix).toMatch(/; then check clientId and clientSecret/);
});

it('the issuer and the API URL swapped: one FAIL line saying so with the fix, one SKIP line for the checks it leaves unchecked', async () => {
  const report = await checkBindIdSetup({ ...healthy(), issuer: emu.apiUrl, apiUrl: emu.issuer });
  expect(notPassed(report)).toEqual({
    discovery: {
      status: 'fail',
      detail: `issuer and apiUrl look swapped: ${emu.apiUrl}/.well-known/openid-configuration answered 404, but the API URL serves a discovery document (200 JSON at ${emu.issuer}/.well-known/openid-configuration)`,
      fix: `swap them: issuer ${emu.issuer} and apiUrl ${emu.apiUrl} (--issuer ${emu.issuer} --api-url ${emu.apiUrl}, or BINDID_ISSUER and BINDID_API_URL)`,
    },
    ...Object.fromEntries(
      ['issuer', 'endpoints', 'jwks', 'capabilities', 'client-auth', 'pkce', 'authorize', 'api-host'].map((id) => [id, { status: 'skipped', detail: 'not checked: issuer and apiUrl look swapped' }]),
    ),
  });
  const lines = formatSetupReport(report).split('\n');
  expect(lines.filter((line) => /^(FAIL|SKIP) /.test(line))).toEqual([
    expect.stringMatching(/^FAIL {2}discovery {5}issuer and apiUrl look swapped: /),
    'SKIP  issuer, endpoints, jwks, capabilities, client-auth, pkce, authorize, api-host  not checked: issuer and apiUrl look swapped',
  ]);
  expect(lines).toContain('1 of 12 checks failed, 8 not checked.');
});

it('once the two look swapped, neither host gets the secret or a signed report: each is asked only for its discovery document', async () => {
  const apiHost = await loopbackServer(() => ({ status: 404 }));
  const signInHost = await loopbackServer((req, base) =>
    req.url === '/.well-known/openid-configuration' ? json({ issuer: base, token_endpoint: `${base}/token` }) : { status: 404 },
  );
  try {
    const report = await checkBindIdSetup({ ...healthy(), issuer: apiHost.url, apiUrl: signInHost.url });
    expect(report.checks[0]?.detail).toMatch(/^issuer and apiUrl look swapped/);
    expect([apiHost.requests, signInHost.requests]).toEqual([['GET /.well-known/openid-configuration'], ['GET /.well-known/openid-configuration']]);
  } finally {
    await Promise.all([apiHost.close(), signInHost.close()]);
  }
});

it('a discovery that fails for another reason, the API URL serving none, is no swap: the knock-on checks share one SKIP line', async () => {
  const report = await checkBindIdSetup({ ...healthy(), issuer: `${emu.apiUrl}/nowhere` });
  expect(notPassed(report).discovery?.detail).toBe(`${emu.apiUrl}/nowhere/.well-known/openid-configuration answered 404`);
  const lines = formatSetupReport(report).split('\n');
  expect(lines).toContain('SKIP  issuer, endpoints, jwks, capabilities, client-auth, pkce, authorize  not checked: discovery failed');
  expect(lines.filter((line) => line.startsWith('FAIL'))).toHaveLength(1);
});
