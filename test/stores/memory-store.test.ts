/**
 * MemoryBindIdStore's bounds: a flood of keys (attempt counters for made-up usernames, used sign-in
 * states) cannot grow the process without limit, and cannot make it forget security state either:
 * expired keys are purged first, and when `maxKeys` unexpired keys remain, a new key is refused
 * (ERR_BINDID_STORE_FULL, 503) instead of dropping one.
 */
import { BindIdError, ErrorCode, MemoryBindIdStore } from '../../src/index.js';
import { failClosed } from '../../src/stores/bindid-store.js';

/** What a full store rejects a new key with. */
const FULL = { code: ErrorCode.STORE_FULL, status: 503, retryable: true, expose: false };

describe('MemoryBindIdStore bounds', () => {
  it('a new key beyond maxKeys unexpired ones is refused (503 STORE_FULL naming maxKeys); every key written stays', async () => {
    const store = new MemoryBindIdStore({ maxKeys: 3 });
    for (const key of ['a', 'b', 'c']) await store.set(key, key, 60_000);
    const refused = await store.set('d', 'd', 60_000).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(BindIdError);
    expect(refused).toMatchObject(FULL);
    expect((refused as Error).message).toContain('maxKeys (3)');
    expect((refused as Error).message).toContain('new MemoryBindIdStore({ maxKeys })');
    await expect(store.add('d', 'd', 60_000)).rejects.toMatchObject(FULL);
    await expect(store.increment('d', 60_000)).rejects.toMatchObject(FULL);
    expect(await store.get('d')).toBeUndefined();
    expect(await Promise.all(['a', 'b', 'c'].map((k) => store.get(k)))).toEqual(['a', 'b', 'c']);
    expect(store.size).toBe(3);
  });

  it('when full, keys already there can still be rewritten, incremented, compared and deleted; a deleted key frees its place', async () => {
    const store = new MemoryBindIdStore({ maxKeys: 2 });
    await store.set('a', '1', 60_000);
    await store.increment('n', 60_000);
    await store.set('a', '2', 60_000);
    expect(await store.increment('n', 60_000)).toBe(2);
    expect(await store.setIf('a', '2', '3')).toBe(true);
    expect(await store.add('a', 'x', 60_000)).toBe(false);
    expect(await store.deleteIf('a', '3')).toBe(true);
    await store.set('b', '1', 60_000);
    expect(await store.get('b')).toBe('1');
    await store.delete('n');
    expect(await store.add('c', '1', 60_000)).toBe(true);
  });

  it('expired keys go first: a full store takes a new key once one has expired, and keeps the unexpired ones', async () => {
    let now = 1_000;
    const store = new MemoryBindIdStore({ maxKeys: 3, now: () => now });
    await store.set('short', 'x', 100);
    await store.set('long', 'x', 10_000);
    await store.set('link', 'x'); // no expiry, like a link record
    await expect(store.set('new', 'x', 100)).rejects.toMatchObject(FULL);
    now += 100;
    await store.set('new', 'x', 100);
    expect(await store.get('short')).toBeUndefined();
    expect([await store.get('long'), await store.get('link'), await store.get('new')]).toEqual(['x', 'x', 'x']);
  });

  it('a key without expiry (a link record) is never dropped, however many short-lived keys come and go', async () => {
    let now = 0;
    const store = new MemoryBindIdStore({ maxKeys: 10, now: () => now });
    await store.set('link:alice', 'sub-1');
    for (let i = 0; i < 5_000; i++) {
      await store.add(`state:${i}`, '1', 50);
      now += 10;
    }
    expect(await store.get('link:alice')).toBe('sub-1');
    expect(store.size).toBeLessThanOrEqual(10);
  });

  it('a counter being incremented keeps its expiry and its place: it is not dropped while unexpired', async () => {
    let now = 0;
    const store = new MemoryBindIdStore({ maxKeys: 3, now: () => now });
    await store.increment('attempts:p', 15 * 60_000);
    for (let i = 0; i < 100; i++) {
      await store.add(`state:${i}`, '1', 1_000).catch(() => false);
      await store.increment('attempts:p', 15 * 60_000);
      now += 600;
    }
    expect(await store.get('attempts:p')).toBe('101');
    now = 15 * 60_000;
    expect(await store.get('attempts:p')).toBeUndefined();
  });

  it('size counts live keys only: expired entries are dropped as they are counted', async () => {
    let now = 1_000;
    const store = new MemoryBindIdStore({ now: () => now });
    await store.set('short', 'x', 100);
    await store.set('long', 'x', 10_000);
    expect(store.size).toBe(2);
    now += 101;
    expect(store.size).toBe(1);
  });

  it('a concurrent burst of new keys at the limit: exactly the free places are taken, the rest refused, nothing dropped', async () => {
    const store = new MemoryBindIdStore({ maxKeys: 50 });
    for (let i = 0; i < 40; i++) await store.set(`kept:${i}`, String(i), 60_000);
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => store.add(`burst:${i}`, '1', 60_000)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(20);
    for (const r of refused) expect(r.reason).toMatchObject(FULL);
    for (let i = 0; i < 40; i++) expect(await store.get(`kept:${i}`)).toBe(String(i));
    expect(store.size).toBe(50);
  });

  it('maxKeys and now are checked: a clear option error, no store', () => {
    expect(() => new MemoryBindIdStore({ maxKeys: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION, option: 'maxKeys' }));
    expect(() => new MemoryBindIdStore({ maxKeys: 1.5 })).toThrow(/maxKeys/);
    expect(() => new MemoryBindIdStore({ now: 5 as unknown as () => number })).toThrow(/now/);
    expect(() => new MemoryBindIdStore({ maxKey: 3 } as never)).toThrow(/maxKey/);
  });
});

