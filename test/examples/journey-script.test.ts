/**
 * `examples/basic/journey.sh`, the README's curl walk through the journey, run against the example
 * server as `npm start` runs it (examples/basic/server.ts with its embedded emulator, in its own
 * process). The script checks each step itself and exits 1 at the first surprise; this test also
 * checks, at the emulator, that the walk made exactly one accepted report, for the demo user.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type ExampleServer, ROOT, reportsReceived, startExample } from '../e2e/harness.js';

const run = promisify(execFile);
let server: ExampleServer;

beforeAll(async () => {
  server = await startExample();
}, 40_000);
afterAll(async () => {
  await server?.stop();
});

it('walks the journey with curl: confirm with the password once, then straight in by alias; one report', async () => {
  const first = await run('bash', ['examples/basic/journey.sh', server.baseUrl, 'bob'], { cwd: ROOT, timeout: 30_000 });
  expect(first.stdout).toContain('HTTP 401: the generic message');
  expect(first.stdout).toContain(`landed on ${server.baseUrl}/account as demo`);
  expect(first.stdout).toContain('(no password)');
  const reports = await reportsReceived(server);
  expect(reports).toHaveLength(1);
  expect(reports[0]).toMatchObject({ accepted: true, type: 'authentication_performed' });

  // Run again: BindID knows bob now, so the script signs in directly; still one report.
  const second = await run('bash', ['examples/basic/journey.sh', server.baseUrl, 'bob'], { cwd: ROOT, timeout: 30_000 });
  expect(second.stdout).toContain("BindID already knows 'bob' here: signed in directly");
  expect(await reportsReceived(server)).toHaveLength(1);
}, 60_000);

it('fails (exit 1, saying which step) when the journey does not go as it should', async () => {
  // Pointed at something that is not the example, it stops at the first step instead of going on.
  const err = await run('bash', ['examples/basic/journey.sh', `${server.issuer}/nowhere`, 'bob'], { cwd: ROOT, timeout: 30_000 }).then(
    () => undefined,
    (e: { code?: number; stderr?: string }) => e,
  );
  expect(err?.code).toBe(1);
  expect(err?.stderr).toContain('FAILED: GET /login/bindid did not redirect');
}, 60_000);
