/**
 * Faults of the outbound call (checklist J 79–81, 91–98): the overall deadline (hung and trickling
 * servers, late answers), redirects that must not be followed, oversized and odd response bodies,
 * and keep-alive.
 */
import { ErrorCode } from '../../src/index.js';
import { BindIdFeedbackError } from '../../src/errors.js';
import { FakeBindId, reply } from '../helpers/fake-bindid.js';
import { httpTraffic, settlesAt, until, useFakeClock, watch, withFakeClock } from '../helpers/fake-clock.js';
import { clientProbe, makeClient, newToken, rejection, useFakeBindId } from '../helpers/feedback.js';

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

/**
 * The deadline on a fake clock (test/helpers/fake-clock.ts): the client's deadline and backoff waits
 * and the fake server's delays and trickle run on it, so each test moves time to the moment it looks
 * at, after the event that matters happened (a request arrived, the client chose its wait). Exact
 * instants instead of wall-clock margins; deadline.timing.ts measures the same deadlines in real time.
 */
describe('the overall deadline', () => {
  useFakeClock();

  it('J80 a server that never answers → ERR_BINDID_TIMEOUT at timeoutMs, not later', async () => {
    bindid.setDefault(reply.hang());
    const since = jest.now();
    const call = watch(rejection(makeClient(bindid.url, { timeoutMs: 300 }).authenticationPerformed(report())));
    await until(() => bindid.requests.length === 1, 'the request reached the server');
    const error = await settlesAt(call, 300, since);
    expect(error).toBeInstanceOf(BindIdFeedbackError);
    expect(error).toMatchObject({ code: ErrorCode.TIMEOUT, status: 504, retryable: true, attempts: 1 });
  });

  it('J81 a 503 that trickles its body one byte at a time is still cut at the deadline', async () => {
    bindid.setDefault(reply.trickle(503, 20));
    const traffic = httpTraffic();
    try {
      const since = jest.now();
      const call = watch(rejection(makeClient(bindid.url, { timeoutMs: 300 }).aliasDeleted({ accessToken: newToken() })));
      await until(() => traffic.answered === 1, 'the 503 status line reached the client');
      expect(await settlesAt(call, 300, since)).toMatchObject({ code: ErrorCode.TIMEOUT, attempts: 1 });
    } finally {
      traffic.stop();
    }
    expect(bindid.requests[0]?.replyBytes).toBeGreaterThan(3); // it did trickle: an inactivity timer would never fire
  });

  it('J81 a 200 whose body trickles returns by the deadline, as the success BindID said it was', async () => {
    bindid.setDefault(reply.trickle(200, 20));
    const traffic = httpTraffic();
    try {
      const since = jest.now();
      const call = watch(makeClient(bindid.url, { timeoutMs: 300 }).aliasDeleted({ accessToken: newToken() }));
      await until(() => traffic.answered === 1, 'the 200 status line reached the client');
      expect(await settlesAt(call, 300, since)).toMatchObject({ status: 200, attempts: 1 });
    } finally {
      traffic.stop();
    }
    expect(bindid.requests[0]?.replyBytes).toBeGreaterThan(3);
  });

  it('J80 the deadline covers every attempt and wait: 503 then a hang → TIMEOUT after 2 attempts', async () => {
    bindid.script(reply.status(503), reply.hang());
    const probe = clientProbe(); // backoff 1–5 ms: the first wait is 1 ms
    const since = jest.now();
    const call = watch(rejection(makeClient(bindid.url, { ...probe.options, timeoutMs: 400 }).aliasDeleted({ accessToken: newToken() })));
    await until(() => probe.backoffs === 1, 'the client got the 503 and waits');
    await jest.advanceTimersByTimeAsync(1);
    await until(() => bindid.requests.length === 2, 'the retry reached the server');
    expect(await settlesAt(call, 400, since)).toMatchObject({ code: ErrorCode.TIMEOUT, attempts: 2 });
  });

  it('J80 the deadline cuts a backoff wait short: ERR_BINDID_TIMEOUT, not a late retry', async () => {
    // Each reply takes 250 ms; the backoff (random 1) is 200 ms; 250 + 200 fits in 500, the next 250 does not.
    bindid.setDefault(reply.status(503, { delayMs: 250 }));
    const probe = clientProbe(1);
    const client = makeClient(bindid.url, { ...probe.options, timeoutMs: 500, backoff: { baseMs: 200, maxMs: 200 } });
    const since = jest.now();
    const call = watch(rejection(client.aliasDeleted({ accessToken: newToken() })));
    await until(() => bindid.requests.length === 1, 'the first attempt reached the server');
    await jest.advanceTimersByTimeAsync(250); // its 503 goes out
    await until(() => probe.backoffs === 1, 'the client got the 503 and waits 200 ms');
    await jest.advanceTimersByTimeAsync(200);
    await until(() => bindid.requests.length === 2, 'the retry reached the server, 450 ms in');
    expect(await settlesAt(call, 500, since)).toMatchObject({ code: ErrorCode.TIMEOUT, attempts: 2 });
  });

  it('J98 an answer that arrives after the deadline is ignored: no unhandled rejection, no second settle', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    try {
      bindid.setDefault(reply.json(200, {}, { delayMs: 350 }));
      const since = jest.now();
      const call = watch(rejection(makeClient(bindid.url, { timeoutMs: 200, retries: 0 }).aliasDeleted({ accessToken: newToken() })));
      await until(() => bindid.requests.length === 1, 'the request reached the server');
      expect((await settlesAt(call, 200, since)).code).toBe(ErrorCode.TIMEOUT);
      await jest.advanceTimersByTimeAsync(150); // the late answer is written now
      await new Promise((resolve) => setImmediate(resolve)); // and what it sets off on this side has run
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
    const value = await withFakeClock(async () => {
      // The clock stands still: the call returns without waiting for its deadline (nor for anything else on a timer).
      const call = watch(makeClient(bindid.url, { timeoutMs: 5000 }).aliasDeleted({ accessToken: newToken() }));
      await until(() => call.settled, 'the call returned, with no time passing');
      return call.promise;
    });
    expect(value.status).toBe(200);
    // The client stopped reading: the server could hand far less than 50 MB to the socket.
    expect(bindid.requests[0]?.replyBytes).toBeLessThan(16 * 1024 * 1024);
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
