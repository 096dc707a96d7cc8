/**
 * Which outcomes are retried, how often, and how long the client waits (reliability §4.2,
 * checklist J 82–90): only where a repeat is safe, ambiguous failures at most once, never more
 * than 1 + retries attempts, `Retry-After` honoured inside the deadline.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ErrorCode } from '../../src/index.js';
import { BindIdFeedbackError } from '../../src/errors.js';
import { closedPort, type FakeBindId, type RecordedRequest, reply } from '../helpers/fake-bindid.js';
import { until, watch, withFakeClock } from '../helpers/fake-clock.js';
import { type ClientProbe, clientProbe, makeClient, newToken, rejection, useFakeBindId } from '../helpers/feedback.js';
import { stubLookup } from '../helpers/lookup.js';

let bindid: FakeBindId;
useFakeBindId((server) => (bindid = server));

const report = () => ({ accessToken: newToken(), alias: 'user-1' });

/** Milliseconds between the arrival of request `i - 1` and request `i` (fake ones on a fake clock). */
function gap(i: number): number {
  const [a, b] = [bindid.requests[i - 1], bindid.requests[i]] as [RecordedRequest, RecordedRequest];
  return b.at - a.at;
}

/**
 * On a fake clock (test/helpers/fake-clock.ts): once the client has handled the outcome of attempt
 * `n` and waits, it starts attempt `n + 1` exactly `ms` later: not when the clock reads `ms - 1`,
 * and when it reads `ms`.
 */
async function retriesAfter(probe: ClientProbe, n: number, ms: number): Promise<void> {
  await until(() => probe.backoffs === n, `the client handled attempt ${n} and waits`);
  await jest.advanceTimersByTimeAsync(ms - 1);
  expect(probe.attempts).toBe(n);
  await jest.advanceTimersByTimeAsync(1);
  expect(probe.attempts).toBe(n + 1);
}

