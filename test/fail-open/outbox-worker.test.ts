/**
 * OutboxWorker against the emulator (real logins, real access tokens, strict HMAC checks): delivery
 * with the original `time` (K104), dedupe on (sub, alias) (K104), dead letters for expired tokens
 * (K103) and refused reports, backoff until success, exactly-once delivery by two instances sharing
 * one store, start/stop without leftover timers, and store failures.
 */
import type { Emulator } from '../../src/emulator/index.js';
import { BindIdError, ErrorCode, MemoryBindIdStore, type SessionFeedbackClient, RedisBindIdStore } from '../../src/index.js';
import { type Outbox, type OutboxDeadLetterEvent, type OutboxDeliveredEvent, type OutboxItem, type OutboxRetryEvent, type OutboxRunResult, type OutboxSender, OutboxWorker, type OutboxWorkerOptions, StoreOutbox } from '../../src/fail-open/index.js';
import { startEmulator } from '../emulator/helpers.js';
import { FakeRedisQueues as FakeRedis } from '../stores/fake-redis-queues.js';
import { until, watch, withFakeClock } from '../helpers/fake-clock.js';
import { closeClients, hmac, makeClient, rejection } from '../helpers/feedback.js';
import { captureDebug, leaksIn } from '../helpers/leaks.js';
import { acceptedPerSub, identities, loginItem, ORIGINAL_TIME } from '../helpers/outbox.js';
import { expectBurstDeliveredOnce, indexBurst } from './index-burst.js';

let emu: Emulator;

/** A client of the emulator that does not retry by itself (the outbox does). */
function client(overrides: Parameters<typeof makeClient>[1] = {}): SessionFeedbackClient {
  return makeClient(emu.apiUrl, { clientSecret: emu.clientSecret, retries: 0, ...overrides });
}

/** Events a worker fired. */
interface Events {
  delivered: OutboxDeliveredEvent[];
  retried: OutboxRetryEvent[];
  dead: OutboxDeadLetterEvent[];
}

function worker(outbox: Outbox, options: Partial<OutboxWorkerOptions> = {}): { worker: OutboxWorker; events: Events } {
  const events: Events = { delivered: [], retried: [], dead: [] };
  const w = new OutboxWorker({
    outbox,
    client: client(),
    onDelivered: (e) => void events.delivered.push(e),
    onRetry: (e) => void events.retried.push(e),
    onDeadLetter: (e) => void events.dead.push(e),
    ...options,
  });
  return { worker: w, events };
}

/** A promise the test opens when it wants. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** `client`, whose sends open `sending` and then wait for `release` before they go out. */
function heldSender(client: SessionFeedbackClient): { sender: OutboxSender; sending: ReturnType<typeof gate>; release: ReturnType<typeof gate> } {
  const [sending, release] = [gate(), gate()];
  const sender: OutboxSender = {
    timeoutMs: client.timeoutMs,
    send: async (token, report) => {
      sending.open();
      await release.wait;
      return client.send(token, report);
    },
  };
  return { sender, sending, release };
}

const ZERO: OutboxRunResult = { delivered: 0, retried: 0, deadLettered: 0, skipped: 0, failed: 0 };

