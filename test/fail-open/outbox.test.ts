/**
 * The outboxes: one Outbox contract run on StoreOutbox (MemoryBindIdStore, and RedisBindIdStore on a
 * model of Redis) and on SessionStoreOutbox (express-session's MemoryStore); then what is specific
 * to each, and store failures, which must reject so the caller falls back to fail closed (K108).
 * The same contract runs on a real Redis in test/redis/.
 */
import session from 'express-session';
import {
  ErrorCode,
  MemoryBindIdStore,
  type OutboxItem,
  RedisBindIdStore,
  SessionStoreOutbox,
  StoreOutbox,
  type BindIdStore,
} from '../../src/index.js';
import { SESSION_OUTBOX_PREFIX } from '../../src/fail-open/session-store-outbox.js';
import { FakeRedis } from '../helpers/fake-redis.js';
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

describeOutboxContract('SessionStoreOutbox on MemoryStore', async () => {
  let clock = Date.now();
  const now = () => clock;
  return {
    outbox: new SessionStoreOutbox(new session.MemoryStore(), { now }),
    now,
    pass: async (ms) => {
      clock += ms;
    },
  };
});

/** Promisified MemoryStore calls. */
function storeGet(store: session.Store, sid: string): Promise<unknown> {
  return new Promise((resolve, reject) => store.get(sid, (err, value) => (err ? reject(err) : resolve(value))));
}
function storeSet(store: session.Store, sid: string, value: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    store.set(sid, value as session.SessionData, (err) => (err ? reject(err) : resolve())),
  );
}

describe('StoreOutbox', () => {
  it('keeps each item under <keyPrefix>item:<id>, expiring retainExpiredMs after the token, and leases apart', async () => {
    const redis = new FakeRedis();
    redis.now = 1_000_000;
    const outbox = new StoreOutbox(new RedisBindIdStore(redis), { now: () => redis.now, keyPrefix: 'q:', retainExpiredMs: 60_000 });
    const item = makeItem({ expiresAt: redis.now + 3_600_000 }, redis.now);
    await outbox.enqueue(item);
    await outbox.claim(item.id, 15_000);
    expect(redis.pttl(`bindid:q:item:${item.id}`)).toBe(3_600_000 + 60_000);
    expect(redis.pttl(`bindid:q:lease:${item.id}`)).toBe(15_000);
    // An item whose token (and retention) has passed still gets a TTL Redis accepts.
    const dead = makeItem({ expiresAt: 1 }, redis.now);
    await outbox.enqueue(dead);
    expect(redis.pttl(`bindid:q:item:${dead.id}`)).toBe(1000);
  });

  it('skips a record it cannot read, and lists the rest', async () => {
    const store = new MemoryBindIdStore();
    const outbox = new StoreOutbox(store);
    const item = makeItem();
    await outbox.enqueue(item);
    await store.set(`outbox:item:${'a'.repeat(64)}`, '{not json');
    await store.set(`outbox:item:${'b'.repeat(64)}`, JSON.stringify({ ...item, attempts: 'x' }));
    expect(await outbox.due(Date.now(), 10)).toEqual([item]);
    expect(await outbox.get('a'.repeat(64))).toBeUndefined();
  });

  it('lists more items than one batch of reads', async () => {
    const outbox = new StoreOutbox(new MemoryBindIdStore());
    const items = Array.from({ length: 120 }, () => makeItem());
    for (const item of items) await outbox.enqueue(item);
    expect(await outbox.due(Date.now(), 1000)).toHaveLength(120);
  });

  it('rejects when the store fails (the caller must then fail closed)', async () => {
    const down = Object.assign(new Error('store down'), { code: 'ECONNREFUSED' });
    const failing = (method: keyof BindIdStore): BindIdStore => {
      const store = new MemoryBindIdStore();
      (store as unknown as Record<string, unknown>)[method] = async () => {
        throw down;
      };
      return store;
    };
    const item = makeItem();
    expect(await rejection(new StoreOutbox(failing('add')).enqueue(item))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('keys')).due(Date.now(), 10))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('add')).claim(item.id, 1000))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('get')).get(item.id))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('delete')).remove(item.id))).toBe(down);
    expect(await rejection(new StoreOutbox(failing('deleteIf')).remove(item.id, 'lease-1'))).toBe(down);
    const setFails = failing('setIf');
    await setFails.add(`outbox:item:${item.id}`, JSON.stringify(item), 60_000);
    await setFails.add(`outbox:lease:${item.id}`, 'lease-1', 60_000);
    expect(await rejection(new StoreOutbox(setFails).update(item, 'lease-1'))).toBe(down);
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

