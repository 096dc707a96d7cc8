/**
 * The built CLI (the package's `bindid-emulator` bin, built by `npm test` before jest runs): it starts, prints
 * its real URLs, serves, and exits 0 on SIGTERM/SIGINT; `--help` exits 0; bad arguments exit 2.
 *
 * Each wait is for what the process does (prints its URLs, exits), however long a busy machine takes to
 * start Node: no timer of its own, only Jest's test timeout. A process a failed test leaves running is
 * killed when the file is done.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { parseCommandLine, UsageError } from '../../src/emulator/cli-args.js';
import { authorizationHeader } from '../../src/feedback/signing.js';

const CLI = path.join(__dirname, '..', '..', (require('../../package.json') as { bin: Record<string, string> }).bin['bindid-emulator'] as string);

/** A running CLI and what it printed. */
interface Running {
  child: ChildProcess;
  stdout: string;
  issuer: string;
  apiUrl: string;
}

/** The processes the tests started and that have not exited yet. */
const running = new Set<ChildProcess>();

/** Keep `child` in {@link running} until it exits. */
function tracked<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

// After all tests, not each: the concurrent ones below may still be running theirs.
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Spawn the CLI and wait until it printed both URLs. */
function start(args: string[]): Promise<Running> {
  const child = tracked(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const issuer = /issuer:\s+(\S+)/.exec(stdout)?.[1];
      const apiUrl = /api:\s+(\S+)/.exec(stdout)?.[1];
      if (issuer !== undefined && apiUrl !== undefined) resolve({ child, stdout, issuer, apiUrl });
    });
    child.on('exit', (code) => {
      reject(new Error(`the CLI exited (${code}) before printing its URLs; stderr: ${stderr}`));
    });
  });
}

/** Send `signal` and resolve with the exit code (at once if it had exited already). */
function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

/** Run the CLI to completion. */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    tracked(
      execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      }),
    );
  });
}

