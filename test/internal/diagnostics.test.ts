/**
 * The `diagnostics_channel` channels (src/internal/diagnostics.ts), subscribed to by name the way a
 * tracer or a metrics library would, during a whole journey with a BindID outage: sign-ins (token
 * exchange), a confirmation while BindID is down (report attempts, the circuit opening, the report
 * queued), BindID back (the worker delivers), an expired token (dead letter), too many wrong
 * passwords (lock-out). Every payload is checked for the secrets of the run.
 */
import diagnostics from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS, MemoryBindIdStore, SessionFeedbackClient } from '../../src/index.js';
import { StoreOutbox } from '../../src/fail-open/index.js';
import { type FakeableClock, withFakeClock } from '../helpers/fake-clock.js';
import { atConfirmPage, bindIdSignIn, type Flow, linkAs, pendingAccessToken, submitConfirm, useFlowPerTest } from '../helpers/flow.js';

const DOWN = { status: 503 } as const;

/** Everything published on every channel, in order: `[channel, event, a deep copy of the payload]`. */
function record(): { events: Array<[string, string, unknown]>; stop(): void } {
  const events: Array<[string, string, unknown]> = [];
  const copy = (value: unknown): unknown =>
    JSON.parse(
      JSON.stringify(value, (_key, v: unknown) =>
        v instanceof Error ? { name: v.name, message: v.message, code: (v as { code?: unknown }).code, cause: copy(v.cause) } : v,
      ) ?? 'null',
    );
  const stops: Array<() => void> = [];
  for (const name of [DIAGNOSTICS_CHANNELS.sessionFeedback, DIAGNOSTICS_CHANNELS.tokenExchange]) {
    const handlers = Object.fromEntries(
      (['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const).map((event) => [event, (message: unknown) => events.push([name, event, copy(message)])]),
    ) as unknown as diagnostics.TracingChannelSubscribers<object>;
    diagnostics.tracingChannel(name).subscribe(handlers);
    stops.push(() => diagnostics.tracingChannel(name).unsubscribe(handlers));
  }
  for (const name of [
    DIAGNOSTICS_CHANNELS.outboxEnqueue,
    DIAGNOSTICS_CHANNELS.outboxDeliver,
    DIAGNOSTICS_CHANNELS.outboxDeadLetter,
    DIAGNOSTICS_CHANNELS.circuitBreaker,
    DIAGNOSTICS_CHANNELS.attemptsLocked,
  ]) {
    const handler = (message: unknown) => events.push([name, 'publish', copy(message)]);
    diagnostics.subscribe(name, handler);
    stops.push(() => diagnostics.unsubscribe(name, handler));
  }
  return {
    events,
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}

const of = (events: Array<[string, string, unknown]>, channel: string, event = 'publish') =>
  events.filter(([c, e]) => c === channel && e === event).map(([, , payload]) => payload);

/**
 * Only `performance.now()` fake (the circuit breaker's clock), for the tests whose circuit opens: its
 * rest (resetMs 100) then ends when the test says, not when the machine gets round to the next step.
 */
const ALL_BUT_PERFORMANCE: FakeableClock[] = ['Date', 'hrtime', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'];
const onBreakerClock = (test: () => Promise<void>) => () => withFakeClock(test, ALL_BUT_PERFORMANCE);

describe('diagnostics_channel', () => {
  const flows = useFlowPerTest();
  let recorder: ReturnType<typeof record>;
  beforeEach(() => {
    recorder = record();
  });
  afterEach(() => recorder.stop());

  /** Fail-open, one attempt per report, a circuit that opens at the first outage and probes after 100 ms (of its clock). */
  function start(): Promise<Flow> {
    return flows.start({
      router: (emulator) => ({
        failureMode: 'open',
        outbox: new StoreOutbox(new MemoryBindIdStore()),
        outboxWorker: { start: false },
        client: new SessionFeedbackClient({
          apiUrl: emulator.apiUrl,
          clientSecret: emulator.clientSecret,
          retries: 0,
          circuitBreaker: { failureThreshold: 1, resetMs: 100 },
        }),
      }),
    });
  }

  it('N169 publishes each step of a journey through an outage, and no payload holds a secret', onBreakerClock(async () => {
    const flow = await start();
    const { emulator } = flow;
    const worker = flow.router?.outboxWorker;
    if (!worker) throw new Error('no outbox worker');
    const secrets: string[] = [emulator.clientSecret, 'flow-test-session-secret'];

    // Two new users confirm while BindID's API is down: both signed in, both reports queued.
    emulator.setFault('session-feedback', DOWN);
    const agents = [flow.agent(), flow.agent()];
    for (const agent of agents) {
      const at = await atConfirmPage(agent);
      secrets.push(await pendingAccessToken(agent), at.csrf, at.fields.password as string);
      expect((await submitConfirm(agent, at.fields)).status).toBe(303);
    }
    const events = recorder.events;
    expect(of(events, DIAGNOSTICS_CHANNELS.tokenExchange, 'start')).toHaveLength(2);
    expect(of(events, DIAGNOSTICS_CHANNELS.tokenExchange, 'asyncEnd')).toEqual([
      expect.objectContaining({ returningUser: false, durationMs: expect.any(Number) }),
      expect.objectContaining({ returningUser: false, durationMs: expect.any(Number) }),
    ]);
    // The first report fails after one attempt and opens the circuit; the second fails fast (0 attempts).
    expect(of(events, DIAGNOSTICS_CHANNELS.sessionFeedback, 'error')).toEqual([
      expect.objectContaining({ type: 'authentication_performed', code: 'ERR_BINDID_UNAVAILABLE', status: 503, attempts: 1 }),
      expect.objectContaining({ type: 'authentication_performed', code: 'ERR_BINDID_UNAVAILABLE', attempts: 0 }),
    ]);
    expect(of(events, DIAGNOSTICS_CHANNELS.circuitBreaker)).toEqual([{ from: 'closed', to: 'open', failures: 1 }]);
    const queued = of(events, DIAGNOSTICS_CHANNELS.outboxEnqueue) as Array<{ id: string }>;
    expect(queued).toEqual([
      { id: expect.stringMatching(/^[0-9a-f]{64}$/), type: 'authentication_performed', attempts: 0 },
      { id: expect.stringMatching(/^[0-9a-f]{64}$/), type: 'authentication_performed', attempts: 0 },
    ]);

    // BindID back, the circuit's rest over, but both access tokens have expired at BindID meanwhile:
    // the worker's probe is answered 401 (BindID is up: the circuit closes), both reports are dead-lettered.
    emulator.clearFaults();
    jest.advanceTimersByTime(100);
    emulator.expireAccessTokens();
    expect(await worker.runOnce()).toMatchObject({ deadLettered: 2 });
    expect(of(events, DIAGNOSTICS_CHANNELS.circuitBreaker)).toEqual([
      { from: 'closed', to: 'open', failures: 1 },
      { from: 'open', to: 'half-open', failures: 1 },
      { from: 'half-open', to: 'closed', failures: 1 },
    ]);
    expect(of(events, DIAGNOSTICS_CHANNELS.outboxDeadLetter)).toEqual(
      queued.map(({ id }) => ({ id, type: 'authentication_performed', attempts: 1, reason: 'rejected: ERR_BINDID_UNAUTHORIZED' })),
    );

    for (const [channel, event, payload] of events) {
      const text = JSON.stringify(payload);
      // No secret, token or password, and no JWT (an ID token would start with eyJ).
      const leaks = secrets.some((secret) => text.includes(secret)) || /eyJ[\w-]+\./.test(text);
      expect({ channel, event, leaks }).toEqual({ channel, event, leaks: false });
    }
  }));

  it('publishes a delivery by the worker once BindID is back', onBreakerClock(async () => {
    const flow = await start();
    const worker = flow.router?.outboxWorker;
    if (!worker) throw new Error('no outbox worker');
    flow.emulator.setFault('session-feedback', DOWN);
    const agent = flow.agent();
    expect((await submitConfirm(agent, (await atConfirmPage(agent)).fields)).status).toBe(303);
    flow.emulator.clearFaults();
    jest.advanceTimersByTime(100);
    expect(await worker.runOnce()).toMatchObject({ delivered: 1 });
    const [queued] = of(recorder.events, DIAGNOSTICS_CHANNELS.outboxEnqueue) as Array<{ id: string }>;
    expect(of(recorder.events, DIAGNOSTICS_CHANNELS.outboxDeliver)).toEqual([{ id: queued?.id, type: 'authentication_performed', attempts: 1 }]);
    expect(of(recorder.events, DIAGNOSTICS_CHANNELS.sessionFeedback, 'asyncEnd').at(-1)).toEqual(
      expect.objectContaining({ type: 'authentication_performed', status: 200, attempts: 1, durationMs: expect.any(Number) }),
    );
  }));

  it('reports a returning user on the token exchange and a lock-out with the limit and the count', async () => {
    const flow = await start();
    expect((await linkAs(flow.agent(), 'alice', 'alice', 'alice-password')).status).toBe(303);
    expect((await bindIdSignIn(flow.agent(), 'alice')).status).toBe(303);
    const exchanges = of(recorder.events, DIAGNOSTICS_CHANNELS.tokenExchange, 'asyncEnd') as Array<{ returningUser: boolean }>;
    expect(exchanges.map((e) => e.returningUser)).toEqual([false, true]);

    // The account limit (10 by default) is reached over three pending logins (5 attempts each at most).
    const statuses: number[] = [];
    for (let login = 0; login < 3; login++) {
      const agent = flow.agent();
      const at = await atConfirmPage(agent);
      for (let i = 0; i < 4; i++) statuses.push((await submitConfirm(agent, { ...at.fields, username: 'bob', password: 'wrong' })).status);
    }
    // A locked account answers like a wrong password (no oracle); only the channel tells them apart.
    expect(statuses).toEqual(Array(12).fill(401));
    expect(of(recorder.events, DIAGNOSTICS_CHANNELS.attemptsLocked)).toEqual([
      { limit: 'account', count: 11 },
      { limit: 'account', count: 12 },
    ]);
  });

  it('costs nothing and changes nothing without subscribers', async () => {
    recorder.stop();
    const flow = await start();
    expect((await linkAs(flow.agent(), 'alice', 'alice', 'alice-password')).status).toBe(303);
    expect(recorder.events).toEqual([]);
  });
});
