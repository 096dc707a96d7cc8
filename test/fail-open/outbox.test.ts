/**
 * The outbox: the Outbox contract run on StoreOutbox (MemoryBindIdStore, and RedisBindIdStore on a
 * model of Redis); then what is specific to StoreOutbox, and store failures, which must reject so
 * the caller falls back to fail closed (K108). The same contract runs on a real Redis in test/redis/.
 */
import session from 'express-session';
import { ErrorCode, MemoryBindIdStore, RedisBindIdStore, type BindIdStore } from '../../src/index.js';
import { StoreOutbox } from '../../src/fail-open/index.js';
import { FakeRedisQueues as FakeRedis } from '../stores/fake-redis-queues.js';
import { rejection } from '../helpers/feedback.js';
import { describeOutboxContract, makeItem } from '../helpers/outbox.js';

describeOutboxContract('StoreOutbox on MemoryBindIdStore', async () => {
  let clock = Date.now();
  const now = () => clock;
  const store = new MemoryBindIdStore({ now });
  return {
    outbox: new StoreOutbox(store, { now }),
    other: new StoreOutbox(store, { now }),
    now,
    pass: async (ms) => {
      clock += ms;
    },
  };
});

describeOutboxContract('StoreOutbox on RedisBindIdStore (model of Redis)', async () => {
  const redis = new FakeRedis();
  redis.now = Date.now();
  const now = () => redis.now;
  return {
    outbox: new StoreOutbox(new RedisBindIdStore(redis), { now }),
    other: new StoreOutbox(new RedisBindIdStore(redis), { now }),
    now,
    pass: async (ms) => {
      redis.now += ms;
    },
  };
});

