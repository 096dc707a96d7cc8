/**
 * RedisBindIdStore reads Redis's maxmemory-policy before its first write (docs/fail-open.md): an
 * allkeys-* policy would let Redis drop links and attempt counters under memory pressure, so it is
 * refused in production and warned about otherwise; volatile-* is warned about; noeviction is quiet;
 * a Redis that forbids CONFIG (managed Redis) is not checked and works as before.
 */
import { ErrorCode, RedisBindIdStore } from '../../src/index.js';
import { EVICTION_WARNING, resetEvictionWarnings } from '../../src/stores/eviction-policy.js';
import { FakeRedis } from '../helpers/fake-redis.js';

/** The process warnings emitted while `run` runs. */
async function warningsDuring(run: () => Promise<unknown>): Promise<Array<{ code?: string; message: string }>> {
  const seen: Array<{ code?: string; message: string }> = [];
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation((warning, options) => {
    const code = typeof options === 'object' && options !== null && 'code' in options ? (options.code as string) : undefined;
    seen.push({ code, message: String(warning) });
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

/** Run `fn` with NODE_ENV set to `env`, restored after. */
async function withNodeEnv<T>(env: string | undefined, fn: () => Promise<T>): Promise<T> {
  const before = process.env.NODE_ENV;
  if (env === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = env;
  try {
    return await fn();
  } finally {
    process.env.NODE_ENV = before;
  }
}

beforeEach(() => resetEvictionWarnings());

describe('N177 RedisBindIdStore and maxmemory-policy', () => {
  it('N177 allkeys-lru in production: ready() and every operation reject with ERR_BINDID_INVALID_OPTION naming noeviction; nothing is written', async () => {
    const redis = new FakeRedis();
    redis.maxmemoryPolicy = 'allkeys-lru';
    const store = new RedisBindIdStore(redis);
    await withNodeEnv('production', async () => {
      const refused = await store.ready().catch((err: unknown) => err);
      expect(refused).toMatchObject({ code: ErrorCode.INVALID_OPTION, option: 'client' });
      expect((refused as Error).message).toContain('allkeys-lru');
      expect((refused as Error).message).toContain('maxmemory-policy noeviction');
      await expect(store.add('state:x', '1', 1000)).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION });
      await expect(store.increment('attempts:x', 1000)).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION });
      await expect(store.queueAdd('outbox:', { id: 'a', value: '1', dueAt: 0, keepUntil: 1 }, 0)).rejects.toMatchObject({
        code: ErrorCode.INVALID_OPTION,
      });
    });
    expect(redis.commands).toEqual([]);
    expect(redis.configReads).toBe(1);
  });

  it('N177 every allkeys-* policy outside production: a warning with its code (once per policy), and the store works', async () => {
    for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random']) {
      const redis = new FakeRedis();
      redis.maxmemoryPolicy = policy;
      const store = new RedisBindIdStore(redis);
      const warnings = await withNodeEnv('development', () =>
        warningsDuring(async () => {
          expect(await store.add('k', 'v', 1000)).toBe(true);
          await new RedisBindIdStore(redis).get('k'); // a second store: no second warning
        }),
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.code).toBe(EVICTION_WARNING);
      expect(warnings[0]?.message).toContain(policy);
      expect(warnings[0]?.message).toContain('In production this is refused');
    }
  });

  it('N177 volatile-* is warned about (expiring keys, the attempt counters, may go) but not refused, in production too', async () => {
    const redis = new FakeRedis();
    redis.maxmemoryPolicy = 'volatile-lru';
    const store = new RedisBindIdStore(redis);
    const warnings = await withNodeEnv('production', () => warningsDuring(() => store.increment('attempts:x', 1000)));
    expect(warnings.map((w) => w.code)).toEqual([EVICTION_WARNING]);
    expect(warnings[0]?.message).toContain('attempt counters');
    expect(warnings[0]?.message).toContain('noeviction');
  });

  it('N177 noeviction: no warning; the policy is read once per store, before its first command', async () => {
    const redis = new FakeRedis();
    const store = new RedisBindIdStore(redis);
    const warnings = await withNodeEnv('production', () =>
      warningsDuring(async () => {
        await Promise.all([store.set('a', '1'), store.get('a'), store.add('b', '1', 10)]);
        await store.ready();
      }),
    );
    expect(warnings).toEqual([]);
    expect(redis.configReads).toBe(1);
  });

  it('N177 a Redis that forbids CONFIG (managed Redis): not checked, no warning, the store works', async () => {
    const redis = new FakeRedis();
    redis.maxmemoryPolicy = undefined;
    const store = new RedisBindIdStore(redis);
    const warnings = await withNodeEnv('production', () => warningsDuring(() => store.ready()));
    expect(warnings).toEqual([]);
    expect(await store.add('k', 'v', 1000)).toBe(true);
    expect(redis.configReads).toBe(1);
  });

  it('N177 RESP3 replies (a Map, an object) and Buffers are read too; an unexpected reply is not checked', async () => {
    const answers: unknown[] = [
      new Map([['maxmemory-policy', Buffer.from('allkeys-lru')]]),
      { 'maxmemory-policy': 'ALLKEYS-LFU' },
      ['maxmemory-policy'],
      42,
    ];
    const outcomes: string[] = [];
    for (const answer of answers) {
      const client = { sendCommand: async (args: string[]) => (args[0] === 'CONFIG' ? answer : 'OK') };
      const outcome = await withNodeEnv('production', () => new RedisBindIdStore(client).ready().then(() => 'ok', (err: { code: string }) => err.code));
      outcomes.push(outcome);
    }
    expect(outcomes).toEqual([ErrorCode.INVALID_OPTION, ErrorCode.INVALID_OPTION, 'ok', 'ok']);
  });
});
