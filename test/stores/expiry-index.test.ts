/**
 * ExpiryIndex: the expiry-ordered purge of MemoryBindIdStore. Expired entries come out earliest
 * first and only they are visited; stale slots (rewritten or deleted keys) stay bounded.
 */
import { ExpiryIndex } from '../../src/stores/expiry-index.js';

interface E {
  expiresAt: number;
}

describe('ExpiryIndex', () => {
  it('purges the expired entries earliest first, visits none that has not expired, skips those without expiry', () => {
    const index = new ExpiryIndex<E>();
    const times = [50, 10, 40, 30, Number.POSITIVE_INFINITY, 20, 60, 70, 15];
    for (const [i, t] of times.entries()) index.add(`k${i}`, { expiresAt: t });
    expect(index.length).toBe(8);
    const seen: number[] = [];
    index.purge(40, (_key, entry) => seen.push(entry.expiresAt));
    expect(seen).toEqual([10, 15, 20, 30, 40]);
    expect(index.length).toBe(3);
    index.purge(65, (_key, entry) => seen.push(entry.expiresAt));
    expect(seen.slice(5)).toEqual([50, 60]);
  });

  it('keeps heap order over many random insertions (a property over 2,000 entries)', () => {
    const index = new ExpiryIndex<E>();
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 2_000; i++) index.add(String(i), { expiresAt: random() % 10_000 });
    const out: number[] = [];
    index.purge(Number.MAX_SAFE_INTEGER, (_k, e) => out.push(e.expiresAt));
    expect(out).toHaveLength(2_000);
    expect(out).toEqual([...out].sort((a, b) => a - b));
  });

  it('compact rebuilds from the live entries once stale slots outnumber them: a key rewritten 10,000 times costs a bounded index', () => {
    const index = new ExpiryIndex<E>();
    const live = new Map<string, E>();
    for (let i = 0; i < 10_000; i++) {
      const entry = { expiresAt: 1_000 + i };
      live.set('hot', entry);
      index.add('hot', entry);
      index.compact(live, 64);
      expect(index.length).toBeLessThanOrEqual(2 + 64 + 1);
    }
    const purged: string[] = [];
    index.purge(Number.MAX_SAFE_INTEGER, (key, entry) => {
      if (live.get(key) === entry) purged.push(key);
    });
    expect(purged).toEqual(['hot']);
  });
});
