/**
 * BindIdStore implementations without a Redis server: the shared contract on MemoryBindIdStore and
 * on RedisBindIdStore over a model of Redis (FakeRedis), plus what RedisBindIdStore sends and how it
 * fails. The same contract runs on a real Redis in `npm run test:redis` (test/redis/).
 */
import { ErrorCode, MemoryBindIdStore, RedisBindIdStore } from '../../src/index.js';
import type { RedisCommander } from '../../src/stores/index.js';
import { INCREMENT_SCRIPT } from '../../src/stores/redis-bindid-store.js';
import { FakeRedis } from '../helpers/fake-redis.js';
import { FakeRedisQueues, hashTag } from './fake-redis-queues.js';
import { rejection } from '../helpers/feedback.js';
import { describeBindIdStoreContract } from '../helpers/store-contract.js';

describeBindIdStoreContract('MemoryBindIdStore', async () => {
  let clock = 1_000_000;
  return {
    store: new MemoryBindIdStore({ now: () => clock }),
    pass: async (ms) => {
      clock += ms;
    },
  };
});

describeBindIdStoreContract('RedisBindIdStore on a model of Redis', async () => {
  const redis = new FakeRedis();
  return {
    store: new RedisBindIdStore(redis),
    pass: async (ms) => {
      redis.now += ms;
    },
  };
});

