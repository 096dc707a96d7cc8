/**
 * Issue 23 (item 2) and the pentest's F2 and F8: what the doctor never sends and never prints.
 *
 * - A plain-http issuer or API URL off this machine is refused before anything is sent, as the
 *   library refuses it at start-up (a loopback host behind a name that is not loopback sees no connection).
 * - The secret never follows a redirect: a discovery answering 301 leads to no POST anywhere, and a
 *   signed report answered with a redirect is not sent again to the Location.
 * - Strings from a hostile discovery document (ESC sequences, CR/LF) are printed escaped.
 * - The secret is redacted raw, URL-encoded, base64 and base64url, whatever a host echoes.
 */
import { ErrorCode } from '../../src/errors.js';
import { checkBindIdSetup } from '../../src/doctor/check-bindid-setup.js';
import { formatSetupReport } from '../../src/doctor/format.js';
import type { BindIdSetupOptions } from '../../src/doctor/types.js';
import { type Answer, json, type LoopbackServer, loopbackServer } from './loopback-server.js';
import { echoedForms } from './secret-forms.js';

const SECRET = 's3cr3t VALUE/+~é!?';
const RSA_KEY = { kty: 'RSA', use: 'sig', alg: 'RS256', kid: 'k1', n: 'sXch', e: 'AQAB' };

/** A sign-in host: `handle` answers first (`undefined`: a good discovery document and JWKS, 404 otherwise). */
let handle: (path: string, base: string) => Answer | undefined = () => undefined;
let signIn: LoopbackServer;
let api: LoopbackServer;
let apiAnswer: () => Answer = () => ({ status: 401 });
beforeAll(async () => {
  signIn = await loopbackServer((req, base) => {
    const path = req.url ?? '';
    const document = { issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks` };
    const fallback = path === '/.well-known/openid-configuration' ? json(document) : path === '/jwks' ? json({ keys: [RSA_KEY] }) : { status: 404 };
    return handle(path, base) ?? fallback;
  });
  api = await loopbackServer(() => apiAnswer());
});
afterAll(() => Promise.all([signIn.close(), api.close()]));
beforeEach(() => {
  for (const srv of [signIn, api]) {
    srv.requests.length = 0;
    srv.bodies.length = 0;
  }
  handle = () => undefined;
  apiAnswer = () => ({ status: 401 });
});

function options(): BindIdSetupOptions {
  return { issuer: signIn.url, apiUrl: api.url, clientId: 'cid', clientSecret: SECRET, redirectUri: 'http://localhost:3000/bindid/callback' };
}

it('N188 a plain-http issuer or API URL off this machine is refused (ERR_BINDID_INVALID_OPTION, as the library refuses it) before any connection', async () => {
  const connections = signIn.connections() + api.connections();
  const { port: signInPort } = new URL(signIn.url);
  const { port: apiPort } = new URL(api.url);
  for (const patch of [
    { issuer: `http://[::ffff:127.0.0.1]:${signInPort}` },
    { issuer: `http://0.0.0.0:${signInPort}` },
    { apiUrl: `http://[::ffff:127.0.0.1]:${apiPort}` },
  ]) {
    const [key] = Object.keys(patch);
    await expect(checkBindIdSetup({ ...options(), ...patch })).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
      message: expect.stringMatching(new RegExp(`${key}.*must use https: \\(plain http is only allowed for localhost, 127\\.0\\.0\\.1 and \\[::1\\]\\)`)),
    });
  }
  expect(signIn.connections() + api.connections()).toBe(connections);
});

it('N189 a discovery answering 301 to https leads to no POST: the secret is not sent to <issuer>/token, nor anywhere', async () => {
  handle = (path) => ({ status: 301, headers: { location: `https://127.0.0.1:1${path}` } });
  const report = await checkBindIdSetup(options());
  expect(report.checks.find((check) => check.id === 'client-auth')).toEqual({ id: 'client-auth', status: 'skipped', detail: 'not checked: discovery failed' });
  expect(signIn.requests).toEqual(['GET /.well-known/openid-configuration']);
  expect([...signIn.bodies, ...api.bodies].filter((body) => body.includes('s3cr3t'))).toEqual([]);
});

it('N189 a signed report answered with a redirect is not sent again to the Location: the host there receives nothing', async () => {
  const target = await loopbackServer(() => ({ status: 401 }));
  apiAnswer = () => ({ status: 307, headers: { location: `${target.url}/session-feedback` } });
  try {
    const report = await checkBindIdSetup(options());
    expect(report.checks.find((check) => check.id === 'api-host')?.detail).toBe(
      `${api.url}/session-feedback redirects (307) to ${target.url}/session-feedback`,
    );
    expect(api.requests).toEqual(['POST /session-feedback']);
    expect(target.connections()).toBe(0);
  } finally {
    await target.close();
  }
});

it('N191 ESC sequences and CR/LF in a discovery document\'s issuer and jwks_uri are printed escaped: no screen clearing, no forged PASS line', async () => {
  const forged = '\u001b[2J\u001b[1;32mPASS  client-auth   all good\u001b[0m\r\nPASS  fake';
  handle = (path, base) =>
    path === '/.well-known/openid-configuration'
      ? json({ issuer: `${base}${forged}`, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks${forged}` })
      : undefined;
  const report = await checkBindIdSetup(options());
  const text = formatSetupReport(report);
  const texts = report.checks.flatMap((check) => [check.detail, check.fix ?? '']);
  expect(texts.filter((shown) => /\p{Cc}/u.test(shown))).toEqual([]); // none in the report either
  expect(text.split('\n').filter((line) => /\p{Cc}/u.test(line))).toEqual([]);
  expect(text.split('\n').filter((line) => /^PASS {2}(fake|client-auth)/.test(line))).toEqual([]);
  expect(text).toContain(`the discovery document says "${signIn.url}\\u001b[2J\\u001b[1;32mPASS  client-auth   all good\\u001b[0m\\u000d\\u000aPASS  fake"`);
  expect(text).toMatch(/jwks_uri http:\/\/127\.0\.0\.1:\d+\/jwks\\u001b\[2J/);
});

it('N190 a host echoing the secret raw, URL-encoded, base64 or base64url (padded or not) gets [redacted] printed, never the form', async () => {
  for (const [name, form] of Object.entries(echoedForms(SECRET))) {
    handle = (path) => (path === '/token' ? json({ error: form }, 400) : undefined);
    apiAnswer = () => ({ status: 302, headers: { location: `https://elsewhere.example/?s=${form}` } });
    const text = formatSetupReport(await checkBindIdSetup(options()));
    expect({ name, echoed: text.includes(form) }).toEqual({ name, echoed: false });
    // client-auth, pkce (whose comparison the echo ends) and api-host.
    expect({ name, redacted: text.match(/\[redacted\]/g)?.length }).toEqual({ name, redacted: 3 });
  }
  // Three exchanges a run (client-auth, and pkce with and without a code_verifier), all to /token.
  expect(signIn.bodies.filter((body) => body.includes('client_secret='))).toHaveLength(3 * Object.keys(echoedForms(SECRET)).length);
});