describe('MemoryBindIdStore queue operations', () => {
  /** A store on the clock `clock.at`. */
  const storeAt = (clock: { at: number }) => new MemoryBindIdStore({ now: () => clock.at });
  const rec = (id: string, value: string, dueAt: number, keepUntil: number) => ({ id, value, dueAt, keepUntil });

  it('an id is taken until its keepUntil: at that moment a new record replaces the old one, whose index entries go with it', async () => {
    const clock = { at: 1000 };
    const store = storeAt(clock);
    expect(await store.queueAdd('q', rec('a', 'old', 100, 2000), 1000)).toBe(true);
    expect(await store.queueAdd('q', rec('a', 'early', 100, 9000), 1999)).toBe(false);
    expect(await store.queueAdd('q', rec('a', 'new', 5000, 9000), 2000)).toBe(true);
    expect(await store.queueGet('q', 'a')).toBe('new');
    expect(await store.queueDue('q', 3000, 10)).toEqual([]); // the old record (due at 100, kept until 2000) left no trace
    expect(await store.queueGet('q', 'a')).toBe('new');
    expect(await store.queueDue('q', 5000, 10)).toEqual([{ id: 'a', value: 'new' }]);
  });

  it('records due at the same moment are listed in the order they were queued', async () => {
    const store = storeAt({ at: 1000 });
    for (const id of ['a', 'b', 'c']) await store.queueAdd('q', rec(id, id, 500, 9000), 1000);
    expect((await store.queueDue('q', 1000, 2)).map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('a queue never written to: nothing to read, update or remove, and no error', async () => {
    const store = storeAt({ at: 1000 });
    await expect(store.queueGet('none', 'a')).resolves.toBeUndefined();
    await expect(store.queueUpdate('none', rec('a', 'x', 1, 2), 'token')).resolves.toBe(false);
    await expect(store.queueRemove('none', 'a', 'token')).resolves.toBeUndefined();
  });

  it('a lease holds until its end, exclusive: then another worker may claim the record', async () => {
    const clock = { at: 1000 };
    const store = storeAt(clock);
    await store.queueAdd('q', rec('a', 'v', 1000, 99_000), 1000);
    expect(await store.queueClaim('q', 'a', 't1', 500)).toBe(true);
    clock.at = 1499;
    expect(await store.queueClaim('q', 'a', 't2', 500)).toBe(false);
    expect(await store.queueUpdate('q', rec('a', 'by t2', 1000, 99_000), 't2')).toBe(false);
    expect(await store.queueGet('q', 'a')).toBe('v');
    clock.at = 1500;
    expect(await store.queueClaim('q', 'a', 't2', 500)).toBe(true);
  });

  it("remove under the holder's lease frees it; remove with another token leaves the holder's lease in place", async () => {
    const store = storeAt({ at: 1000 });
    await store.queueAdd('q', rec('a', 'v', 1000, 99_000), 1000);
    await store.queueClaim('q', 'a', 't1', 60_000);
    await store.queueRemove('q', 'a', 't1');
    await store.queueAdd('q', rec('a', 'again', 1000, 99_000), 1000);
    expect(await store.queueClaim('q', 'a', 't2', 60_000)).toBe(true); // t1's lease went with the record

    await store.queueRemove('q', 'a', 'not-t2');
    await store.queueAdd('q', rec('a', 'third', 1000, 99_000), 1000);
    expect(await store.queueClaim('q', 'a', 't3', 60_000)).toBe(false); // t2 still holds it
  });
});

describe('MemoryBindIdStore atomic operations', () => {
  const storeAt = (clock: { at: number }) => new MemoryBindIdStore({ now: () => clock.at });

  it('a key expires at its TTL, exactly: then add takes it again, get and the compare-and-set operations miss it', async () => {
    const clock = { at: 1000 };
    const store = storeAt(clock);
    expect(await store.add('k', 'first', 500)).toBe(true);
    clock.at = 1499;
    expect(await store.add('k', 'second', 500)).toBe(false);
    expect(await store.get('k')).toBe('first');
    clock.at = 1500;
    expect(await store.get('k')).toBeUndefined();
    expect(await store.setIf('k', 'first', 'x')).toBe(false);
    expect(await store.deleteIf('k', 'first')).toBe(false);
    expect(await store.add('k', 'second', 500)).toBe(true);
    expect(await store.increment('n', 500)).toBe(1);
    clock.at = 2000;
    expect(await store.increment('n', 500)).toBe(1); // a new counter: the old one expired
  });

  it('a key set without TTL never expires; setIf and deleteIf act only on the expected value', async () => {
    const clock = { at: 1000 };
    const store = storeAt(clock);
    await store.set('k', 'a');
    clock.at = Number.MAX_SAFE_INTEGER;
    expect(await store.get('k')).toBe('a');
    expect(await store.setIf('k', 'b', 'c')).toBe(false);
    expect(await store.setIf('k', 'a', 'c')).toBe(true);
    expect(await store.deleteIf('k', 'a')).toBe(false);
    expect(await store.get('k')).toBe('c');
    expect(await store.deleteIf('k', 'c')).toBe(true);
    expect(await store.get('k')).toBeUndefined();
  });

  it('increment counts from 0 over a value that is not a number, by any integer, and refuses a step that is not one', async () => {
    const store = storeAt({ at: 1000 });
    await store.set('k', 'not a number', 60_000);
    expect(await store.increment('k', 60_000)).toBe(1);
    expect(await store.increment('k', 60_000, -3)).toBe(-2);
    await expect(store.increment('k', 60_000, 0.5)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, message: expect.stringContaining('increment `by` must be an integer') });
    expect(await store.get('k')).toBe('-2');
  });
});

describe('failClosed', () => {
  it('a store failure becomes ERR_BINDID_STORE_UNAVAILABLE (503, retryable), its cause only the code, never the message', async () => {
    const failure = Object.assign(new Error('redis://user:secret@host refused'), { code: 'ECONNREFUSED' });
    const err = await failClosed(() => Promise.reject(failure)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.STORE_UNAVAILABLE, status: 503, retryable: true });
    expect((err as Error).message).toMatch(/unavailable.*try again/); // what the user is shown
    const cause = (err as Error).cause as Error & { code?: string };
    expect(cause.code).toBe('ECONNREFUSED');
    expect(cause.message).toBe('store operation failed');
    expect(JSON.stringify(err) + String(err) + cause.message).not.toContain('secret');
  });

  it("a coded error of the library (the store is full) passes as it is; a success passes its value", async () => {
    const store = new MemoryBindIdStore({ maxKeys: 1 });
    await store.set('a', 'a', 60_000);
    await expect(failClosed(() => store.set('b', 'b', 60_000))).rejects.toMatchObject({ code: ErrorCode.STORE_FULL, status: 503 });
    await expect(failClosed(() => store.get('a'))).resolves.toBe('a');
  });
});