describe('RedisBindIdStore', () => {
  let redis: FakeRedis;
  let store: RedisBindIdStore;
  beforeEach(() => {
    redis = new FakeRedis();
    store = new RedisBindIdStore(redis);
  });

  it('sends one atomic command per operation, under the prefix bindid:', async () => {
    await store.add('a', '1', 1500);
    await store.set('b', '2');
    await store.set('c', '3', 10.2);
    await store.get('a');
    await store.delete('a');
    await store.increment('n', 2000);
    expect(redis.commands).toEqual([
      ['SET', 'bindid:a', '1', 'NX', 'PX', '1500'],
      ['SET', 'bindid:b', '2'],
      ['SET', 'bindid:c', '3', 'PX', '11'],
      ['GET', 'bindid:a'],
      ['DEL', 'bindid:a'],
      ['EVAL', INCREMENT_SCRIPT, '1', 'bindid:n', '2000', '1'],
    ]);
    expect(redis.pttl('bindid:n')).toBe(2000);
  });

  it('takes another prefix, or none', async () => {
    await new RedisBindIdStore(redis, { prefix: 'app1:' }).set('k', 'v');
    await new RedisBindIdStore(redis, { prefix: '' }).set('k', 'w');
    expect(redis.commands).toEqual([
      ['SET', 'app1:k', 'v'],
      ['SET', 'k', 'w'],
    ]);
    expect(await new RedisBindIdStore(redis, { prefix: '' }).get('app1:k')).toBe('v');
    expect(await new RedisBindIdStore(redis, { prefix: 'app1:' }).get('k')).toBe('v');
  });

  it('reads Buffer and number replies as text', async () => {
    const replies: unknown[] = [Buffer.from('héllo'), 7, '8'];
    const client: RedisCommander = { sendCommand: async (args) => (args[0] === 'CONFIG' ? ['maxmemory-policy', 'noeviction'] : replies.shift()) };
    const s = new RedisBindIdStore(client);
    expect(await s.get('x')).toBe('héllo');
    expect(await s.increment('n', 10)).toBe(7);
    expect(await s.increment('n', 10)).toBe(8);
  });

  it('passes on every failure of the client as a rejection (callers fail closed)', async () => {
    const down = Object.assign(new Error('The client is closed'), { code: 'ECONNREFUSED' });
    for (const call of [
      () => store.add('k', 'v', 1000),
      () => store.get('k'),
      () => store.set('k', 'v'),
      () => store.delete('k'),
      () => store.increment('k', 1000),
    ]) {
      redis.failNext = down;
      expect(await rejection(call())).toBe(down);
    }
    const throwing = new RedisBindIdStore({
      sendCommand: () => {
        throw down;
      },
    });
    expect(await rejection(throwing.get('k'))).toBe(down);
  });

  it('rejects replies it cannot read instead of guessing', async () => {
    const answering = (reply: unknown) => new RedisBindIdStore({ sendCommand: async () => reply });
    expect((await rejection(answering({}).get('k'))).message).toMatch(/not a string/);
    expect((await rejection(answering('abc').increment('k', 10))).message).toMatch(/not an integer/);
  });

  it('refuses a TTL Redis would refuse, before sending anything', async () => {
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
      expect((await rejection(store.add('k', 'v', ttl))).code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect((await rejection(store.increment('k', ttl))).code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect((await rejection(store.set('k', 'v', ttl))).code).toBe(ErrorCode.INVALID_ARGUMENT);
    }
    expect((await rejection(store.set('k', 1 as unknown as string))).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((await rejection(store.get(1 as unknown as string))).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(redis.commands).toEqual([]);
  });

  it.each<[string, unknown, unknown, RegExp]>([
    ['no client', undefined, undefined, /`client` must be a Redis client: node-redis \(createClient or createCluster.*ioredis \(Redis or Cluster\)/],
    ['an object without sendCommand or call', { send: () => {} }, undefined, /`client` must be a Redis client/],
    ['options not an object', new FakeRedis(), 'bindid:', /options of RedisBindIdStore\(\) must be an object/],
    ['an unknown option', new FakeRedis(), { prefx: 'x' }, /`prefx` is not a known option. Did you mean `prefix`/],
    ['a prefix that is not a string', new FakeRedis(), { prefix: 5 }, /`prefix` must be a string/],
  ])('refuses %s at construction', (_what, client, options, message) => {
    let error: unknown;
    try {
      new RedisBindIdStore(client as RedisCommander, options as never);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: ErrorCode.INVALID_OPTION });
    expect((error as Error).message).toMatch(message);
  });
});

describe('RedisBindIdStore takes node-redis and ioredis clients as they are', () => {
  it('an ioredis client (Redis or Cluster): call(command, ...args), which routes on the keys itself', async () => {
    const redis = new FakeRedisQueues();
    const ioredis = { call: (command: string, ...args: string[]) => redis.sendCommand([command, ...args]) };
    const store = new RedisBindIdStore(ioredis);
    await store.set('k', 'v');
    expect(await store.get('k')).toBe('v');
    expect(await store.queueAdd('q', { id: 'a', value: '1', dueAt: 0, keepUntil: 1e15 }, 0)).toBe(true);
    expect(redis.commands[0]).toEqual(['SET', 'bindid:k', 'v']);
  });

  it('a node-redis cluster (createCluster): sendCommand(firstKey, isReadonly, args), routed on the first key (for EVAL, the first of KEYS)', async () => {
    const redis = new FakeRedisQueues();
    const routed: Array<string | undefined> = [];
    const cluster = {
      masters: [],
      sendCommand: (firstKey: string | undefined, _readonly: boolean | undefined, args: string[]) => {
        routed.push(firstKey);
        return redis.sendCommand(args);
      },
    };
    const store = new RedisBindIdStore(cluster);
    await store.add('claim', 'x', 1000);
    await store.increment('n', 1000);
    await store.queueAdd('outbox:', { id: 'a', value: '1', dueAt: 0, keepUntil: 1e15 }, 0);
    await store.queueClaim('outbox:', 'a', 't', 1000);
    await store.queueDue('outbox:', 0, 10);
    // First the eviction-policy check (CONFIG GET: no key, any node), then each command on its first key.
    expect(routed).toEqual([undefined, 'bindid:claim', 'bindid:n', 'bindid:{outbox:}items', 'bindid:{outbox:}lease:a', 'bindid:{outbox:}items']);
  });

  it('every key a queue script touches has the same hash tag (one slot on Redis Cluster), under any prefix', async () => {
    for (const prefix of ['bindid:', '', 'app:{tenant-1}:']) {
      const redis = new FakeRedisQueues(); // refuses a script whose keys have different tags (CROSSSLOT)
      const store = new RedisBindIdStore(redis, { prefix });
      await store.queueAdd('outbox:', { id: 'a', value: '1', dueAt: 0, keepUntil: 1e15 }, 0);
      await store.queueClaim('outbox:', 'a', 't', 1000);
      expect(await store.queueDue('outbox:', 0, 10)).toEqual([{ id: 'a', value: '1' }]);
      expect(await store.queueUpdate('outbox:', { id: 'a', value: '2', dueAt: 5, keepUntil: 1e15 }, 't')).toBe(true);
      await store.queueRemove('outbox:', 'a', 't');
      const keys = redis.commands.flatMap((c) => (c[0] === 'EVAL' ? c.slice(3, 3 + Number(c[2])) : [c[1] as string]));
      expect(new Set(keys.map(hashTag)).size).toBe(1);
    }
  });
});

describe('RedisBindIdStore queue operations', () => {
  it('refuse what Redis would refuse, before sending anything', async () => {
    const redis = new FakeRedisQueues();
    const store = new RedisBindIdStore(redis);
    const good = { id: 'a', value: 'v', dueAt: 1, keepUntil: 2 };
    const refused: Array<[string, () => Promise<unknown>]> = [
      ['an empty queue name', () => store.queueDue('', 0, 1)],
      ['a queue name with a brace', () => store.queueGet('a{b', 'x')],
      ['an id that is not a string', () => store.queueGet('q', 5 as unknown as string)],
      ['a record without a string value', () => store.queueAdd('q', { ...good, value: 1 as unknown as string }, 0)],
      ['a record that is null', () => store.queueUpdate('q', null as never, 't')],
      ['a due time that is not finite', () => store.queueAdd('q', { ...good, dueAt: Number.NaN }, 0)],
      ['a limit below 0', () => store.queueDue('q', 0, -1)],
      ['an empty lease token', () => store.queueClaim('q', 'a', '', 1000)],
      ['a lease of 0 ms', () => store.queueClaim('q', 'a', 't', 0)],
    ];
    for (const [what, call] of refused) {
      const err = await rejection(call());
      expect([what, err.code]).toEqual([what, ErrorCode.INVALID_ARGUMENT]);
    }
    expect(await store.queueDue('q', 0, 0)).toEqual([]); // nothing to ask for
    expect(redis.commands).toEqual([]);
  });

  it('reject a due reply they cannot read, and read Buffer replies as text', async () => {
    const answering = (reply: unknown) => new RedisBindIdStore({ sendCommand: async () => reply });
    expect((await rejection(answering('x').queueDue('q', 0, 5))).message).toMatch(/not \[id, value, \.\.\.\]/);
    expect((await rejection(answering(['a']).queueDue('q', 0, 5))).message).toMatch(/not \[id, value, \.\.\.\]/);
    expect(await answering([Buffer.from('a'), Buffer.from('v')]).queueDue('q', 0, 5)).toEqual([{ id: 'a', value: 'v' }]);
    expect(await answering(null).queueGet('q', 'a')).toBeUndefined();
  });
});
