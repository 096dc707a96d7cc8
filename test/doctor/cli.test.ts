/**
 * The built `bindid-doctor` bin (built by `npm test` before jest runs) against the emulator: settings
 * from the environment or flags (the flag wins), the table on stdout, exit 0 when every check
 * passes, 1 when one fails, 2 for bad arguments (a plain-http issuer off this machine among them,
 * refused before any connection); the secret is never printed, nor a control character (N188, N191).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { startEmulator } from '../emulator/helpers.js';
import { json, loopbackServer } from './loopback-server.js';

const CLI = path.join(__dirname, '..', '..', (require('../../package.json') as { bin: Record<string, string> }).bin['bindid-doctor'] as string);
const REDIRECT_URI = 'http://localhost:3000/bindid/callback';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ redirectUris: [REDIRECT_URI], clientSecret: 'emulator-secret-for-the-doctor' });
});
afterAll(() => emu.close());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code), stdout, stderr });
    });
  });
}

function environment(): Record<string, string> {
  return {
    BINDID_ISSUER: emu.issuer,
    BINDID_API_URL: emu.apiUrl,
    BINDID_CLIENT_ID: emu.clientId,
    BINDID_CLIENT_SECRET: emu.clientSecret,
    BINDID_REDIRECT_URI: REDIRECT_URI,
  };
}

it('the package.json bin points at the built CLI, whose first line is the node shebang', async () => {
  const { readFile } = await import('node:fs/promises');
  expect((await readFile(CLI, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
});

it('reads the settings from the environment, prints one PASS line per check and exits 0', async () => {
  const { code, stdout, stderr } = await run([], environment());
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const lines = stdout.split('\n').filter((line) => /^(PASS|WARN|FAIL) /.test(line));
  expect(lines.map((line) => line.split(/\s+/).slice(0, 2).join(' '))).toEqual([
    'PASS discovery',
    'PASS issuer',
    'PASS endpoints',
    'PASS jwks',
    'PASS capabilities',
    'PASS client-auth',
    'PASS pkce',
    'PASS authorize',
    'PASS api-host',
    'PASS environment',
    'PASS redirect-uri',
    'PASS clock',
  ]);
  expect(stdout).toContain('All 12 checks passed.');
  expect(stdout).not.toContain(emu.clientSecret);
});

it('a flag wins over its variable: a wrong --client-secret fails client-auth with a fix, exit 1, the secret never printed', async () => {
  const wrong = 'wrong-secret-from-a-flag';
  const { code, stdout, stderr } = await run(['--client-secret', wrong, '--redirect-uri', 'http://app.example.com/bindid/callback'], environment());
  expect(code).toBe(1);
  expect(stdout).toMatch(/^FAIL {2}client-auth {3}.*refused the client \(401 invalid_client\)\n {20}fix: check clientId and clientSecret/m);
  expect(stdout).toMatch(/^FAIL {2}redirect-uri {2}http on app\.example\.com/m);
  // Not registered at the emulator: its /authorize answers an error page.
  expect(stdout).toMatch(/^FAIL {2}authorize {5}.*answered 400 \("BindID emulator — Unregistered redirect_uri"\)/m);
  // pkce compares nothing once the client is refused.
  expect(stdout).toMatch(/^SKIP {2}pkce {10}not checked: an invalid code got 401 invalid_client/m);
  expect(stdout).toContain('3 of 12 checks failed, 1 not checked.');
  for (const secret of [wrong, emu.clientSecret]) expect(stdout + stderr).not.toContain(secret);
});

it('missing settings or an unknown flag: the usage on stderr, exit 2; --help: the usage, exit 0', async () => {
  const missing = await run(['--issuer', emu.issuer]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/missing --api-url \(or BINDID_API_URL\), --client-id \(or BINDID_CLIENT_ID\)/);
  expect(missing.stderr).toContain('Usage: bindid-doctor');
  const unknown = await run(['--nope'], environment());
  expect(unknown.code).toBe(2);
  const bad = await run([], { ...environment(), BINDID_API_URL: 'api.bindid.io' });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/apiUrl.*must be an absolute URL/);
  const help = await run(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: bindid-doctor/);
});

it('N188 --issuer or --api-url http://<a host that is not loopback> exits 2 with the argument error before sending anything: the loopback host behind the name sees no connection', async () => {
  const srv = await loopbackServer(() => ({ status: 404 }));
  try {
    const remote = `http://[::ffff:127.0.0.1]:${new URL(srv.url).port}`; // loopback, but not by the library's rule
    for (const [flag, option] of [
      ['--issuer', 'issuer'],
      ['--api-url', 'apiUrl'],
    ]) {
      const { code, stdout, stderr } = await run([flag as string, remote], environment());
      expect({ flag, code, stdout }).toEqual({ flag, code: 2, stdout: '' });
      expect(stderr).toMatch(new RegExp(`^bindid-doctor: express-bindid: checkBindIdSetup\\(\\) option \`${option}\` must use https: \\(plain http is only allowed for localhost`));
    }
    expect(srv.connections()).toBe(0);
  } finally {
    await srv.close();
  }
});

it('N191 the CLI\'s own lines escape control characters too: a client id or an unknown flag with ESC sequences and CR/LF prints no control character and forges no line', async () => {
  const forged = '\u001b[2J\u001b[1;32m\r\nPASS  forged';
  const ran = await run(['--client-id', `cid${forged}`], environment());
  const bad = await run([`--x${forged}`], environment());
  for (const { stdout, stderr } of [ran, bad]) {
    const lines = `${stdout}${stderr}`.split('\n');
    expect(lines.filter((line) => /\p{Cc}/u.test(line))).toEqual([]);
    expect(lines.filter((line) => line.startsWith('PASS  forged'))).toEqual([]);
  }
  expect(ran.stdout).toContain('client cid\\u001b[2J\\u001b[1;32m\\u000d\\u000aPASS  forged');
  expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('\\u001b[2J') });
});

it('a secret read with its trailing newline: exit 1, the FAIL line names the newline and never prints the secret', async () => {
  const { code, stdout } = await run([], { ...environment(), BINDID_CLIENT_SECRET: `${emu.clientSecret}\n` });
  expect(code).toBe(1);
  expect(stdout).toMatch(/^FAIL {2}client-auth {3}the client secret has trailing whitespace "\\n", /m);
  expect(stdout).not.toContain(emu.clientSecret);
});

it('--pkce false and --aux-link reach the /authorize probe; a WARN line exits 0; --pkce with another value exits 2', async () => {
  const signIn = await loopbackServer((req, base) => {
    const path = new URL(req.url ?? '/', base).pathname;
    if (path === '/.well-known/openid-configuration') {
      return json({ issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`, code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: ['client_secret_post'], id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (path === '/jwks') return json({ keys: [{ kty: 'RSA', use: 'sig', alg: 'RS256', n: 'sXch', e: 'AQAB' }] });
    if (path === '/authorize') return { status: 200, headers: { 'content-type': 'text/html' }, body: '<title>Sign in</title>' };
    // The exchange with a code_verifier is refused otherwise: a WARN for an app with PKCE on.
    return signIn.bodies[signIn.bodies.length - 1]?.includes('code_verifier=') ? json({ error: 'invalid_request' }, 400) : json({ error: 'invalid_grant' }, 400);
  });
  try {
    const env = { ...environment(), BINDID_ISSUER: signIn.url };
    const warned = await run([], env);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/^WARN {2}pkce {10}an invalid code got 400 invalid_grant without a code_verifier but 400 invalid_request with a dummy one/m);
    expect(warned.stdout).toContain('All 12 checks passed, 1 with a warning.');
    signIn.requests.length = 0;
    const off = await run(['--pkce', 'false', '--aux-link', 'https://app.example.com/other'], env);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^PASS {2}pkce {10}.*pkce is off, as this suggests$/m);
    const authorize = signIn.requests.find((request) => request.startsWith('GET /authorize?')) ?? '';
    expect(authorize).not.toContain('code_challenge');
    expect(authorize).toContain(`bindid_aux_link=${encodeURIComponent('https://app.example.com/other')}`);
    const bad = await run(['--pkce', 'maybe'], env);
    expect({ code: bad.code, stdout: bad.stdout }).toEqual({ code: 2, stdout: '' });
    expect(bad.stderr).toMatch(/^bindid-doctor: --pkce \(or BINDID_PKCE\) must be true or false/);
  } finally {
    await signIn.close();
  }
});
