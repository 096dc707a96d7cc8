/**
 * The built `bindid-doctor` bin (built by `npm test` before jest runs) against the emulator: settings
 * from the environment or flags (the flag wins), the table on stdout, exit 0 when every check
 * passes, 1 when one fails, 2 for bad arguments (a plain-http issuer off this machine among them,
 * refused before any connection); the secret is never printed.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { startEmulator } from '../emulator/helpers.js';
import { loopbackServer } from './loopback-server.js';

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
  const lines = stdout.split('\n').filter((line) => /^(PASS|FAIL) /.test(line));
  expect(lines.map((line) => line.split(/\s+/).slice(0, 2).join(' '))).toEqual([
    'PASS discovery',
    'PASS issuer',
    'PASS endpoints',
    'PASS jwks',
    'PASS client-auth',
    'PASS api-host',
    'PASS environment',
    'PASS redirect-uri',
    'PASS clock',
  ]);
  expect(stdout).toContain('All 9 checks passed.');
  expect(stdout).not.toContain(emu.clientSecret);
});

it('a flag wins over its variable: a wrong --client-secret fails client-auth with a fix, exit 1, the secret never printed', async () => {
  const wrong = 'wrong-secret-from-a-flag';
  const { code, stdout, stderr } = await run(['--client-secret', wrong, '--redirect-uri', 'http://app.example.com/bindid/callback'], environment());
  expect(code).toBe(1);
  expect(stdout).toMatch(/^FAIL {2}client-auth {3}.*refused the client \(401 invalid_client\)\n {20}fix: check clientId and clientSecret/m);
  expect(stdout).toMatch(/^FAIL {2}redirect-uri {2}http on app\.example\.com/m);
  expect(stdout).toContain('2 of 9 checks failed.');
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

it('--issuer http://<a host that is not loopback> exits 2 with the argument error before sending anything: the loopback host behind the name sees no connection', async () => {
  const srv = await loopbackServer(() => ({ status: 404 }));
  try {
    const issuer = `http://[::ffff:127.0.0.1]:${new URL(srv.url).port}`;
    const { code, stdout, stderr } = await run(['--issuer', issuer], environment());
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^bindid-doctor: express-bindid: checkBindIdSetup\(\) option `issuer` must use https: \(plain http is only allowed for localhost/);
    expect(srv.connections()).toBe(0);
  } finally {
    await srv.close();
  }
});

it('a secret read with its trailing newline: exit 1, the FAIL line names the newline and never prints the secret', async () => {
  const { code, stdout } = await run([], { ...environment(), BINDID_CLIENT_SECRET: `${emu.clientSecret}\n` });
  expect(code).toBe(1);
  expect(stdout).toMatch(/^FAIL {2}client-auth {3}the client secret has trailing whitespace "\\n", /m);
  expect(stdout).not.toContain(emu.clientSecret);
});