describe('told to wait: 429 and 503', () => {
  it.each([429, 503])('J86 %d then 200 → success on the second attempt', async (status) => {
    bindid.script(reply.status(status), reply.json(200, {}));
    const result = await makeClient(bindid.url).authenticationPerformed(report());
    expect(result).toMatchObject({ status: 200, attempts: 2 });
    expect(bindid.requests).toHaveLength(2);
  });

  it('J86 503 + Retry-After: 1 → waits at least 1 s before the retry', () =>
    withFakeClock(async () => {
      bindid.script(reply.status(503, { headers: { 'Retry-After': '1' } }), reply.json(200, {}));
      const probe = clientProbe(0); // no backoff of its own: the wait is Retry-After's
      const call = watch(makeClient(bindid.url, { ...probe.options, timeoutMs: 3000 }).authenticationPerformed(report()));
      await retriesAfter(probe, 1, 1000);
      expect((await call.promise).attempts).toBe(2);
      expect(gap(1)).toBe(1000);
    }));

  it('J86 429 + Retry-After: 1 → waits at least 1 s before the retry, like 503', () =>
    withFakeClock(async () => {
      bindid.script(reply.status(429, { headers: { 'Retry-After': '1' } }), reply.json(200, {}));
      const probe = clientProbe(0);
      const call = watch(makeClient(bindid.url, { ...probe.options, timeoutMs: 3000 }).authenticationPerformed(report()));
      await retriesAfter(probe, 1, 1000);
      expect(await call.promise).toMatchObject({ status: 200, attempts: 2 });
      expect(gap(1)).toBe(1000);
    }));

  it('J86 503 + Retry-After as an HTTP-date → waits until that date, read on the injected clock', () =>
    withFakeClock(async () => {
      // The injected clock says it is 300 ms before the date BindID gave.
      const date = 'Thu, 01 Jan 2026 00:00:01 GMT';
      bindid.script(reply.status(503, { headers: { 'Retry-After': date } }), reply.json(200, {}));
      const probe = clientProbe(0);
      const client = makeClient(bindid.url, { ...probe.options, timeoutMs: 2000, now: () => Date.parse(date) - 300 });
      const call = watch(client.aliasDeleted({ accessToken: newToken() }));
      await retriesAfter(probe, 1, 300);
      expect((await call.promise).attempts).toBe(2);
      expect(gap(1)).toBe(300);
    }));

  it.each([
    ['503 + Retry-After: 3600', 503, '3600'],
    ['429 + Retry-After: 3600', 429, '3600'],
    ['503 + a far-future HTTP-date', 503, new Date(Date.now() + 86_400_000).toUTCString()],
    ['429 + Retry-After of 11 digits', 429, '99999999999'],
  ])('J87 %s beyond the deadline → fails at once, without waiting', (_what, status, value) =>
    withFakeClock(async () => {
      bindid.script(reply.status(status, { headers: { 'Retry-After': value } }));
      // The clock stands still: only a client that does not wait at all settles.
      const call = watch(rejection(makeClient(bindid.url, { timeoutMs: 2000 }).authenticationPerformed(report())));
      await until(() => call.settled, 'the call failed, with no time passing');
      const error = await call.promise;
      expect(error).toBeInstanceOf(BindIdFeedbackError);
      expect(error).toMatchObject({ code: ErrorCode.UNAVAILABLE, upstreamStatus: status, attempts: 1, retryable: true, status: 503 });
      expect(bindid.requests).toHaveLength(1);
    }));

  it.each([
    ['not a number', 'abc'],
    ['negative', '-5'],
    ['a fraction', '1.5'],
    ['empty', ''],
    ['zero', '0'],
    ['a past HTTP-date', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['an invalid HTTP-date', 'Sun, 06 Nov 1994 25:61:99 GMT'],
    ['a date in no HTTP format', '2020-01-01T00:00:00Z'],
  ])('J88 Retry-After %s → the default backoff is used (no NaN, no zero wait)', (_what, value) =>
    withFakeClock(async () => {
      // random 1 makes the jittered backoff exactly its bound: 60 ms before the first retry.
      bindid.script(reply.status(503, { headers: { 'Retry-After': value } }), reply.json(200, {}));
      const probe = clientProbe(1);
      const client = makeClient(bindid.url, { ...probe.options, backoff: { baseMs: 60, maxMs: 60 } });
      const call = watch(client.aliasDeleted({ accessToken: newToken() }));
      await retriesAfter(probe, 1, 60);
      expect((await call.promise).attempts).toBe(2);
      expect(gap(1)).toBe(60);
    }));

  it('J88 a short Retry-After is a floor over the backoff, not a replacement', () =>
    withFakeClock(async () => {
      // Retry-After: 0 from every throttled reply must not turn the retries into a tight loop.
      bindid.script(...Array.from({ length: 3 }, () => reply.status(429, { headers: { 'Retry-After': '0' } })));
      const probe = clientProbe(1);
      const client = makeClient(bindid.url, { ...probe.options, retries: 3, backoff: { baseMs: 40, maxMs: 40 } });
      const call = watch(client.aliasDeleted({ accessToken: newToken() }));
      for (const n of [1, 2, 3]) await retriesAfter(probe, n, 40);
      expect((await call.promise).attempts).toBe(4);
      for (const i of [1, 2, 3]) expect(gap(i)).toBe(40);
    }));

  it('keeps waiting and retrying up to `retries`, then ERR_BINDID_UNAVAILABLE with the last status', async () => {
    bindid.setDefault(reply.status(503));
    const err = await rejection(makeClient(bindid.url, { retries: 3 }).authenticationPerformed(report()));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 4, upstreamStatus: 503, retryable: true });
    expect(bindid.requests).toHaveLength(4);
  });
});