describe('StoreOutbox', () => {
  it('keeps its items in one queue of the store, indexed by due time, kept retainExpiredMs after the token, leases apart, all under one hash tag', async () => {
    const redis = new FakeRedis();
    redis.now = 1_000_000;
    const outbox = new StoreOutbox(new RedisBindIdStore(redis), { now: () => redis.now, keyPrefix: 'q:', retainExpiredMs: 60_000 });
    const item = makeItem({ expiresAt: redis.now + 3_600_000, nextAttemptAt: redis.now + 5000 }, redis.now);
    await outbox.enqueue(item);
    await outbox.claim(item.id, 15_000);
    const [add, claim] = redis.commands;
    expect(add?.slice(2, 6)).toEqual(['3', 'bindid:{q:}items', 'bindid:{q:}due', 'bindid:{q:}keep']);
    expect(add?.slice(6)).toEqual([item.id, JSON.stringify(item), String(redis.now + 5000), String(redis.now + 3_600_000 + 60_000), String(redis.now)]);
    expect(claim).toEqual(['SET', `bindid:{q:}lease:${item.id}`, expect.any(String), 'NX', 'PX', '15000']);
    expect(redis.pttl(`bindid:{q:}lease:${item.id}`)).toBe(15_000);
    // Due at its expiry when that comes before its next attempt (to be dead-lettered then).
    const dead = makeItem({ expiresAt: redis.now + 10, nextAttemptAt: redis.now + 60_000 }, redis.now);
    await outbox.enqueue(dead);
    expect(redis.commands.at(-1)?.[8]).toBe(String(redis.now + 10));
    expect((await outbox.due(redis.now + 10, 10)).map((i) => i.id)).toEqual([dead.id]);
  });

  it('due() on Redis is one script over the index: no SCAN, no KEYS, no read of an item that is not due', async () => {
    const redis = new FakeRedis();
    redis.now = Date.now();
    const outbox = new StoreOutbox(new RedisBindIdStore(redis), { now: () => redis.now });
    const due = makeItem({}, redis.now);
    await outbox.enqueue(due);
    for (let i = 0; i < 50; i++) await outbox.enqueue(makeItem({ nextAttemptAt: redis.now + 60_000 }, redis.now));
    redis.commands.length = 0;
    expect(await outbox.due(redis.now, 10)).toEqual([due]);
    expect(redis.commands.map((c) => c[0])).toEqual(['EVAL']);
  });

  it('the index keeps its order through updates: 1,000 items rescheduled at random come out by due time, only the due ones', async () => {
    const clock = 1_000_000;
    const store = new MemoryBindIdStore({ now: () => clock });
    const outbox = new StoreOutbox(store, { now: () => clock });
    const items = Array.from({ length: 1000 }, (_, i) => makeItem({ nextAttemptAt: clock + ((i * 7919) % 1000) }, clock));
    for (const item of items) await outbox.enqueue(item);
    for (const item of items.filter((_, i) => i % 3 === 0)) {
      const lease = (await outbox.claim(item.id, 60_000)) as string;
      expect(await outbox.update({ ...item, attempts: 1, nextAttemptAt: item.nextAttemptAt + 2000 }, lease)).toBe(true);
    }
    const at = clock + 500;
    const expected = items
      .map((item, i) => (i % 3 === 0 ? { ...item, nextAttemptAt: item.nextAttemptAt + 2000 } : item))
      .filter((item) => item.nextAttemptAt <= at)
      .map((item) => item.nextAttemptAt);
    const got = await outbox.due(at, 1000);
    expect(got.map((item) => item.nextAttemptAt)).toEqual([...expected].sort((x, y) => x - y));
  });

  it('lists more items than one batch of reads', async () => {
    const outbox = new StoreOutbox(new MemoryBindIdStore());
    const items = Array.from({ length: 120 }, () => makeItem());
    for (const item of items) await outbox.enqueue(item);
    expect(await outbox.due(Date.now(), 1000)).toHaveLength(120);
  });

  it('rejects when the store fails (the caller must then fail closed)', async () => {
    const down = Object.assign(new Error('store down'), { code: 'ECONNREFUSED' });
    const failing = (method: keyof MemoryBindIdStore): BindIdStore => {
      const store = new MemoryBindIdStore();
      (store as unknown as Record<string, unknown>)[method] = async () => {
        throw down;
      };
      return store;
    };
    const item = makeItem();
    expect(await rejection(new StoreOutbox(failing('queueAdd')).enqueue(item))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('queueDue')).due(Date.now(), 10))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('queueClaim')).claim(item.id, 1000))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('queueGet')).get(item.id))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('queueRemove')).remove(item.id))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('queueUpdate')).update(item, 'lease-1'))).toBe(down);
  });

  it('refuses a BindIdStore without the queue operations, naming them', () => {
    const { queueAdd: _a, queueDue: _d, queueGet: _g, queueClaim: _c, queueUpdate: _u, queueRemove: _r, ...plain } = Object.fromEntries(
      ['add', 'get', 'set', 'delete', 'increment', 'deleteIf', 'setIf'].map((m) => [m, async () => undefined]),
    ) as Record<string, unknown>;
    expect(() => new StoreOutbox(plain as unknown as BindIdStore)).toThrow(/must be a BindIdStore with the queue operations \(queueAdd, queueDue/);
    expect(() => new StoreOutbox(new MemoryBindIdStore(), { keyPrefix: 'a{b}' })).toThrow(/`keyPrefix` must not contain \{ or \}/);
  });

  it('is durable on a store that is (RedisBindIdStore, a store of your own), not on MemoryBindIdStore', () => {
    expect(new StoreOutbox(new MemoryBindIdStore()).durable).toBe(false);
    expect(new StoreOutbox(new RedisBindIdStore(new FakeRedis())).durable).toBe(true);
  });

  it.each<[string, unknown, unknown, RegExp]>([
    ['no store', undefined, undefined, /`store` must be a BindIdStore/],
    ['a session store', new session.MemoryStore(), undefined, /`store` must be a BindIdStore/],
    ['an unknown option', new MemoryBindIdStore(), { prefix: 'x' }, /`prefix` is not a known option/],
    ['a negative retention', new MemoryBindIdStore(), { retainExpiredMs: -1 }, /`retainExpiredMs` must be a whole number/],
    ['an empty key prefix', new MemoryBindIdStore(), { keyPrefix: '' }, /`keyPrefix` must be a non-empty string/],
  ])('refuses %s at construction', (_what, store, options, message) => {
    expect(() => new StoreOutbox(store as BindIdStore, options as never)).toThrow(message);
    try {
      new StoreOutbox(store as BindIdStore, options as never);
    } catch (err) {
      expect((err as { code?: string }).code).toBe(ErrorCode.INVALID_OPTION);
    }
  });
});