describe('bindid-emulator CLI', () => {
  it('starts on free ports, prints the real URLs, serves discovery, exits 0 on SIGTERM', async () => {
    const running = await start(['--port', '0', '--redirect-uri', 'http://localhost:3000/callback']);
    try {
      expect(running.issuer).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      expect(running.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      expect(running.stdout).toMatch(/client id:\s+bindid-test-client/);
      expect(running.stdout).toMatch(/bindid-test-secret \(default test secret\)/);
      expect(running.stdout).toMatch(/redirect URIs:\s+http:\/\/localhost:3000\/callback/);
      const discovery = await fetch(`${running.issuer}/.well-known/openid-configuration`);
      expect(((await discovery.json()) as { issuer: string }).issuer).toBe(running.issuer);
      expect((await fetch(`${running.apiUrl}/__emulator/health`)).status).toBe(200);
    } finally {
      expect(await stop(running.child, 'SIGTERM')).toBe(0);
    }
  });

  it('exits 0 on SIGINT; applies --fault, --client-id and --client-secret without printing the secret', async () => {
    const secret = 'a-real-looking-secret-4711';
    const running = await start([
      '--port',
      '0',
      '--client-id',
      'my-client',
      '--client-secret',
      secret,
      '--fault',
      'session-feedback=503:retry-after=1',
    ]);
    try {
      expect(running.stdout).not.toContain(secret);
      expect(running.stdout).toMatch(/client id:\s+my-client/);
      const res = await fetch(`${running.apiUrl}/session-feedback`, {
        method: 'POST',
        headers: { authorization: authorizationHeader(secret, 'x'.repeat(43)), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      expect(await stop(running.child, 'SIGINT')).toBe(0);
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const { status, stdout } = await run(['--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Usage: bindid-emulator/);
    expect(stdout).toMatch(/--fault <endpoint>=<spec>/);
  });

  it.concurrent.each([
    ['an unknown flag', ['--nope'], /Unknown option '--nope'/],
    ['an option the emulator rejects (a relative redirect URI)', ['--port', '0', '--redirect-uri', '/cb'], /redirectUris\[0\]/],
  ])('%s → message and usage on stderr, exit code 2', async (_name, args, message) => {
    const { status, stdout, stderr } = await run(args);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Usage: bindid-emulator/);
    expect(stdout).toBe('');
  });
});

describe('parseCommandLine', () => {
  it('applies the defaults: port 9080, api port 9081, no redirect URIs, reject', () => {
    expect(parseCommandLine([])).toEqual({
      help: false,
      options: {
        signinPort: 9080,
        apiPort: 9081,
        redirectUris: [],
        aliasConflict: 'reject',
        faults: {},
        repeatedAuthenticationPerformed: 'accept',
        unchangedAliasUpdated: 'accept',
        allowClientSecretBasic: false,
        allowPostAuthorize: false,
        tokenResponseScope: false,
      },
    });
  });

  it('reads every option; --port 0 means any free port on both sides', () => {
    const command = parseCommandLine([
      '--port=0',
      '--host',
      '::1',
      '--client-id',
      'c',
      '--client-secret',
      's',
      '--redirect-uri',
      'http://a/cb',
      '--redirect-uri',
      'http://b/cb',
      '--alias-conflict',
      'allow',
      '--fault',
      'token=500:times=1',
      '--fault',
      'jwks=drop',
      '--unchanged-alias-updated',
      'reject',
      '--repeated-authentication-performed',
      'reject',
      '--allow-client-secret-basic',
      '--allow-post-authorize',
      '--token-response-scope',
    ]);
    expect(command).toEqual({
      help: false,
      options: {
        signinPort: 0,
        apiPort: 0,
        host: '::1',
        clientId: 'c',
        clientSecret: 's',
        redirectUris: ['http://a/cb', 'http://b/cb'],
        aliasConflict: 'allow',
        faults: { token: { status: 500, times: 1 }, jwks: { drop: true } },
        repeatedAuthenticationPerformed: 'reject',
        unchangedAliasUpdated: 'reject',
        allowClientSecretBasic: true,
        allowPostAuthorize: true,
        tokenResponseScope: true,
      },
    });
  });

  it('--api-port overrides the default', () => {
    expect(parseCommandLine(['--port', '7000', '--api-port', '7100'])).toMatchObject({
      options: { signinPort: 7000, apiPort: 7100 },
    });
  });

  it('--help', () => {
    expect(parseCommandLine(['--help'])).toEqual({ help: true });
  });

  it.each([
    ['an unknown flag', ['--nope'], /Unknown option '--nope'/],
    ['a positional argument', ['serve'], /positional/i],
    ['a flag without its value', ['--port'], /argument missing/i],
    ['a bad port', ['--port', 'eighty'], /--port must be a port number/],
    ['a port out of range', ['--api-port', '65536'], /--api-port must be a port number/],
    ['--port 65535 without --api-port', ['--port', '65535'], /--api-port is needed/],
    ['a bad alias-conflict mode', ['--alias-conflict', 'merge'], /--alias-conflict must be reject or allow/],
    ['a bad repeated-authentication-performed mode', ['--repeated-authentication-performed', 'maybe'], /must be accept or reject/],
    ['a bad unchanged-alias-updated mode', ['--unchanged-alias-updated', 'maybe'], /unchanged-alias-updated must be accept or reject/],
    ['a bad fault spec', ['--fault', 'token=5000'], /unknown item "5000"/],
    ['a fault on an unknown endpoint', ['--fault', 'login=503'], /endpoint must be one of/],
  ])('rejects %s with a UsageError', (_name, args, message) => {
    expect(() => parseCommandLine(args)).toThrow(UsageError);
    expect(() => parseCommandLine(args)).toThrow(message);
  });
});

describe('the built entry point express-bindid/emulator', () => {
  it('loads with import and with require, and exports createEmulator', async () => {
    const script = [
      `const viaRequire = typeof require('express-bindid/emulator').createEmulator;`,
      `import('express-bindid/emulator').then((m) => console.log(viaRequire, typeof m.createEmulator));`,
    ].join('\n');
    const stdout = await new Promise<string>((resolve, reject) => {
      tracked(
        execFile(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..', '..') }, (error, out) =>
          error === null ? resolve(out) : reject(error),
        ),
      );
    });
    expect(stdout.trim()).toBe('function function');
  });
});
