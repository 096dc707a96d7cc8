/**
 * Faults of the outbound call (checklist J 79–81, 91–98): the overall deadline (hung and trickling
 * servers, late answers), redirects that must not be followed, oversized and odd response bodies,
 * and keep-alive.
 */
import { BindIdFeedbackError, ErrorCode } from '../../src/index.js';
import { FakeBindId, reply } from '../helpers/fake-bindid.js';
import { makeClient, newToken, rejection, timed, useFakeBindId } from '../helpers/feedback.js';

let bindid: FakeBindId;
useFakeBindId((server) => (bindid = server));

/** A second server that must never be contacted. */
let other: FakeBindId;
beforeEach(async () => {
  other = await FakeBindId.start();
});
afterEach(async () => {
  await other.close();
});

const report = () => ({ accessToken: newToken(), alias: 'user-1' });
const SLACK_MS = 150;

describe('the overall deadline', () => {
  it('J80 a server that never answers → ERR_BINDID_TIMEOUT at timeoutMs, not later', async () => {
    bindid.setDefault(reply.hang());
    const { ms, error } = await timed(() => makeClient(bindid.url, { timeoutMs: 300 }).authenticationPerformed(report()));
    expect(error).toBeInstanceOf(BindIdFeedbackError);
    expect(error).toMatchObject({ code: ErrorCode.TIMEOUT, status: 504, retryable: true, attempts: 1 });
    expect(ms).toBeGreaterThanOrEqual(295);
    expect(ms).toBeLessThan(300 + SLACK_MS);
  });

  it('J81 a 503 that trickles its body one byte at a time is still cut at the deadline', async () => {
    bindid.setDefault(reply.trickle(503, 20));
    const { ms, error } = await timed(() => makeClient(bindid.url, { timeoutMs: 300 }).aliasDeleted({ accessToken: newToken() }));
    expect(error).toMatchObject({ code: ErrorCode.TIMEOUT, attempts: 1 });
    expect(ms).toBeLessThan(300 + SLACK_MS);
    expect(bindid.requests[0]?.replyBytes).toBeGreaterThan(3); // it did trickle: an inactivity timer would never fire
  });

  it('J81 a 200 whose body trickles returns by the deadline, as the success BindID said it was', async () => {
    bindid.setDefault(reply.trickle(200, 20));
    const { ms, value, error } = await timed(() => makeClient(bindid.url, { timeoutMs: 300 }).aliasDeleted({ accessToken: newToken() }));
    expect(error).toBeUndefined();
    expect(value).toMatchObject({ status: 200, attempts: 1 });
    expect(ms).toBeLessThan(300 + SLACK_MS);
  });

  it('J80 the deadline covers every attempt and wait: 503 then a hang → TIMEOUT after 2 attempts', async () => {
    bindid.script(reply.status(503), reply.hang());
    const { ms, error } = await timed(() => makeClient(bindid.url, { timeoutMs: 400 }).aliasDeleted({ accessToken: newToken() }));
    expect(error).toMatchObject({ code: ErrorCode.TIMEOUT, attempts: 2 });
    expect(ms).toBeLessThan(400 + SLACK_MS);
  });

  it('J80 the deadline cuts a backoff wait short: ERR_BINDID_TIMEOUT, not a late retry', async () => {
    // Each reply takes 250 ms; the backoff (random 1) is 200 ms; 250 + 200 fits in 500, the next 250 does not.
    bindid.setDefault(reply.status(503, { delayMs: 250 }));
    const client = makeClient(bindid.url, { timeoutMs: 500, backoff: { baseMs: 200, maxMs: 200 }, random: () => 1 });
    const { ms, error } = await timed(() => client.aliasDeleted({ accessToken: newToken() }));
    expect(error).toMatchObject({ code: ErrorCode.TIMEOUT, attempts: 2 });
    expect(ms).toBeLessThan(500 + SLACK_MS);
  });

  it('J98 an answer that arrives after the deadline is ignored: no unhandled rejection, no second settle', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    try {
      bindid.setDefault(reply.json(200, {}, { delayMs: 350 }));
      const err = await rejection(makeClient(bindid.url, { timeoutMs: 200, retries: 0 }).aliasDeleted({ accessToken: newToken() }));
      expect(err.code).toBe(ErrorCode.TIMEOUT);
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the late answer be written
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    }
  });
});