describe('SessionStoreOutbox', () => {
  it('saves items as session-shaped records bindid-outbox.<id> whose cookie expires retainExpiredMs after the token', async () => {
    const store = new session.MemoryStore();
    const outbox = new SessionStoreOutbox(store, { retainExpiredMs: 120_000 });
    const item = makeItem();
    await outbox.enqueue(item);
    const record = (await storeGet(store, `${SESSION_OUTBOX_PREFIX}${item.id}`)) as {
      cookie: { expires: string; originalMaxAge: number };
      bindidOutbox: OutboxItem;
    };
    expect(record.bindidOutbox).toEqual(item);
    expect(Math.abs(Date.parse(record.cookie.expires) - (item.expiresAt + 120_000))).toBeLessThan(1000);
    expect(record.cookie.originalMaxAge).toBeGreaterThan(3_600_000);
  });

  it('ignores the ordinary sessions of the store', async () => {
    const store = new session.MemoryStore();
    const cookie = { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000).toISOString() };
    await storeSet(store, 'user-session-1', { cookie, passport: { user: 1 } });
    await storeSet(store, `${SESSION_OUTBOX_PREFIX}forged`, { cookie, bindidOutbox: { id: 'x' } });
    await storeSet(store, 'user-session-2', { cookie, bindidOutbox: makeItem() });
    const outbox = new SessionStoreOutbox(store);
    const item = makeItem();
    await outbox.enqueue(item);
    expect(await outbox.due(Date.now(), 10)).toEqual([item]);
  });

  it('reads stores whose all() gives an array (connect-redis) or nothing', async () => {
    const item = makeItem();
    const record = { cookie: {}, bindidOutbox: item };
    const arrayStore = Object.assign(new session.MemoryStore(), {
      all: (cb: (err: unknown, all?: unknown) => void) =>
        cb(null, [{ ...record, id: `${SESSION_OUTBOX_PREFIX}${item.id}` }, { cookie: {}, id: 'sess-1' }, record, null]),
    });
    expect(await new SessionStoreOutbox(arrayStore).due(Date.now(), 10)).toEqual([item, item]);
    const emptyStore = Object.assign(new session.MemoryStore(), { all: (cb: (err: unknown, all?: unknown) => void) => cb(null, null) });
    expect(await new SessionStoreOutbox(emptyStore).due(Date.now(), 10)).toEqual([]);
  });

  it('rejects when the session store errors, throws or does not answer in time', async () => {
    const down = new Error('store down');
    const store = (overrides: Record<string, unknown>) => Object.assign(new session.MemoryStore(), overrides);
    const item = makeItem();
    const erroring = new SessionStoreOutbox(store({ set: (_s: string, _v: unknown, cb: (e: unknown) => void) => cb(down) }));
    expect(await rejection(erroring.enqueue(item))).toBe(down);
    const getErroring = new SessionStoreOutbox(store({ get: (_s: string, cb: (e: unknown) => void) => cb(down) }));
    expect(await rejection(getErroring.enqueue(item))).toBe(down);
    const throwing = new SessionStoreOutbox(
      store({
        all: () => {
          throw down;
        },
      }),
    );
    expect(await rejection(throwing.due(Date.now(), 10))).toBe(down);
    const silent = new SessionStoreOutbox(store({ destroy: () => {} }), { timeoutMs: 50 });
    const err = await rejection(silent.remove(item.id));
    expect(err).toMatchObject({ code: 'ETIMEDOUT' });
    expect(err.message).toMatch(/did not answer destroy\(\) within 50 ms/);
    // A store that answers twice, or throws after answering, settles once.
    const twice = new SessionStoreOutbox(
      store({
        destroy: (_s: string, cb: (e?: unknown) => void) => {
          cb();
          cb(down);
          throw down;
        },
      }),
    );
    await expect(twice.remove(item.id)).resolves.toBeUndefined();
  });

  it('refuses, at construction, a store without all() and says what to use instead', () => {
    class NoAllStore extends session.Store {
      get(_sid: string, cb: (err: unknown, s?: session.SessionData | null) => void): void {
        cb(null, null);
      }
      set(_sid: string, _s: session.SessionData, cb?: (err?: unknown) => void): void {
        cb?.();
      }
      destroy(_sid: string, cb?: (err?: unknown) => void): void {
        cb?.();
      }
    }
    let error: unknown;
    try {
      new SessionStoreOutbox(new NoAllStore());
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: ErrorCode.INVALID_OPTION, option: 'store' });
    expect((error as Error).message).toMatch(/must implement all\(\).*NoAllStore does not.*StoreOutbox\(new RedisBindIdStore/);
  });

  it.each<[string, unknown, unknown, RegExp]>([
    ['no store', undefined, undefined, /`store` must be an express-session store/],
    ['a BindIdStore', new MemoryBindIdStore(), undefined, /`store` must be an express-session store/],
    ['an unknown option', new session.MemoryStore(), { timeout: 5 }, /`timeout` is not a known option. Did you mean `timeoutMs`/],
    ['a zero timeout', new session.MemoryStore(), { timeoutMs: 0 }, /`timeoutMs` must be a whole number from 1/],
  ])('refuses %s at construction', (_what, store, options, message) => {
    expect(() => new SessionStoreOutbox(store as session.Store, options as never)).toThrow(message);
  });

  it('claims are leases of this process: expired leases are dropped', async () => {
    let clock = 0;
    const outbox = new SessionStoreOutbox(new session.MemoryStore(), { now: () => clock });
    const [a, b] = [makeItem(), makeItem()];
    expect(await outbox.claim(a.id, 100)).toEqual(expect.any(String));
    expect(await outbox.claim(b.id, 1000)).toEqual(expect.any(String));
    clock = 500;
    expect(await outbox.claim(a.id, 100)).toEqual(expect.any(String));
    expect(await outbox.claim(b.id, 100)).toBe(false);
  });
});