describe('against the emulator', () => {
  // One emulator for the file (its key generation is the slow part); each test starts clean.
  beforeAll(async () => {
    emu = await startEmulator({ identities: identities(10) });
  });
  afterEach(() => {
    closeClients();
    emu.clearFaults();
    emu.clearReports();
  });
  afterAll(async () => {
    await emu.close();
  });

  describe('delivery', () => {
    it('K104 sends a queued report with its original time, signing it only at send time, then removes it', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const item = await loginItem(emu, 'user0', { alias: 'local-7' });
      const secret = jest.fn(() => emu.clientSecret);
      expect(await outbox.enqueue(item)).toBe(true);
      const { worker: w, events } = worker(outbox, { client: client({ clientSecret: secret }) });
      expect(secret).not.toHaveBeenCalled();

      expect(await w.runOnce()).toEqual({ ...ZERO, delivered: 1 });
      expect(secret).toHaveBeenCalled();
      const [received, ...more] = emu.reports();
      expect(more).toEqual([]);
      expect(received).toMatchObject({
        accepted: true,
        type: 'authentication_performed',
        alias: 'local-7',
        time: ORIGINAL_TIME,
        amr: ['pwd'],
        sub: item.sub,
        headerForm: 'token-and-hmac',
      });
      expect(emu.aliasOf(item.sub)).toBe('local-7');
      expect(await outbox.get(item.id)).toBeUndefined();
      expect(events.delivered).toEqual([
        { item: { ...withoutToken(item), attempts: 1 }, status: 200 },
      ]);
      expect(await w.runOnce()).toEqual(ZERO);
      expect(emu.reports()).toHaveLength(1);
    });

    it('K104 dedupes on (sub, alias): a second login queued for the same pair sends nothing more', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const first = await loginItem(emu, 'user0', { alias: 'local-1' });
      const second = await loginItem(emu, 'user0', { alias: 'local-1', time: ORIGINAL_TIME + 60 });
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(await outbox.enqueue(first)).toBe(true);
      expect(await outbox.enqueue(second)).toBe(false);
      const { worker: w } = worker(outbox);
      expect((await w.runOnce()).delivered).toBe(1);
      expect(emu.reports().map((r) => [r.accepted, r.time])).toEqual([[true, ORIGINAL_TIME]]);
    });

    it('leaves items that are not due yet', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const item = await loginItem(emu, 'user0');
      await outbox.enqueue({ ...item, nextAttemptAt: Date.now() + 60_000 });
      const { worker: w } = worker(outbox);
      expect(await w.runOnce()).toEqual(ZERO);
      expect(emu.reports()).toEqual([]);
    });
  });

  describe('dead letters', () => {
    it('K103 an item past its token expiry is dead-lettered and never sent', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const item = await loginItem(emu, 'user0');
      await outbox.enqueue({ ...item, expiresAt: Date.now() - 1, nextAttemptAt: Date.now() + 60_000 });
      const { worker: w, events } = worker(outbox);
      expect(await w.runOnce()).toEqual({ ...ZERO, deadLettered: 1 });
      expect(emu.reports()).toEqual([]);
      expect(await outbox.get(item.id)).toBeUndefined();
      expect(events.dead).toHaveLength(1);
      expect(events.dead[0]).toMatchObject({ reason: 'expired', item: { id: item.id, sub: item.sub, attempts: 0 } });
      expect(events.dead[0]?.code).toBeUndefined();
      expect(JSON.stringify(events)).not.toContain(item.accessToken);
    });

    it('K103 an item whose token expires while BindID is down stops being retried', async () => {
      let clock = Date.now();
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const item = await loginItem(emu, 'user0', { now: clock });
      await outbox.enqueue({ ...item, expiresAt: clock + 10_000 });
      emu.setFault('session-feedback', { status: 503 });
      const { worker: w, events } = worker(outbox, { now: () => clock });
      expect((await w.runOnce()).retried).toBe(1);
      clock += 10_000;
      expect((await w.runOnce()).deadLettered).toBe(1);
      expect(emu.reports()).toHaveLength(1);
      expect(events.dead.map((e) => [e.reason, e.item.attempts])).toEqual([['expired', 1]]);
    });

    it('a report BindID refuses (409 alias held by another user) is dead-lettered after one request', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const other = await loginItem(emu, 'user1');
      emu.setAlias(other.sub, 'taken');
      const item = await loginItem(emu, 'user0', { alias: 'taken' });
      await outbox.enqueue(item);
      const { worker: w, events } = worker(outbox);
      expect(await w.runOnce()).toEqual({ ...ZERO, deadLettered: 1 });
      expect(emu.reports().map((r) => r.status)).toEqual([409]);
      expect(events.dead).toMatchObject([{ reason: 'rejected', code: ErrorCode.REJECTED, item: { id: item.id, attempts: 1 } }]);
      expect(await outbox.get(item.id)).toBeUndefined();
    });

    it('a 401 (wrong secret, token unknown) is dead-lettered as rejected, not retried', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const item = await loginItem(emu, 'user0');
      await outbox.enqueue(item);
      const { worker: w, events } = worker(outbox, { client: client({ clientSecret: 'not-the-secret' }) });
      expect((await w.runOnce()).deadLettered).toBe(1);
      expect(emu.reports().map((r) => r.status)).toEqual([401]);
      expect(events.dead[0]).toMatchObject({ reason: 'rejected', code: ErrorCode.UNAUTHORIZED });
    });
  });

  describe('retries', () => {
    it('retries with capped exponential backoff until BindID accepts, keeping the original time', async () => {
      let clock = Date.now();
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const item = await loginItem(emu, 'user0', { now: clock });
      await outbox.enqueue(item);
      emu.setFault('session-feedback', { status: 503, times: 3 });
      const { worker: w, events } = worker(outbox, {
        now: () => clock,
        random: () => 1, // the whole bound: the delays are exactly 1000, 2000, then capped at 3000
        backoff: { baseMs: 1000, maxMs: 3000 },
      });
      const delays: number[] = [];
      for (let round = 1; round <= 3; round++) {
        expect(await w.runOnce()).toEqual({ ...ZERO, retried: 1 });
        const stored = (await outbox.get(item.id)) as OutboxItem;
        expect(stored.attempts).toBe(round);
        delays.push(stored.nextAttemptAt - clock);
        clock = stored.nextAttemptAt - 1;
        expect(await w.runOnce()).toEqual(ZERO); // not due yet: no request
        clock += 1;
      }
      expect(delays).toEqual([1000, 2000, 3000]);
      expect(await w.runOnce()).toEqual({ ...ZERO, delivered: 1 });
      expect(emu.reports().map((r) => r.status)).toEqual([503, 503, 503, 200]);
      expect(emu.reports()[3]).toMatchObject({ accepted: true, time: ORIGINAL_TIME, sub: item.sub });
      expect(events.retried.map((e) => [e.code, e.item.attempts, e.delayMs])).toEqual([
        [ErrorCode.UNAVAILABLE, 1, 1000],
        [ErrorCode.UNAVAILABLE, 2, 2000],
        [ErrorCode.UNAVAILABLE, 3, 3000],
      ]);
      expect(events.delivered.map((e) => e.item.attempts)).toEqual([4]);
    });

    it('retries what is not a refusal: a timeout, a dropped connection, a secret that could not be read', async () => {
      let clock = Date.now();
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const item = await loginItem(emu, 'user0', { now: clock });
      await outbox.enqueue(item);
      let secretFails = true;
      const secret = () => {
        if (secretFails) throw new Error('vault unreachable');
        return emu.clientSecret;
      };
      // The client's deadline (300 ms) is on a fake clock: it passes while the hung attempt waits, never during the others.
      const { events } = await withFakeClock(async () => {
        const w = worker(outbox, { now: () => clock, client: client({ clientSecret: secret, timeoutMs: 300 }) });
        expect((await w.worker.runOnce()).retried).toBe(1);
        secretFails = false;
        emu.setFault('session-feedback', { hang: true, times: 1 });
        clock += 60_000;
        const hung = watch(w.worker.runOnce());
        await until(() => emu.reports().length === 1, 'the report reached the hanging emulator');
        await jest.advanceTimersByTimeAsync(300);
        expect((await hung.promise).retried).toBe(1);
        emu.setFault('session-feedback', { drop: true, times: 1 });
        clock += 60_000;
        expect((await w.worker.runOnce()).retried).toBe(1);
        clock += 60_000;
        expect((await w.worker.runOnce()).delivered).toBe(1);
        return w;
      }, ['Date']);
      expect(events.retried.map((e) => e.code)).toEqual([ErrorCode.INVALID_OPTION, ErrorCode.TIMEOUT, ErrorCode.UNAVAILABLE]);
      expect(acceptedPerSub(emu).get(item.sub)).toBe(1);
    });
  });

  describe('several instances', () => {
    /** Run all workers at once, round after round (clock moved past any backoff), until a round does nothing. */
    async function drain(workers: OutboxWorker[], advance: () => void): Promise<OutboxRunResult> {
      const total = { ...ZERO };
      for (let round = 0; round < 20; round++) {
        const results = await Promise.all(workers.map((w) => w.runOnce()));
        for (const r of results) for (const k of Object.keys(total) as Array<keyof OutboxRunResult>) total[k] += r[k];
        if (results.every((r) => r.delivered + r.retried + r.deadLettered + r.skipped === 0)) return total;
        advance();
      }
      throw new Error('the outbox did not drain in 20 rounds');
    }

    it('two workers on one shared store deliver each report exactly once, through an outage', async () => {
      let clock = Date.now();
      const store = new MemoryBindIdStore(); // shared, as a Redis server is by two instances
      const a = worker(new StoreOutbox(store), { now: () => clock });
      const b = worker(new StoreOutbox(store), { now: () => clock });
      const items: OutboxItem[] = [];
      for (let i = 0; i < 10; i++) items.push(await loginItem(emu, `user${i}`, { now: clock }));
      for (const item of items) expect(await new StoreOutbox(store).enqueue(item)).toBe(true);
      emu.setFault('session-feedback', { status: 503, times: 4 });
      const total = await drain([a.worker, b.worker], () => {
        clock += 120_000;
      });
      const accepted = acceptedPerSub(emu);
      expect(accepted.size).toBe(10);
      expect([...accepted.values()].every((n) => n === 1)).toBe(true);
      expect(total.delivered).toBe(10);
      expect(a.events.delivered.length + b.events.delivered.length).toBe(10);
      expect(a.events.delivered.length).toBeGreaterThan(0);
      expect(b.events.delivered.length).toBeGreaterThan(0);
      expect(total.skipped).toBeGreaterThan(0); // they did compete for the same items
      expect(emu.reports().filter((r) => r.status === 503)).toHaveLength(4);
    });

    /** Three handles on one outbox (three instances; one handle where claims are per process), on one clock. */
    interface Shared {
      handles: [Outbox, Outbox, Outbox];
      now(): number;
      pass(ms: number): void;
    }
    const shared: Array<[string, () => Shared]> = [
      [
        'StoreOutbox on MemoryBindIdStore',
        () => {
          let clock = Date.now();
          const now = () => clock;
          const store = new MemoryBindIdStore({ now });
          const h = () => new StoreOutbox(store, { now });
          return { handles: [h(), h(), h()], now, pass: (ms) => {
            clock += ms;
          } };
        },
      ],
      [
        'StoreOutbox on RedisBindIdStore (model of Redis)',
        () => {
          const redis = new FakeRedis();
          redis.now = Date.now();
          const now = () => redis.now;
          const h = () => new StoreOutbox(new RedisBindIdStore(redis), { now });
          return { handles: [h(), h(), h()], now, pass: (ms) => {
            redis.now += ms;
          } };
        },
      ],
    ];
    const LEASE = 30_000;
    const failures: Array<[string, BindIdError, Partial<OutboxRunResult>]> = [
      ['a retryable failure (update)', new BindIdError(ErrorCode.UNAVAILABLE, 'down', { status: 503, retryable: true }), { skipped: 1 }],
      ['a refusal (remove)', new BindIdError(ErrorCode.REJECTED, 'refused', { status: 409 }), { deadLettered: 1 }],
    ];

    describe.each(shared)('%s', (_name, open) => {
      it.each(failures)(
        'N131 a worker whose lease expired finishes with %s: the claim of the worker that took the item over survives, a third cannot claim it, BindID gets the report once',
        async (_what, failure, firstResult) => {
          const t = open();
          const [one, two, three] = t.handles;
          const item = await loginItem(emu, 'user3', { now: t.now() });
          expect(await one.enqueue(item)).toBe(true);
          const real = client();
          const [started1, finish1, started2, finish2] = [gate(), gate(), gate(), gate()];
          const slowFailing: OutboxSender = {
            send: async () => {
              started1.open();
              await finish1.wait;
              throw failure;
            },
          };
          const slowSending: OutboxSender = {
            send: async (token, report) => {
              started2.open();
              await finish2.wait;
              return real.send(token, report);
            },
          };
          const common = { leaseMs: LEASE, now: t.now, random: () => 0 };
          const w1 = worker(one, { ...common, client: slowFailing }).worker;
          const w2 = worker(two, { ...common, client: slowSending }).worker;
          const w3 = worker(three, { ...common, client: real }).worker;

          const run1 = w1.runOnce();
          await started1.wait; // worker 1 holds the item and is sending
          t.pass(LEASE + 500); // ... for longer than its lease
          const run2 = w2.runOnce();
          await started2.wait; // worker 2 took the item over and is sending
          finish1.open();
          expect(await run1).toMatchObject({ ...ZERO, ...firstResult });
          // Worker 1 neither released worker 2's claim nor rescheduled the item under it.
          expect(await w3.runOnce()).toMatchObject({ delivered: 0, retried: 0 });
          expect(await three.claim(item.id, LEASE)).toBe(false);
          if (failure.retryable) expect((await one.get(item.id))?.attempts).toBe(0);
          finish2.open();
          expect(await run2).toMatchObject({ ...ZERO, delivered: 1 });
          expect(acceptedPerSub(emu).get(item.sub)).toBe(1);
          expect(emu.reports()).toHaveLength(1);
          expect(await one.get(item.id)).toBeUndefined();
          t.pass(LEASE + 500);
          expect(await w3.runOnce()).toEqual(ZERO);
          expect(emu.reports()).toHaveLength(1);
        },
      );
    });
  });

  describe('scheduling', () => {
    it('never runs twice at once: a second runOnce during a run gets the same run', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      await outbox.enqueue(await loginItem(emu, 'user0'));
      const { sender, sending, release } = heldSender(client());
      const { worker: w } = worker(outbox, { client: sender });
      const first = w.runOnce();
      await sending.wait; // the run is sending its item
      const second = w.runOnce();
      expect(second).toBe(first);
      release.open();
      expect((await first).delivered).toBe(1);
      expect(emu.reports()).toHaveLength(1);
    });

    it('start() runs on an unref()ed interval; stop() clears it, and nothing runs afterwards', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      await outbox.enqueue(await loginItem(emu, 'user0'));
      const due = jest.spyOn(outbox, 'due');
      // Only the interval is on the fake clock: the runs happen when the test moves it.
      await withFakeClock(async () => {
        const setSpy = jest.spyOn(global, 'setInterval');
        const clearSpy = jest.spyOn(global, 'clearInterval');
        let delivered = 0;
        const { worker: w } = worker(outbox, {
          intervalMs: 20,
          onDelivered: () => {
            delivered += 1;
          },
        });
        w.start();
        w.start(); // no second timer
        expect(setSpy).toHaveBeenCalledTimes(1);
        const timer = setSpy.mock.results[0]?.value as NodeJS.Timeout;
        expect(timer.hasRef()).toBe(false);
        await jest.advanceTimersByTimeAsync(19);
        expect(due).not.toHaveBeenCalled();
        await jest.advanceTimersByTimeAsync(1); // the first run
        await until(() => delivered === 1, 'the first run delivered the item');
        await w.stop();
        expect(clearSpy).toHaveBeenCalledWith(timer);
        const runs = due.mock.calls.length;
        await jest.advanceTimersByTimeAsync(1000);
        expect(due.mock.calls.length).toBe(runs);
        await w.stop(); // twice is fine
      }, ['Date', 'performance', 'hrtime', 'setTimeout', 'clearTimeout']);
      expect(acceptedPerSub(emu).size).toBe(1);
    });

    it('stop() waits for the send in flight, then stops the run before the next item', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const [first, second] = [await loginItem(emu, 'user0'), await loginItem(emu, 'user1')];
      await outbox.enqueue({ ...first, nextAttemptAt: first.nextAttemptAt - 1000 });
      await outbox.enqueue(second);
      const { sender, sending, release } = heldSender(client());
      const { worker: w } = worker(outbox, { client: sender, intervalMs: 10 });
      w.start();
      await sending.wait; // a run is sending the first item, and holds it there
      const stopped = watch(w.stop());
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopped.settled).toBe(false); // stop() waits for the send in flight
      release.open();
      await stopped.promise;
      expect(await outbox.get(first.id)).toBeUndefined(); // delivered and removed before stop() resolved
      expect(await outbox.get(second.id)).toEqual(second); // not started after stop()
      expect(emu.reports()).toHaveLength(1);
    });
  });

  describe('store failures during a run', () => {
    /** A StoreOutbox whose `method` rejects (once, or always). */
    function failing(method: keyof Outbox, times = Number.POSITIVE_INFINITY): StoreOutbox {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const original = (outbox[method] as (...args: unknown[]) => Promise<unknown>).bind(outbox);
      let left = times;
      (outbox as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        if (left-- > 0) return Promise.reject(Object.assign(new Error('store down'), { code: 'ECONNREFUSED' }));
        return original(...args);
      };
      return outbox;
    }

    it('a listing failure rejects runOnce; the interval logs it and keeps going', async () => {
      const outbox = failing('due', 2);
      await outbox.enqueue(await loginItem(emu, 'user0'));
      const log = captureDebug();
      let delivered!: () => void;
      const done = new Promise<void>((resolve) => {
        delivered = resolve;
      });
      const { worker: w } = worker(outbox, { intervalMs: 20, onDelivered: () => delivered() });
      try {
        expect((await rejection(w.runOnce())) as unknown).toMatchObject({ code: 'ECONNREFUSED' });
        w.start(); // its first run fails too, the next one delivers
        await done;
      } finally {
        await w.stop();
        log.stop();
      }
      expect(log.lines.some((l) => /outbox run failed: %s ECONNREFUSED$/.test(l))).toBe(true);
    });

    it('a claim or re-read failure leaves that item for later and goes on with the others', async () => {
      for (const [method, next] of [
        ['claim', { ...ZERO, delivered: 1 }], // no lease was taken: the next run sends it
        ['get', { ...ZERO, skipped: 1 }], // its lease holds until it expires
      ] as const) {
        const outbox = failing(method, 1);
        await outbox.enqueue({ ...(await loginItem(emu, 'user0')), nextAttemptAt: Date.now() - 10 });
        await outbox.enqueue(await loginItem(emu, 'user1'));
        const { worker: w } = worker(outbox);
        expect(await w.runOnce()).toEqual({ ...ZERO, delivered: 1, failed: 1 });
        expect(await w.runOnce()).toEqual(next);
        emu.clearReports();
      }
    });

    it('a failed reschedule counts as failed; a failed removal after delivery is logged, not hidden', async () => {
      const updateFails = failing('update');
      await updateFails.enqueue(await loginItem(emu, 'user0'));
      emu.setFault('session-feedback', { status: 503, times: 1 });
      expect(await worker(updateFails).worker.runOnce()).toEqual({ ...ZERO, failed: 1 });

      const removeFails = failing('remove');
      const item = await loginItem(emu, 'user1');
      await removeFails.enqueue(item);
      const log = captureDebug();
      const { worker: w, events } = worker(removeFails);
      try {
        expect(await w.runOnce()).toEqual({ ...ZERO, delivered: 1 });
      } finally {
        log.stop();
      }
      expect(events.delivered).toHaveLength(1);
      expect(log.lines.some((l) => /delivered, but could not be removed .*it may be sent again.* ECONNREFUSED$/.test(l))).toBe(true);
    });
  });

  describe('secrets', () => {
    it('no event and no log line carries the access token, the client secret or the HMAC', async () => {
      let clock = Date.now();
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const items = [await loginItem(emu, 'user0', { now: clock }), await loginItem(emu, 'user1', { now: clock })];
      await outbox.enqueue(items[0] as OutboxItem);
      await outbox.enqueue({ ...(items[1] as OutboxItem), expiresAt: clock - 1 });
      emu.setFault('session-feedback', { status: 503, times: 1 });
      const log = captureDebug();
      const { worker: w, events } = worker(outbox, { now: () => clock });
      try {
        await w.runOnce();
        clock += 120_000;
        await w.runOnce();
      } finally {
        log.stop();
      }
      expect(events.delivered).toHaveLength(1);
      expect(events.retried).toHaveLength(1);
      expect(events.dead).toHaveLength(1);
      const needles: Record<string, string> = { secret: emu.clientSecret };
      for (const [i, it] of items.entries()) {
        needles[`token ${i}`] = it.accessToken;
        needles[`HMAC ${i}`] = hmac(emu.clientSecret, it.accessToken);
      }
      expect(leaksIn(undefined, [...log.lines, JSON.stringify(events)], needles)).toEqual([]);
      for (const e of [...events.delivered, ...events.retried, ...events.dead]) expect(e.item).not.toHaveProperty('accessToken');
    });
  });
});

