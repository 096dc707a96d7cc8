/**
 * Unit tests of src/fail-open/failure-policy.ts: the self-heal records, the worker of a factory in
 * fail-open mode (its default outbox in the factory's store from the start), and outboxes that do
 * not survive a restart. The behaviour through the router is suite K (test/security/k-failure-policy.test.ts).
 */
import {
  healKey,
  NOT_DURABLE_WARNING,
  readHealRecord,
  resetNotDurableWarning,
  SELF_HEAL_TTL_MS,
  writeHealRecord,
} from '../../src/fail-open/failure-policy.js';
import { type BindIdStore, bindIdRouter, ErrorCode, MemoryBindIdStore, RedisBindIdStore, sendAuthenticationPerformed } from '../../src/index.js';
import { StoreOutbox } from '../../src/fail-open/index.js';
import { withFakeClock } from '../helpers/fake-clock.js';
import { KeyListingStore } from '../helpers/key-listing-store.js';
import { makeItem } from '../helpers/outbox.js';
import { FakeRedisQueues } from '../stores/fake-redis-queues.js';

function failingStore(): BindIdStore {
  const fail = () => Promise.reject(new Error('ECONNREFUSED'));
  return { add: fail, get: fail, set: fail, delete: fail, increment: fail, deleteIf: fail, setIf: fail };
}

describe('self-heal records', () => {
  it('are keyed on a digest of the sub, hold the alias, time and amr, and expire after SELF_HEAL_TTL_MS', async () => {
    let now = 1_000_000;
    const store = new KeyListingStore({ now: () => now });
    await writeHealRecord(store, 'sub-123', { type: 'authentication_performed', alias: '42', time: 1_700_000_000, amr: ['pwd'] });
    expect(healKey('sub-123')).not.toContain('sub-123');
    expect(await store.keys('heal:')).toEqual([healKey('sub-123')]);
    expect(await readHealRecord(store, 'sub-123')).toEqual({ alias: '42', time: 1_700_000_000, amr: ['pwd'] });
    expect(await readHealRecord(store, 'other')).toBeUndefined();
    now += SELF_HEAL_TTL_MS;
    expect(await readHealRecord(store, 'sub-123')).toBeUndefined();
  });

  it('are not written for alias_deleted; a store failure is logged, never thrown', async () => {
    const store = new KeyListingStore();
    await writeHealRecord(store, 's', { type: 'alias_deleted', time: 1 });
    expect(await store.keys('heal:')).toEqual([]);
    await expect(writeHealRecord(failingStore(), 's', { type: 'alias_updated', alias: 'a', time: 1 })).resolves.toBeUndefined();
    await expect(readHealRecord(failingStore(), 's')).resolves.toBeUndefined();
  });

  it('read back as undefined when malformed (bad JSON, bad alias, bad time), ignoring a bad amr', async () => {
    const store = new MemoryBindIdStore();
    for (const raw of ['{', '"x"', JSON.stringify({ alias: '', time: 1 }), JSON.stringify({ alias: 'a', time: 1.5 })]) {
      await store.set(healKey('s'), raw);
      expect(await readHealRecord(store, 's')).toBeUndefined();
    }
    await store.set(healKey('s'), JSON.stringify({ alias: 'a', time: 1, amr: [1] }));
    expect(await readHealRecord(store, 's')).toEqual({ alias: 'a', time: 1 });
  });
});

describe('the worker of a factory in fail-open mode', () => {
  const base = {
    issuer: 'https://signin.bindid-sandbox.io',
    clientId: 'c',
    clientSecret: 's',
    apiUrl: 'https://api.bindid-sandbox.io',
    baseUrl: 'https://app.example.com',
    findUserByAlias: () => null,
  };

  it('has its default outbox in the factory\'s store from the start: the worker works on reports queued there before any request', async () => {
    let clock = Date.now(); // the factories' clock (`now`), which their workers read
    const store = new MemoryBindIdStore();
    await new StoreOutbox(store).enqueue(makeItem({ nextAttemptAt: clock - 1 }, clock));
    // BindID's API on a loopback port nobody listens on: the attempt fails and the item is rescheduled.
    const closed = { clientSecret: 's', apiUrl: 'http://127.0.0.1:9', failureMode: 'open' as const, store, now: () => clock };
    // random 1: the router worker's first backoff is its whole bound, 1000 ms.
    const router = bindIdRouter({ ...base, ...closed, outboxWorker: { start: false, random: () => 1 } });
    expect(await router.outboxWorker?.runOnce()).toMatchObject({ retried: 1 });
    const middleware = sendAuthenticationPerformed({ ...closed, outboxWorker: { start: false, backoff: { baseMs: 1, maxMs: 1 } } });
    clock += 999;
    expect(await middleware.outboxWorker?.runOnce()).toMatchObject({ retried: 0, skipped: 0 }); // not due yet
    clock += 1; // the router worker's backoff is over
    expect(await middleware.outboxWorker?.runOnce()).toMatchObject({ retried: 1 });
  });

  it('is started on an unref()ed timer by default, and stops', () =>
    withFakeClock(async () => {
      const router = bindIdRouter({ ...base, failureMode: 'open', outboxWorker: { intervalMs: 10 } });
      const worker = router.outboxWorker as NonNullable<typeof router.outboxWorker>;
      expect(worker.intervalMs).toBe(10);
      const runs = jest.spyOn(worker, 'runOnce');
      await jest.advanceTimersByTimeAsync(60);
      await worker.stop();
      expect(runs).toHaveBeenCalledTimes(6); // one run every 10 ms
      await jest.advanceTimersByTimeAsync(1000);
      expect(runs).toHaveBeenCalledTimes(6); // none after stop()
    }));
});

