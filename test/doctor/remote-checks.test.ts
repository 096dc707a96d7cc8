/**
 * The client-auth check against token endpoints that do not behave like BindID's: one that drops the
 * connection, and one that answers 500 without an OAuth error. Each gives a FAIL line with what was
 * seen and a fix, and the secret is sent only to the issuer's own host.
 */
import { type ProbeContext, Redactor } from '../../src/doctor/probe.js';
import { checkClientAuth } from '../../src/doctor/remote-checks.js';
import type { BindIdSetupOptions } from '../../src/doctor/types.js';
import { type Answer, type LoopbackServer, loopbackServer } from './loopback-server.js';

let handle: () => Answer | 'drop' = () => ({ status: 404 });
let srv: LoopbackServer;
beforeAll(async () => {
  srv = await loopbackServer(() => handle());
});
afterAll(() => srv.close());

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
  const check = await checkClientAuth(options(), { tokenEndpoint: `${srv.url}/token`, fromDocument: true }, context());
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
  const check = await checkClientAuth(options(), { tokenEndpoint: `${srv.url}/token`, fromDocument: true }, context());
  expect(check).toEqual({
    id: 'client-auth',
    status: 'fail',
    detail: `${srv.url}/token answered 500 to an invalid code, not 400 invalid_grant`,
    fix: "check that the issuer is BindID's sign-in host and that clientId is the application's client id",
  });
  handle = () => ({ status: 401, headers: { 'content-type': 'application/json' }, body: '{"error":42}' });
  const refused = await checkClientAuth(options(), { tokenEndpoint: `${srv.url}/token`, fromDocument: true }, context());
  expect(refused.detail).toBe(`${srv.url}/token refused the client (401)`);
});