describe('options', () => {
  const outbox = new StoreOutbox(new MemoryBindIdStore());
  const sender = { send: async () => ({ status: 200, attempts: 1, durationMs: 1 }), timeoutMs: 5000 };

  it('has documented defaults', () => {
    const w = new OutboxWorker({ outbox, client: sender });
    expect([w.intervalMs, w.batchSize, w.backoff, w.leaseMs]).toEqual([5000, 20, { baseMs: 1000, maxMs: 60_000 }, 15_000]);
    expect(new OutboxWorker({ outbox, client: { send: sender.send } }).leaseMs).toBe(30_000);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no outbox', { outbox: undefined }, /`outbox` must be an Outbox/],
    ['a store as outbox', { outbox: new MemoryBindIdStore() }, /`outbox` must be an Outbox/],
    ['no client', { client: undefined }, /`client` must be a SessionFeedbackClient/],
    ['an unknown option', { interval: 10 }, /`interval` is not a known option. Did you mean `intervalMs`/],
    ['a tiny interval', { intervalMs: 1 }, /`intervalMs` must be a whole number from 10/],
    ['batchSize 0', { batchSize: 0 }, /`batchSize` must be a whole number from 1/],
    ['maxMs below baseMs', { backoff: { baseMs: 5000, maxMs: 10 } }, /`backoff.maxMs` must be at least backoff.baseMs/],
    ['a backoff typo', { backoff: { base: 1 } }, /`backoff.base` is not a known option/],
    ['a lease shorter than a send', { leaseMs: 5000 }, /`leaseMs` must be longer than the client's timeoutMs \(5000\)/],
    ['a hook that is not a function', { onDeadLetter: 'alert' }, /`onDeadLetter` must be a function/],
  ])('refuses %s', (_what, options, message) => {
    let error: unknown;
    try {
      new OutboxWorker({ outbox, client: sender, ...options } as OutboxWorkerOptions);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: ErrorCode.INVALID_OPTION });
    expect((error as Error).message).toMatch(message);
  });
});

/** The item as events show it. */
function withoutToken(item: OutboxItem): Omit<OutboxItem, 'accessToken'> {
  const { accessToken: _token, ...rest } = item;
  return rest;
}

describe('the outbox index under a burst', () => {
  it('two workers on one StoreOutbox index (MemoryBindIdStore), 300 due items and 300 not due: each due item delivered once, none of the others', async () => {
    const store = new MemoryBindIdStore();
    const gets = jest.spyOn(store, 'get');
    const result = await indexBurst([new StoreOutbox(store), new StoreOutbox(store)]);
    expectBurstDeliveredOnce(result, 300);
    expect(gets).not.toHaveBeenCalled(); // items are read from the index's queue, never key by key after a listing
  });

  it('two workers on one StoreOutbox index (RedisBindIdStore, model of Redis): each due item delivered once, none of the others', async () => {
    const redis = new FakeRedis();
    redis.now = Date.now();
    const result = await indexBurst([new StoreOutbox(new RedisBindIdStore(redis)), new StoreOutbox(new RedisBindIdStore(redis))], 100, 100);
    expectBurstDeliveredOnce(result, 100);
    expect(redis.commands.filter(([command]) => command === 'SCAN' || command === 'GET')).toEqual([]);
  });
});
