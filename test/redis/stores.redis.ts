/**
 * `RedisBindIdStore` on one real Redis server (`npm run test:redis`), through a node-redis client
 * exactly as the README tells users to build it: what it writes, the scripts the models of Redis
 * run, restarts, and three instances racing on one outbox item. The contracts themselves, on one
 * server and on a cluster, with each client, are in contracts.redis.ts.
 */
import { createClient, type RedisClientType } from 'redis';
import { BindIdError, ErrorCode, RedisBindIdStore } from '../../src/index.js';
import { type OutboxSender, OutboxWorker, StoreOutbox } from '../../src/fail-open/index.js';
import { DELETE_IF_SCRIPT, INCREMENT_SCRIPT, SET_IF_SCRIPT } from '../../src/stores/redis-bindid-store.js';
import { makeItem } from '../helpers/outbox.js';
import { FakeRedisQueues } from '../stores/fake-redis-queues.js';
import { sleep } from './instances.js';
import { RedisServer } from './redis-server.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { APP_ORIGIN } from '../helpers/flow.js';
import { unlinkRacingRelink } from '../helpers/unlink-race.js';

let server: RedisServer;
const clients: RedisClientType[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

/** A node-redis client on the test server (closed after the test), the database emptied first. */
async function connect(): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url: server.url });
  client.on('error', () => {}); // a test that restarts the server makes every client reconnect
  await client.connect();
  clients.push(client);
  return client;
}

async function emptied(): Promise<RedisClientType> {
  const client = await connect();
  await client.flushDb();
  return client;
}