describe('ambiguous: other 5xx and connection resets are retried at most once', () => {
  it.each([500, 502, 504])('J85 %d every time → two attempts in all, then ERR_BINDID_UNAVAILABLE', async (status) => {
    bindid.setDefault(reply.status(status));
    const err = await rejection(makeClient(bindid.url, { retries: 5 }).authenticationPerformed(report()));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 2, upstreamStatus: status });
    expect(bindid.requests).toHaveLength(2);
  });

  it('J85 502 then 200 → success on the second attempt', async () => {
    bindid.script(reply.status(502), reply.json(200, {}));
    expect(await makeClient(bindid.url).aliasUpdated(report())).toMatchObject({ status: 200, attempts: 2 });
  });

  it('J84 a dropped connection (reset after the request arrived) is retried once, then ERR_BINDID_UNAVAILABLE', async () => {
    bindid.setDefault(reply.drop());
    const err = await rejection(makeClient(bindid.url, { retries: 5 }).authenticationPerformed(report()));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 2 });
    expect((err.cause as Error & { code?: string }).code).toBe('ECONNRESET');
    expect(bindid.requests).toHaveLength(2);
  });

  it('J84 drop then 200 → success on the second attempt', async () => {
    bindid.script(reply.drop(), reply.json(200, {}));
    expect(await makeClient(bindid.url).aliasDeleted({ accessToken: newToken() })).toMatchObject({ attempts: 2 });
  });

  it('J84 J85 two different ambiguous failures still make one retry in all (500 then drop → stop)', async () => {
    bindid.script(reply.status(500), reply.drop(), reply.json(200, {}));
    const err = await rejection(makeClient(bindid.url, { retries: 5 }).aliasDeleted({ accessToken: newToken() }));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 2 });
    expect(bindid.requests).toHaveLength(2);
  });

  it('the single ambiguous retry does not use up the told-to-wait ones (500, 503, 503, 200 → success)', async () => {
    bindid.script(reply.status(500), reply.status(503), reply.status(503), reply.json(200, {}));
    expect(await makeClient(bindid.url, { retries: 3 }).aliasDeleted({ accessToken: newToken() })).toMatchObject({ attempts: 4 });
  });
});

describe('never retried', () => {
  it.each([
    ['J89', 400, ErrorCode.REJECTED],
    ['J89', 404, ErrorCode.REJECTED],
    ['J89', 409, ErrorCode.REJECTED],
    ['J89', 422, ErrorCode.REJECTED],
    ['J90', 401, ErrorCode.UNAUTHORIZED],
    ['J90', 403, ErrorCode.UNAUTHORIZED],
  ])('%s %d → exactly one request, %s', async (_id, status, code) => {
    bindid.setDefault(reply.json(status, { error: 'nope' }));
    const err = await rejection(makeClient(bindid.url, { retries: 5 }).authenticationPerformed(report()));
    expect(err).toBeInstanceOf(BindIdFeedbackError);
    expect(err).toMatchObject({ code, status: 502, upstreamStatus: status, attempts: 1, retryable: false });
    expect(bindid.requests).toHaveLength(1);
  });

  it('J90 401 says what to check (secret, token age)', async () => {
    bindid.setDefault(reply.status(401));
    const err = await rejection(makeClient(bindid.url).authenticationPerformed(report()));
    expect(err.message).toMatch(/client secret/);
    expect(err.message).toMatch(/hour/);
  });
});

describe('never delivered: connection refused', () => {
  it('J82 is retried up to `retries`, with backoff, then ERR_BINDID_UNAVAILABLE (cause ECONNREFUSED)', async () => {
    const port = await closedPort();
    await withFakeClock(async () => {
      const probe = clientProbe(1);
      const client = makeClient(`http://127.0.0.1:${port}`, { ...probe.options, retries: 3, backoff: { baseMs: 20, maxMs: 40 } });
      const since = jest.now();
      const call = watch(rejection(client.authenticationPerformed(report())));
      // The three backoff bounds with random = 1: 20, then 40 (doubled), then 40 (capped).
      for (const [n, ms] of [[1, 20], [2, 40], [3, 40]] as const) await retriesAfter(probe, n, ms);
      await until(() => call.settled, 'the fourth refusal ended the call, with no more waiting');
      const error = await call.promise;
      expect(error).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 4, retryable: true });
      expect((error.cause as (Error & { code?: string }) | undefined)?.code).toBe('ECONNREFUSED');
      expect(jest.now() - since).toBe(20 + 40 + 40);
    });
  });

  it('J82 with retries: 0 → one attempt', async () => {
    const port = await closedPort();
    const err = await rejection(makeClient(`http://127.0.0.1:${port}`, { retries: 0 }).aliasDeleted({ accessToken: newToken() }));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 1 });
  });

  it('J82 works the same for a localhost URL (dual-stack lookup)', async () => {
    const port = await closedPort();
    const err = await rejection(makeClient(`http://localhost:${port}`, { retries: 2 }).aliasDeleted({ accessToken: newToken() }));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 3 });
  });
});