describe('redirects are never followed', () => {
  it.each([
    ['J92', 301],
    ['J92', 302],
    ['J92', 303],
    ['J91', 307],
    ['J91', 308],
  ])('%s %d to another server → ERR_BINDID_REJECTED, and that server receives nothing', async (_id, status) => {
    bindid.setDefault(reply.redirect(status, `${other.url}/session-feedback`));
    const err = await rejection(makeClient(bindid.url, { retries: 3 }).authenticationPerformed(report()));
    expect(err).toMatchObject({ code: ErrorCode.REJECTED, upstreamStatus: status, attempts: 1, status: 502 });
    expect(err.message).toMatch(/redirect/);
    expect(bindid.requests).toHaveLength(1);
    expect(other.requests).toEqual([]);
    expect(other.connections).toBe(0);
  });
});

describe('response bodies', () => {
  it.each<[string, ReturnType<typeof reply.status>]>([
    ['200 {}', reply.json(200, {})],
    ['200 with an empty body', reply.status(200)],
    ['200 with a non-JSON body', reply.status(200, { body: '<html>OK</html>', headers: { 'Content-Type': 'text/html' } })],
    ['200 with JSON that claims an error', reply.json(200, { error: 'ignored' })],
    ['201 with a body', reply.json(201, { id: 1 })],
    ['204 No Content', reply.status(204)],
  ])('J79 %s → success: any 2xx is acceptance, whatever the body', async (_what, r) => {
    bindid.setDefault(r);
    const result = await makeClient(bindid.url).authenticationPerformed(report());
    expect(result.attempts).toBe(1);
  });

  it.each([
    ['with a Content-Length', true],
    ['chunked', false],
  ])('J93 a 50 MB 200 body (%s) → success, read only up to the cap', async (_what, contentLength) => {
    bindid.setDefault(reply.huge(200, 50 * 1024 * 1024, { contentLength }));
    const { ms, value, error } = await timed(() => makeClient(bindid.url, { timeoutMs: 5000 }).aliasDeleted({ accessToken: newToken() }));
    expect(error).toBeUndefined();
    expect(value?.status).toBe(200);
    // The client stopped reading: the server could hand far less than 50 MB to the socket.
    expect(bindid.requests[0]?.replyBytes).toBeLessThan(16 * 1024 * 1024);
    expect(ms).toBeLessThan(2000);
  });

  it('J93 a 50 MB 500 body → retried once, then ERR_BINDID_UNAVAILABLE; no crash, nothing buffered', async () => {
    bindid.setDefault(reply.huge(500, 50 * 1024 * 1024));
    const heapBefore = process.memoryUsage().heapUsed;
    const err = await rejection(makeClient(bindid.url, { timeoutMs: 5000 }).aliasDeleted({ accessToken: newToken() }));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 2, upstreamStatus: 500 });
    for (const request of bindid.requests) expect(request.replyBytes).toBeLessThan(16 * 1024 * 1024);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('keep-alive', () => {
  it('the default client sends sequential reports over one connection, 503 retries included', async () => {
    bindid.script(reply.status(503, { body: 'busy' }), reply.json(200, {}));
    const client = makeClient(bindid.url);
    for (let i = 0; i < 4; i++) await client.aliasDeleted({ accessToken: newToken() });
    expect(bindid.requests).toHaveLength(5);
    expect(bindid.connections).toBe(1);
    expect(new Set(bindid.requests.map((r) => r.connection))).toEqual(new Set([0]));
  });
});
