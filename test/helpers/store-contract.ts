/**
 * The contract every `BindIdStore` must keep, as one Jest suite to run against each implementation
 * (MemoryBindIdStore, RedisBindIdStore on a model of Redis, RedisBindIdStore on a real Redis):
 *
 * ```ts
 * describeBindIdStoreContract('MemoryBindIdStore', async () => {
 *   let clock = 0;
 *   return { store: new MemoryBindIdStore({ now: () => clock }), pass: async (ms) => void (clock += ms) };
 * });
 * ```
 *
 * @module
 */
import type { BindIdStore } from '../../src/stores/bindid-store.js';

/** A store under test and how to let its time pass. */
export interface StoreUnderTest {
  store: BindIdStore;
  /** Let `ms` pass as the store sees time (advance a fake clock, or really wait). */
  pass(ms: number): Promise<void>;
  /** Called after each test. */
  close?(): Promise<void>;
}

/** TTLs used by the contract, in ms: short enough to wait for on a real server. */
const TTL = 200;

/** Define the contract tests (a `describe` block) for the store made by `open` (a fresh, empty store per test). */
export function describeBindIdStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name}: the BindIdStore contract`, () => {
    let s: StoreUnderTest;
    let store: BindIdStore;
    beforeEach(async () => {
      s = await open();
      store = s.store;
    });
    afterEach(async () => {
      await s.close?.();
    });

    it('get of a missing key is undefined; set then get gives the value; set replaces it', async () => {
      expect(await store.get('missing')).toBeUndefined();
      await store.set('k', 'v1');
      expect(await store.get('k')).toBe('v1');
      await store.set('k', 'v2', 60_000);
      expect(await store.get('k')).toBe('v2');
    });

    it('keeps any Unicode text and long values as they are', async () => {
      const value = `{"name":"Zoë \u{1F600} 名前","nul":"a\u0000b","pad":"${'x'.repeat(64 * 1024)}"}`;
      await store.set('ключ:\u{1F511}', value);
      expect(await store.get('ключ:\u{1F511}')).toBe(value);
    });

    it('a set without ttl does not expire; a set with ttl does', async () => {
      await store.set('forever', 'a');
      await store.set('brief', 'b', TTL);
      await s.pass(TTL + 100);
      expect(await store.get('forever')).toBe('a');
      expect(await store.get('brief')).toBeUndefined();
    });

    it('add creates a missing key only, and again once it has expired', async () => {
      expect(await store.add('once', 'first', TTL)).toBe(true);
      expect(await store.add('once', 'second', TTL)).toBe(false);
      expect(await store.get('once')).toBe('first');
      await s.pass(TTL + 100);
      expect(await store.get('once')).toBeUndefined();
      expect(await store.add('once', 'third', 60_000)).toBe(true);
      expect(await store.get('once')).toBe('third');
    });

    it('delete removes a key; deleting a missing key is not an error', async () => {
      await store.set('gone', 'x');
      await store.delete('gone');
      expect(await store.get('gone')).toBeUndefined();
      await expect(store.delete('never-there')).resolves.toBeUndefined();
      expect(await store.add('gone', 'y', 60_000)).toBe(true);
    });

    it('increment counts from 1 and expires ttl after the counter was created, not after the last increment', async () => {
      expect(await store.increment('count', TTL)).toBe(1);
      expect(await store.increment('count', TTL)).toBe(2);
      await s.pass(TTL / 2);
      expect(await store.increment('count', TTL)).toBe(3); // does not push the expiry back
      await s.pass(TTL / 2 + 100);
      expect(await store.get('count')).toBeUndefined();
      expect(await store.increment('count', TTL)).toBe(1);
      expect(await store.get('count')).toBe('1');
    });

    it('N130 increment by: adds any integer (-1 gives a slot back), creating the counter with ttl, expiry never moved', async () => {
      expect(await store.increment('slots', TTL, 2)).toBe(2);
      expect(await store.increment('slots', TTL, -1)).toBe(1);
      expect(await store.increment('slots', TTL)).toBe(2);
      await s.pass(TTL / 2);
      expect(await store.increment('slots', TTL, -1)).toBe(1); // does not push the expiry back
      await s.pass(TTL / 2 + 100);
      expect(await store.get('slots')).toBeUndefined();
      expect(await store.increment('slots', TTL, -1)).toBe(-1);
    });

    it('N130 increment by is atomic: 100 concurrent +1 and 50 concurrent -1 end at 50, every value seen once per sign', async () => {
      const ups = Array.from({ length: 100 }, () => store.increment('mixed', 60_000));
      const downs = Array.from({ length: 50 }, () => store.increment('mixed', 60_000, -1));
      await Promise.all([...ups, ...downs]);
      expect(await store.get('mixed')).toBe('50');
    });

    it('add is atomic: of 100 concurrent adds of one key exactly one wins', async () => {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.add('race', `v${i}`, 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.get('race')).toBe(`v${results.indexOf(true)}`);
    });

    it('increment is atomic: 100 concurrent increments give 1 to 100, each once, and keep the ttl', async () => {
      const values = await Promise.all(Array.from({ length: 100 }, () => store.increment('hits', TTL)));
      expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      await s.pass(TTL + 100);
      expect(await store.get('hits')).toBeUndefined();
    });

    it('deleteIf removes a key only while it holds the expected value', async () => {
      await store.set('lease', 'mine', 60_000);
      expect(await store.deleteIf('lease', 'theirs')).toBe(false);
      expect(await store.get('lease')).toBe('mine');
      expect(await store.deleteIf('lease', 'mine')).toBe(true);
      expect(await store.get('lease')).toBeUndefined();
      expect(await store.deleteIf('lease', 'mine')).toBe(false);
      await store.add('brief', 'v', TTL);
      await s.pass(TTL + 100);
      expect(await store.deleteIf('brief', 'v')).toBe(false); // expired: nothing to remove
      expect(await store.add('brief', 'w', 60_000)).toBe(true);
    });

    it('setIf replaces a value only while it holds the expected one, with the new ttl (or none)', async () => {
      expect(await store.setIf('missing', 'x', 'y', 60_000)).toBe(false);
      expect(await store.get('missing')).toBeUndefined(); // never creates
      await store.set('item', 'v1', TTL);
      expect(await store.setIf('item', 'other', 'v2', 60_000)).toBe(false);
      expect(await store.get('item')).toBe('v1');
      expect(await store.setIf('item', 'v1', 'v2', 60_000)).toBe(true);
      expect(await store.setIf('item', 'v2', 'v3')).toBe(true);
      await s.pass(TTL + 100);
      expect(await store.get('item')).toBe('v3'); // no ttl now
      await store.set('short', 'a', 60_000);
      expect(await store.setIf('short', 'a', 'b', TTL)).toBe(true);
      await s.pass(TTL + 100);
      expect(await store.get('short')).toBeUndefined();
    });

    it('deleteIf and setIf are atomic: of 100 concurrent calls with the same expected value exactly one wins', async () => {
      await store.set('cas', 'v0', 60_000);
      const sets = await Promise.all(Array.from({ length: 100 }, (_, i) => store.setIf('cas', 'v0', `v${i + 1}`, 60_000)));
      expect(sets.filter(Boolean)).toHaveLength(1);
      const winner = `v${sets.indexOf(true) + 1}`;
      expect(await store.get('cas')).toBe(winner);
      const deletes = await Promise.all(Array.from({ length: 100 }, () => store.deleteIf('cas', winner)));
      expect(deletes.filter(Boolean)).toHaveLength(1);
      expect(await store.get('cas')).toBeUndefined();
    });
  });
}