describe('RedisBindIdStore on a real Redis', () => {
  it('writes what the model says it writes: prefixed keys, TTLs set once by the increment script, never pushed back', async () => {
    const redis = await emptied();
    const store = new RedisBindIdStore(redis);
    await store.add('claim', 'x', 60_000);
    expect(await redis.get('bindid:claim')).toBe('x');
    expect(await redis.pTTL('bindid:claim')).toBeGreaterThan(59_000);

    expect(await store.increment('counter', 60_000)).toBe(1);
    const ttl = await redis.pTTL('bindid:counter');
    await sleep(50);
    expect(await store.increment('counter', 60_000)).toBe(2);
    expect(await redis.pTTL('bindid:counter')).toBeLessThan(ttl); // not reset by the second increment
    // The script the model runs is the one Redis ran.
    expect(await redis.sendCommand(['EVAL', INCREMENT_SCRIPT, '1', 'bindid:counter', '60000', '1'])).toBe(3);
  });

  it('N130 increment with `by` on a real Redis: INCRBY gives back (-1) and adds several, atomically, keeping the first TTL', async () => {
    const redis = await emptied();
    const store = new RedisBindIdStore(redis);
    expect(await store.increment('slots', 60_000, 3)).toBe(3);
    const ttl = await redis.pTTL('bindid:slots');
    await sleep(50);
    expect(await store.increment('slots', 60_000, -1)).toBe(2);
    expect(await redis.pTTL('bindid:slots')).toBeLessThan(ttl);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.increment('slots', 60_000, i % 2 === 0 ? 5 : -1)));
    expect(await store.get('slots')).toBe(String(2 + 25 * 5 - 25));
    // A given-back slot on a counter that expired starts a new one below zero (never an error).
    expect(await store.increment('fresh', 60_000, -1)).toBe(-1);
  });

  it('rejects while Redis is down (callers fail closed) and works again once it is back', async () => {
    const redis: RedisClientType = createClient({
      url: server.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 50 },
    });
    redis.on('error', () => {});
    await redis.connect();
    clients.push(redis);
    const store = new RedisBindIdStore(redis);
    await store.set('kept', 'before the restart');
    await server.stop();
    await expect(store.get('kept')).rejects.toThrow();
    await expect(store.add('new', 'x', 1000)).rejects.toThrow();
    await server.startAgain();
    const deadline = Date.now() + 5000;
    while (!redis.isReady && Date.now() < deadline) await sleep(25);
    expect(await store.get('kept')).toBe('before the restart'); // append-only file, fsync always
    expect(await store.add('new', 'x', 1000)).toBe(true);
  });

  it('an outbox item written before a restart is there after it, with its token and original time', async () => {
    const redis = await emptied();
    const outbox = new StoreOutbox(new RedisBindIdStore(redis));
    const item = makeItem();
    expect(await outbox.enqueue(item)).toBe(true);
    await server.restart();
    const again = await connect();
    expect(await new StoreOutbox(new RedisBindIdStore(again)).get(item.id)).toEqual(item);
  });

  it('runs the compare-and-delete and compare-and-set scripts the model runs', async () => {
    const redis = await emptied();
    await redis.set('k', 'a');
    expect(await redis.sendCommand(['EVAL', DELETE_IF_SCRIPT, '1', 'k', 'b'])).toBe(0);
    expect(await redis.sendCommand(['EVAL', SET_IF_SCRIPT, '1', 'k', 'a', 'c', '60000'])).toBe(1);
    expect(await redis.get('k')).toBe('c');
    expect(await redis.pTTL('k')).toBeGreaterThan(59_000);
    expect(await redis.sendCommand(['EVAL', SET_IF_SCRIPT, '1', 'k', 'c', 'd', ''])).toBe(1);
    expect(await redis.pTTL('k')).toBe(-1);
    expect(await redis.sendCommand(['EVAL', SET_IF_SCRIPT, '1', 'missing', 'x', 'y', ''])).toBe(0);
    expect(await redis.exists('missing')).toBe(0);
    expect(await redis.sendCommand(['EVAL', DELETE_IF_SCRIPT, '1', 'k', 'd'])).toBe(1);
    expect(await redis.exists('k')).toBe(0);
  });

  it('runs the queue scripts as the model of Redis (test/stores/fake-redis-queues.ts) says: the same answers to the same operations', async () => {
    const redis = await emptied();
    const model = new FakeRedisQueues();
    model.now = Date.now();
    const stores = [new RedisBindIdStore(redis), new RedisBindIdStore(model)];
    const run = async (store: RedisBindIdStore) => {
      const now = model.now;
      const answers: unknown[] = [];
      const record = (id: string, dueAt: number, keepUntil = now + 60_000) => ({ id, value: `v-${id}-${dueAt}`, dueAt, keepUntil });
      answers.push(await store.queueAdd('q:', record('a', now - 10), now));
      answers.push(await store.queueAdd('q:', record('a', now - 20), now)); // dedupe
      answers.push(await store.queueAdd('q:', record('b', now - 30), now));
      answers.push(await store.queueAdd('q:', record('c', now + 5000), now));
      answers.push(await store.queueAdd('q:', record('gone', now - 40, now - 1), now)); // past its retention
      answers.push(await store.queueDue('q:', now, 10)); // drops `gone`, b before a, not c
      answers.push(await store.queueDue('q:', now, 1));
      answers.push(await store.queueClaim('q:', 'a', 't1', 60_000));
      answers.push(await store.queueClaim('q:', 'a', 't2', 60_000));
      answers.push(await store.queueUpdate('q:', record('a', now + 9000), 't2')); // not the owner
      answers.push(await store.queueUpdate('q:', record('a', now + 9000), 't1'));
      answers.push(await store.queueClaim('q:', 'a', 't3', 60_000)); // released by the update
      await store.queueRemove('q:', 'a', 't3');
      answers.push(await store.queueGet('q:', 'a'));
      answers.push(await store.queueClaim('q:', 'a', 't4', 60_000)); // released by the remove
      answers.push(await store.queueUpdate('q:', record('a', now), 't4')); // removed: not written back
      answers.push(await store.queueAdd('q:', record('a', now - 1), now)); // queued again
      answers.push(await store.queueDue('q:', now + 10_000, 10));
      answers.push(await store.queueDue('q:', now + 10_000, 0));
      return answers;
    };
    const [real, modelled] = [await run(stores[0] as RedisBindIdStore), await run(stores[1] as RedisBindIdStore)];
    expect(real).toEqual(modelled);
    expect(real[5]).toEqual([
      { id: 'b', value: `v-b-${model.now - 30}` },
      { id: 'a', value: `v-a-${model.now - 10}` },
    ]);
  });

  it('N131 three instances: one whose lease expired finishes (update, then remove) without freeing the claim of the instance that took the item over; the report is sent once', async () => {
    const [first, second, third] = [await emptied(), await connect(), await connect()];
    const outboxes = [first, second, third].map((c) => new StoreOutbox(new RedisBindIdStore(c)));
    const [one, two, three] = outboxes as [StoreOutbox, StoreOutbox, StoreOutbox];
    const item = makeItem();
    expect(await one.enqueue(item)).toBe(true);
    const sent: string[] = [];
    let release2 = () => {};
    const held2 = new Promise<void>((resolve) => {
      release2 = resolve;
    });
    let started2 = () => {};
    const sending2 = new Promise<void>((resolve) => {
      started2 = resolve;
    });
    const LEASE = 1000;
    const slowFailing: OutboxSender = {
      send: async () => {
        await sleep(LEASE + 300); // longer than the lease: instance 2 takes the item over meanwhile
        throw new BindIdError(ErrorCode.UNAVAILABLE, 'down', { status: 503, retryable: true });
      },
    };
    const counting = (name: string, hold?: Promise<void>): OutboxSender => ({
      send: async () => {
        if (hold) {
          started2();
          await hold;
        }
        sent.push(name);
        return { status: 200, attempts: 1, durationMs: 1 };
      },
    });
    const options = { leaseMs: LEASE, random: () => 0 };
    const w1 = new OutboxWorker({ outbox: one, client: slowFailing, ...options });
    const w2 = new OutboxWorker({ outbox: two, client: counting('two', held2), ...options });
    const w3 = new OutboxWorker({ outbox: three, client: counting('three'), ...options });
    const run1 = w1.runOnce();
    await sleep(LEASE + 100);
    const run2 = w2.runOnce();
    await sending2;
    expect(await run1).toMatchObject({ skipped: 1, retried: 0 });
    expect(await w3.runOnce()).toMatchObject({ delivered: 0 });
    expect(await three.claim(item.id, LEASE)).toBe(false);
    await one.remove(item.id, 'an-expired-lease');
    expect(await three.claim(item.id, LEASE)).toBe(false);
    release2();
    expect(await run2).toMatchObject({ delivered: 1 });
    expect(sent).toEqual(['two']);
  });
});

