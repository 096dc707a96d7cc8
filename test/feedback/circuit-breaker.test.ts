import { CircuitBreaker } from '../../src/feedback/circuit-breaker.js';
import { ErrorCode } from '../../src/index.js';
import { type FakeBindId, reply } from '../helpers/fake-bindid.js';
import { until, useFakeClock, watch } from '../helpers/fake-clock.js';
import { closeClients, makeClient, newToken, rejection, useFakeBindId } from '../helpers/feedback.js';

let bindid: FakeBindId;
useFakeBindId((server) => {
  bindid = server;
});
afterEach(closeClients);
// The breaker reads performance.now(): on the fake clock its rest lasts exactly resetMs, whatever the machine's speed.
useFakeClock();

const report = () => ({ accessToken: newToken(), alias: 'user-1' });

describe('K106–K107 the circuit breaker of SessionFeedbackClient', () => {
  it('K106 opens after N consecutive outages: the next report fails fast (<50 ms) with no request', async () => {
    bindid.setDefault(reply.status(500));
    const client = makeClient(bindid.url, { retries: 0, circuitBreaker: { failureThreshold: 3, resetMs: 60_000 } });
    for (let i = 0; i < 3; i++) expect((await rejection(client.authenticationPerformed(report()))).code).toBe(ErrorCode.UNAVAILABLE);
    const before = bindid.requests.length;
    // Fast: the clock stands still, so only a report that neither waits nor goes out settles.
    const call = watch(rejection(client.authenticationPerformed(report())));
    await until(() => call.settled, 'the report failed, with no time passing');
    const err = await call.promise;
    expect(err.code).toBe(ErrorCode.UNAVAILABLE);
    expect(err.retryable).toBe(true);
    expect(err.attempts).toBe(0);
    expect(err.message).toMatch(/circuit open/);
    expect(bindid.requests.length).toBe(before);
  });

  it('K107 after resetMs one probe goes out: success closes the circuit', async () => {
    bindid.setDefault(reply.status(503));
    const client = makeClient(bindid.url, { retries: 0, circuitBreaker: { failureThreshold: 2, resetMs: 150 } });
    await rejection(client.authenticationPerformed(report()));
    await rejection(client.authenticationPerformed(report()));
    bindid.setDefault(reply.json(200, {}));
    await jest.advanceTimersByTimeAsync(149);
    expect((await rejection(client.authenticationPerformed(report()))).message).toMatch(/circuit open/); // not before resetMs
    await jest.advanceTimersByTimeAsync(1);
    const before = bindid.requests.length;
    expect((await client.authenticationPerformed(report())).status).toBe(200);
    expect(bindid.requests.length).toBe(before + 1);
    expect((await client.authenticationPerformed(report())).status).toBe(200);
  });

  it('K107 a failed probe opens the circuit again at once', async () => {
    bindid.setDefault(reply.status(503));
    const client = makeClient(bindid.url, { retries: 0, circuitBreaker: { failureThreshold: 2, resetMs: 150 } });
    await rejection(client.authenticationPerformed(report()));
    await rejection(client.authenticationPerformed(report()));
    await jest.advanceTimersByTimeAsync(150);
    await rejection(client.authenticationPerformed(report()));
    const before = bindid.requests.length;
    expect((await rejection(client.authenticationPerformed(report()))).message).toMatch(/circuit open/);
    expect(bindid.requests.length).toBe(before);
  });

  it('a 4xx proves BindID is up and resets the count; circuitBreaker: false never opens', async () => {
    const breaker = new CircuitBreaker(2, 1000, () => 0);
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    bindid.setDefault(reply.status(500));
    const client = makeClient(bindid.url, { retries: 0, circuitBreaker: false });
    for (let i = 0; i < 8; i++) await rejection(client.authenticationPerformed(report()));
    expect(bindid.requests).toHaveLength(8);
  });

  it('only one probe at a time in the half-open state', () => {
    let now = 0;
    const breaker = new CircuitBreaker(1, 100, () => now);
    breaker.failure();
    expect(breaker.allow()).toBe(false);
    now = 100;
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false);
  });
});