describe('never delivered: the name does not resolve', () => {
  it.each(['ENOTFOUND', 'EAI_AGAIN'])('J83 %s is retried up to `retries`, then ERR_BINDID_UNAVAILABLE naming it', async (code) => {
    // A lookup that fails like getaddrinfo, so no DNS query leaves the machine.
    const lookup = stubLookup(() => Object.assign(new Error(`getaddrinfo ${code} localhost`), { code }));
    const err = await rejection(makeClient('http://localhost:1', { retries: 2 }).aliasDeleted({ accessToken: newToken() })).finally(lookup.restore);
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 3, retryable: true });
    expect((err.cause as Error & { code?: string }).code).toBe(code);
    expect(lookup.calls).toBe(3);
  });
});

describe('timeouts and unreachable networks before an answer', () => {
  // The connection fails in the client with the code the OS gives; nothing leaves the machine.
  it.each([
    ['ENETUNREACH', 'never delivered: retried up to `retries`', 3],
    ['EHOSTUNREACH', 'never delivered: retried up to `retries`', 3],
    ['ETIMEDOUT', 'maybe delivered: retried once', 2],
    ['ECONNABORTED', 'maybe delivered: retried once', 2],
  ])('%s is %s, then ERR_BINDID_UNAVAILABLE naming it', async (code, _what, attempts) => {
    const lookup = stubLookup(() => Object.assign(new Error(`connect ${code}`), { code }));
    const err = await rejection(makeClient('http://localhost:1', { retries: 2 }).aliasDeleted({ accessToken: newToken() })).finally(lookup.restore);
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts, retryable: true });
    expect((err.cause as Error & { code?: string }).code).toBe(code);
    expect(lookup.calls).toBe(attempts);
  });

  it('a connect timeout then 200 → success on the second attempt', async () => {
    let tries = 0;
    const lookup = stubLookup(() => (++tries === 1 ? Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }) : '127.0.0.1'));
    const url = bindid.url.replace('127.0.0.1', 'localhost'); // a name, so that the lookup runs
    const result = await makeClient(url).authenticationPerformed(report()).finally(lookup.restore);
    expect(tries).toBe(2);
    expect(result).toMatchObject({ status: 200, attempts: 2 });
    expect(bindid.requests).toHaveLength(1);
  });
});

describe('TLS', () => {
  const fixtures = path.join(__dirname, '..', 'fixtures');
  it('J94 a self-signed certificate → ERR_BINDID_UNAVAILABLE at once: not retried, no insecure fallback', async () => {
    const server = https.createServer(
      { key: readFileSync(path.join(fixtures, 'self-signed-key.pem')), cert: readFileSync(path.join(fixtures, 'self-signed-cert.pem')) },
      (_req, res) => res.end('{}'),
    );
    let connections = 0;
    let requests = 0;
    server.on('connection', () => (connections += 1));
    server.on('request', () => (requests += 1));
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const err = await rejection(makeClient(url, { retries: 3 }).aliasDeleted({ accessToken: newToken() }));
      expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 1, retryable: false });
      expect((err.cause as Error & { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(connections).toBe(1);
      expect(requests).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('attempts never exceed 1 + retries', () => {
  it.each([0, 1, 2, 4])('retries: %d against an always-503 server', async (retries) => {
    bindid.setDefault(reply.status(503));
    const err = await rejection(makeClient(bindid.url, { retries }).aliasDeleted({ accessToken: newToken() }));
    expect(err.attempts).toBe(1 + retries);
    expect(bindid.requests).toHaveLength(1 + retries);
  });
});
