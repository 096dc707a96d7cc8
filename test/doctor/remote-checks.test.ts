/**
 * The client-auth check against token endpoints that do not behave like BindID's: one that drops the
 * connection, and one that answers 500 without an OAuth error. Each gives a FAIL line with what was
 * seen and a fix, and the secret is sent only to the issuer's own host. Neither the secret nor a
 * signed report goes over plain http off this machine, even when the check is handed such a URL (the
 * options refuse one first): a loopback host reached through a name that is not loopback receives
 * nothing.
 */
import type { ProbeContext } from '../../src/doctor/ask.js';
import { Redactor } from '../../src/doctor/redactor.js';
import { checkApiHost, checkClientAuth } from '../../src/doctor/remote-checks.js';
import type { BindIdSetupOptions } from '../../src/doctor/types.js';
import { type Answer, type LoopbackServer, loopbackServer } from './loopback-server.js';

let handle: () => Answer | 'drop' = () => ({ status: 404 });
let srv: LoopbackServer;
beforeAll(async () => {
  srv = await loopbackServer(() => handle());
});
afterAll(() => srv.close());
beforeEach(() => {
  srv.requests.length = 0;
});

function options(): BindIdSetupOptions {
  return {
    issuer: srv.url,
    apiUrl: srv.url,
    clientId: 'client-1',
    clientSecret: 'the-client-secret',
    redirectUri: 'http://localhost:3000/bindid/callback',
  };
}

function context(): ProbeContext {
  return { timeoutMs: 2000, now: Date.now, dates: [], redactor: new Redactor() };
}

it('a token endpoint that drops the connection fails client-auth with the connection error', async () => {
  handle = () => 'drop';
  const check = await checkClientAuth(options(), `${srv.url}/token`, context());
  expect(check).toEqual({
    id: 'client-auth',
    status: 'fail',
    detail: expect.stringMatching(new RegExp(`^no answer from ${new URL(srv.url).host} \\(\\w+\\)$`)),
    fix: 'check that this machine can reach the sign-in host',
  });
  expect(srv.requests.at(-1)).toBe('POST /token');
});

it('a token endpoint answering 500 without an OAuth error fails client-auth: "answered 500 ..., not 400 invalid_grant"', async () => {
  handle = () => ({ status: 500, headers: { 'content-type': 'text/plain' }, body: 'oops' });
  const check = await checkClientAuth(options(), `${srv.url}/token`, context());
  expect(check).toEqual({
    id: 'client-auth',
    status: 'fail',
    detail: `${srv.url}/token answered 500 to an invalid code, not 400 invalid_grant`,
    fix: "check that the issuer is BindID's sign-in host and that clientId is the application's client id",
  });
  handle = () => ({ status: 401, headers: { 'content-type': 'application/json' }, body: '{"error":42}' });
  const refused = await checkClientAuth(options(), `${srv.url}/token`, context());
  expect(refused.detail).toBe(`${srv.url}/token refused the client (401)`);
});

it('N188 a token endpoint over plain http off this machine gets no secret: client-auth fails "not sent", the host receives nothing', async () => {
  const remote = `http://[::ffff:127.0.0.1]:${new URL(srv.url).port}`; // loopback, but not by the library's rule
  const check = await checkClientAuth({ ...options(), issuer: remote }, `${remote}/token`, context());
  expect(check).toMatchObject({
    status: 'fail',
    detail: `not sent: ${new URL(remote).origin} is plain http off this machine, and the request carries the client secret`,
  });
  expect(srv.requests).toEqual([]);
});

it('N188 an API URL over plain http off this machine gets no signed report: api-host fails "not sent", the host receives nothing', async () => {
  const remote = `http://[::ffff:127.0.0.1]:${new URL(srv.url).port}`;
  const check = await checkApiHost({ ...options(), apiUrl: remote }, context());
  expect(check).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^not sent: .* plain http off this machine/) });
  expect(srv.requests).toEqual([]);
});

it('N190 a token endpoint whose error quotes the secret at its end shows none of it: redacted before being cut to 64 characters', async () => {
  handle = () => ({ status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: `${'x'.repeat(60)}the-client-secret` }) });
  const check = await checkClientAuth(options(), `${srv.url}/token`, context());
  expect(check.detail).toContain(`answered 400 ${'x'.repeat(60)}[red`);
  expect(check.detail).not.toContain('the-c');
});
