/**
 * MemoryBindIdStore's bounds: a flood of keys (attempt counters for made-up usernames, say) cannot
 * grow the process without limit, and expired entries do not count.
 */
import { MemoryBindIdStore } from '../../src/index.js';

describe('MemoryBindIdStore bounds', () => {
  it('keeps at most maxKeys keys, dropping the oldest written first', async () => {
    const store = new MemoryBindIdStore({ maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) await store.set(key, key, 60_000);
    expect(store.size).toBe(3);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('e')).toBe('e');
  });

  it('a rewritten key counts as the newest, so it survives the next eviction', async () => {
    const store = new MemoryBindIdStore({ maxKeys: 2 });
    await store.set('a', '1', 60_000);
    await store.set('b', '1', 60_000);
    await store.set('a', '2', 60_000);
    await store.set('c', '1', 60_000);
    expect(await store.get('a')).toBe('2');
    expect(await store.get('b')).toBeUndefined();
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
});