describe('N182 an unlink racing the owner\'s re-link, two instances on one real Redis (issue 23 item 5)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ redirectUris: [`${APP_ORIGIN}/bindid/callback`], identities: [{ id: 'gail' }, { id: 'hugo' }] });
  });
  afterAll(() => emulator.close());

  it('N182 the owner links again on B while A waits for BindID\'s answer to alias_deleted: the newer link stays on both instances', async () => {
    await emptied();
    const stores = { a: new RedisBindIdStore(await connect()), b: new RedisBindIdStore(await connect()) };
    const race = await unlinkRacingRelink(emulator, stores, { identity: 'gail', alias: 'acct-redis-1', relink: true });
    expect({ forgotten: race.unlink.forgotten, relinked: race.unlink.relinked, atBindId: race.atBindId, a: race.linkedOnA, b: race.linkedOnB }).toEqual({
      forgotten: false,
      relinked: true,
      atBindId: 'acct-redis-1',
      a: true,
      b: true,
    });
  });

  it('N182 without a re-link the unlink on A forgets the pair B recorded', async () => {
    await emptied();
    const stores = { a: new RedisBindIdStore(await connect()), b: new RedisBindIdStore(await connect()) };
    const race = await unlinkRacingRelink(emulator, stores, { identity: 'hugo', alias: 'acct-redis-2', relink: false });
    expect({ forgotten: race.unlink.forgotten, atBindId: race.atBindId, a: race.linkedOnA, b: race.linkedOnB }).toEqual({
      forgotten: true,
      atBindId: undefined,
      a: false,
      b: false,
    });
  });
});
