/**
 * N177/N178 on a real Redis (`npm run test:redis`): a Redis with a small `maxmemory` and an
 * `allkeys-lru` policy would drop express-bindid's links and attempt counters under a flood, so
 * RedisBindIdStore refuses it in production and warns otherwise; with the safe policy (`noeviction`)
 * a flood from two app instances fills Redis, every write past it fails closed, and the link, the
 * attempt counter and the used state written before are all still there, exact.
 */
import { createClient, type RedisClientType } from 'redis';
import { ErrorCode, RedisBindIdStore } from '../../src/index.js';
import { EVICTION_WARNING, resetEvictionWarnings } from '../../src/stores/eviction-policy.js';
import { RedisServer } from './redis-server.js';

let server: RedisServer;
const clients: RedisClientType[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  for (const client of clients.splice(0)) await client.close();
  await server.close();
});
beforeEach(() => resetEvictionWarnings());

async function connect(): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url: server.url });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}

/** An emptied server with `policy` and room for about 2 MB more than it uses now (none: `unlimited`). */
async function configured(policy: string, room: 'small' | 'unlimited' = 'small'): Promise<RedisClientType> {
  const admin = await connect();
  await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', '0']);
  await admin.flushDb();
  await admin.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', policy]);
  if (room === 'small') {
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
    await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', String(used + 2 * 1024 * 1024)]);
  }
  return admin;
}

async function withNodeEnv<T>(env: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = env;
  try {
    return await fn();
  } finally {
    process.env.NODE_ENV = before;
  }
}

/** Flood `stores` (app instances) with used-state keys of 1 kB, concurrently, until Redis refuses: how many were refused. */
async function flood(stores: RedisBindIdStore[], keys: number): Promise<{ written: number; refused: number }> {
  let written = 0;
  let refused = 0;
  const value = 'x'.repeat(1024);
  for (let batch = 0; batch < keys / 100; batch++) {
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => (stores[i % stores.length] as RedisBindIdStore).add(`state:flood-${batch}-${i}`, value, 600_000)),
    );
    for (const r of results) {
      if (r.status === 'fulfilled') written += 1;
      else refused += 1;
    }
  }
  return { written, refused };
}

describe('N177 maxmemory-policy on a real Redis', () => {
  afterAll(async () => {
    await configured('noeviction', 'unlimited');
  });

  it('N177 allkeys-lru with a small maxmemory: refused in production (nothing written), a coded warning otherwise', async () => {
    const admin = await configured('allkeys-lru');
    const store = new RedisBindIdStore(await connect());
    const refused = await withNodeEnv('production', () => store.ready().catch((err: unknown) => err));
    expect(refused).toMatchObject({ code: ErrorCode.INVALID_OPTION, option: 'client' });
    expect((refused as Error).message).toContain('maxmemory-policy noeviction');
    await expect(withNodeEnv('production', () => store.set('link:alias:1', 'sub'))).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION });
    expect(await admin.dbSize()).toBe(0);

    const warnings: Array<{ code?: string }> = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation((_w, options) => {
      warnings.push({ code: typeof options === 'object' && options !== null ? (options as { code?: string }).code : undefined });
    });
    try {
      await withNodeEnv('development', async () => expect(await new RedisBindIdStore(await connect()).add('k', 'v', 1000)).toBe(true));
    } finally {
      spy.mockRestore();
    }
    expect(warnings).toEqual([{ code: EVICTION_WARNING }]);
  });

  it('N177 what the refusal prevents: under allkeys-lru a flood evicts a link and an attempt counter', async () => {
    const admin = await configured('allkeys-lru');
    await admin.set('bindid:link:alias:1', 'sub-1');
    await admin.set('bindid:attempts:p', '4', { PX: 900_000 });
    const raw = new RedisBindIdStore(await connect());
    await withNodeEnv('development', () => flood([raw], 8_000).catch(() => undefined));
    const kept = [await admin.get('bindid:link:alias:1'), await admin.get('bindid:attempts:p')];
    expect(kept).toContain(null);
  });
});

describe('N178 a flood on a safe Redis (noeviction) from two instances', () => {
  afterAll(async () => {
    await configured('noeviction', 'unlimited');
  });

  it('N178 fills Redis, then every write fails closed; the link, the counter and the used state stay, exact, and count on once memory is freed', async () => {
    const admin = await configured('noeviction');
    const [a, b] = [new RedisBindIdStore(await connect()), new RedisBindIdStore(await connect())];
    await a.set('link:alias:1', 'sub-1');
    // Concurrent bursts across the two instances before the flood: exact.
    const counts = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).increment('attempts:p', 900_000)));
    expect(Math.max(...counts)).toBe(40);
    const firsts = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).add('state:one', '1', 600_000)));
    expect(firsts.filter(Boolean)).toHaveLength(1);

    const { written, refused } = await flood([a, b], 8_000);
    expect(written).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // The flood filled Redis. Keep it full: once the flood's requests are answered Redis frees their
    // client buffers, which can bring used_memory back under maxmemory by a few kB (seen on a loaded
    // machine), so the limit is set just under what the data now uses. Nothing is evicted either way.
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
    await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', String(Math.max(1, used - 256 * 1024))]);
    // Full: a new key and even an increment are refused (the caller fails closed, 503), never a reset.
    await expect(a.add('state:new', '1', 600_000)).rejects.toThrow(/OOM/);
    await expect(b.increment('attempts:p', 900_000)).rejects.toThrow(/OOM/);
    expect(await a.get('link:alias:1')).toBe('sub-1');
    expect(await b.get('attempts:p')).toBe('40');
    // A replayed state is refused too (OOM: the callback fails closed), and the used state is there.
    await expect(a.add('state:one', '1', 600_000)).rejects.toThrow(/OOM/);
    expect(await b.get('state:one')).toBe('1');

    // Memory freed (the flood's states expire): the counter goes on from where it was.
    await admin.sendCommand(['CONFIG', 'SET', 'maxmemory', '0']);
    const more = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).increment('attempts:p', 900_000)));
    expect(Math.max(...more)).toBe(50);
    expect(await a.add('state:one', '1', 600_000)).toBe(false);
  });
});
