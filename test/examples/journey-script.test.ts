/**
 * `examples/basic/journey.sh`, the README's curl walk through the journey, run against the example
 * server as `npm start` runs it (examples/basic/server.ts with its embedded emulator, in its own
 * process). The script checks each step itself and exits 1 at the first surprise; this test also
 * checks, at the emulator, that the walk made exactly one accepted report, for its own account
 * (`journey`), after `demo` was linked by hand as a newcomer walks the example first.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { DEMO_PASSWORD, DEMO_USER, type ExampleServer, ROOT, reportsReceived, startExample } from '../e2e/harness.js';

const run = promisify(execFile);
let server: ExampleServer;

beforeAll(async () => {
  server = await startExample();
}, 40_000);
afterAll(async () => {
  await server?.stop();
});

/** Walk the example by hand, as its start-up banner says: "New BindID user", then the demo password. */
async function linkDemoByHand(): Promise<void> {
  const browser = request.agent(server.baseUrl);
  const login = await browser.get('/login/bindid?returnTo=/account');
  const authorize = await fetch(`${login.headers.location}&identity=new`, { redirect: 'manual' });
  const callback = new URL(authorize.headers.get('location') ?? '');
  expect((await browser.get(`${callback.pathname}${callback.search}`)).headers.location).toBe('/bindid/confirm');
  const csrf = /name="_csrf" value="([^"]+)"/.exec((await browser.get('/bindid/confirm')).text)?.[1] ?? '';
  const confirmed = await browser
    .post('/bindid/confirm')
    .type('form')
    .set('Origin', server.baseUrl)
    .send({ _csrf: csrf, username: DEMO_USER, password: DEMO_PASSWORD });
  expect(confirmed.headers.location).toBe('/account');
}

it('walks the journey with curl after demo was linked by hand: its own account, confirmed once, then straight in by alias; one report', async () => {
  await linkDemoByHand();
  expect(await reportsReceived(server)).toHaveLength(1);

  const first = await run('bash', ['examples/basic/journey.sh', server.baseUrl, 'bob'], { cwd: ROOT, timeout: 30_000 });
  expect(first.stdout).toContain('HTTP 401: the generic message');
  expect(first.stdout).toContain(`landed on ${server.baseUrl}/account as journey`);
  expect(first.stdout).toContain('(no password)');
  const reports = await reportsReceived(server);
  expect(reports).toHaveLength(2);
  expect(reports[1]).toMatchObject({ accepted: true, type: 'authentication_performed', alias: '2' });

  // Run again: BindID knows bob now, so the script signs in directly; no new report.
  const second = await run('bash', ['examples/basic/journey.sh', server.baseUrl, 'bob'], { cwd: ROOT, timeout: 30_000 });
  expect(second.stdout).toContain("BindID already knows 'bob' here: signed in directly");
  expect(await reportsReceived(server)).toHaveLength(2);
}, 60_000);

it('a failing step says which, with the HTTP status and the reason the page gives', async () => {
  // `journey` is linked to bob (the test above): another identity cannot link it too.
  const err = await run('bash', ['examples/basic/journey.sh', server.baseUrl, 'alice'], { cwd: ROOT, timeout: 30_000 }).then(
    () => undefined,
    (e: { code?: number; stderr?: string }) => e,
  );
  expect(err?.code).toBe(1);
  expect(err?.stderr).toContain(`FAILED: the right password did not land on ${server.baseUrl}/account`);
  expect(err?.stderr).toContain('HTTP 409: Nothing was linked: this account is already linked to another BindID identity');
  expect(await reportsReceived(server)).toHaveLength(2);
}, 60_000);

it('fails (exit 1, saying which step) when the journey does not go as it should', async () => {
  // Pointed at something that is not the example, it stops at the first step instead of going on.
  const err = await run('bash', ['examples/basic/journey.sh', `${server.issuer}/nowhere`, 'bob'], { cwd: ROOT, timeout: 30_000 }).then(
    () => undefined,
    (e: { code?: number; stderr?: string }) => e,
  );
  expect(err?.code).toBe(1);
  expect(err?.stderr).toContain('FAILED: GET /login/bindid did not redirect');
  expect(err?.stderr).toContain('HTTP 404: "error":"not_found"');
}, 60_000);