describe('an outbox that does not survive a restart', () => {
  const base = {
    issuer: 'https://signin.bindid-sandbox.io',
    clientId: 'c',
    clientSecret: 's',
    apiUrl: 'https://api.bindid-sandbox.io',
    baseUrl: 'https://app.example.com',
    findUserByAlias: () => null,
    outboxWorker: { start: false },
  } as const;
  const before = process.env.NODE_ENV;
  let warn: jest.SpyInstance;
  beforeEach(() => {
    resetNotDurableWarning();
    warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterEach(() => {
    process.env.NODE_ENV = before;
    warn.mockRestore();
  });
  const durableStore = () => new RedisBindIdStore(new FakeRedisQueues());
  const notDurable: Array<[string, () => Record<string, unknown>, string]> = [
    ['the default outbox on the default MemoryBindIdStore', () => ({}), 'store'],
    ['the default outbox on a MemoryBindIdStore given as store', () => ({ store: new MemoryBindIdStore() }), 'store'],
    ['a StoreOutbox on MemoryBindIdStore', () => ({ store: durableStore(), outbox: new StoreOutbox(new MemoryBindIdStore()) }), 'outbox'],
  ];

  it.each(notDurable)('N168 is refused at start-up with NODE_ENV=production: %s (a coded error naming the option and the fix)', (_what, options, option) => {
    process.env.NODE_ENV = 'production';
    for (const build of [
      () => bindIdRouter({ ...base, failureMode: 'open', ...options() }),
      () => sendAuthenticationPerformed({ clientSecret: 's', apiUrl: base.apiUrl, failureMode: 'open', outboxWorker: { start: false }, ...options() }),
    ]) {
      let error: unknown;
      try {
        build();
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ code: ErrorCode.INVALID_OPTION, option });
      expect((error as Error).message).toMatch(/a restart would lose them.*store: new RedisBindIdStore\(redis\).*failureMode: 'closed'/);
    }
    expect(warn).not.toHaveBeenCalled();
  });

  it('is built with a durable outbox in production (the default outbox on a RedisBindIdStore, or a durable one given)', () => {
    process.env.NODE_ENV = 'production';
    expect(bindIdRouter({ ...base, failureMode: 'open', store: durableStore() }).outboxWorker).toBeDefined();
    expect(bindIdRouter({ ...base, failureMode: 'open', outbox: new StoreOutbox(durableStore()) }).outboxWorker).toBeDefined();
    const { outboxWorker: _w, ...closed } = base;
    expect(bindIdRouter(closed).outboxWorker).toBeUndefined(); // fail-closed needs no outbox
    expect(warn).not.toHaveBeenCalled();
  });

  it('a store of its own without the queue operations cannot hold the default outbox: the factory says to pass `outbox`', () => {
    const own = Object.fromEntries(
      ['add', 'get', 'set', 'delete', 'increment', 'deleteIf', 'setIf'].map((m) => [m, async () => undefined]),
    ) as unknown as BindIdStore;
    expect(() => bindIdRouter({ ...base, failureMode: 'open', store: own })).toThrow(
      /option `outbox` is needed with failureMode: 'open' when `store` has no queue operations.*pass outbox: new StoreOutbox\(new RedisBindIdStore\(redis\)\)/,
    );
    expect(bindIdRouter({ ...base, failureMode: 'open', store: own, outbox: new StoreOutbox(durableStore()) }).outboxWorker).toBeDefined();
  });

  it('is warned about outside production, once per process, with the code EXPRESS_BINDID_OUTBOX_NOT_DURABLE', () => {
    process.env.NODE_ENV = 'development';
    for (const [, options] of notDurable) bindIdRouter({ ...base, failureMode: 'open', ...options() });
    const calls = warn.mock.calls.filter(([, o]) => (o as { code?: string } | undefined)?.code === NOT_DURABLE_WARNING);
    expect(calls).toHaveLength(1);
    expect(String(calls[0]?.[0])).toMatch(/a restart loses the queued reports. In production, pass store: new RedisBindIdStore\(redis\)/);
    expect(NOT_DURABLE_WARNING).toBe('EXPRESS_BINDID_OUTBOX_NOT_DURABLE');
  });
});
