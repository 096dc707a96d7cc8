/**
 * `KeyListingStore`: a `MemoryBindIdStore` that can also list its live keys by prefix, so that a test
 * can see what the library wrote (a self-heal record, attempt counters, link entries) or that it left
 * nothing behind. The library itself never lists a store, so `BindIdStore` has no such method.
 *
 * @module
 */
import { MemoryBindIdStore } from '../../src/index.js';

/** A `MemoryBindIdStore` that remembers every key written through it. */
export class KeyListingStore extends MemoryBindIdStore {
  readonly #written = new Set<string>();

  override add(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.#written.add(key);
    return super.add(key, value, ttlMs);
  }

  override set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#written.add(key);
    return super.set(key, value, ttlMs);
  }

  override increment(key: string, ttlMs: number, by?: number): Promise<number> {
    this.#written.add(key);
    return super.increment(key, ttlMs, by);
  }

  override setIf(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    this.#written.add(key);
    return super.setIf(key, expected, value, ttlMs);
  }

  /** Every live key starting with `prefix` (missing, deleted and expired ones left out), in the order first written. */
  async keys(prefix: string): Promise<string[]> {
    const live: string[] = [];
    for (const key of this.#written) if (key.startsWith(prefix) && (await this.get(key)) !== undefined) live.push(key);
    return live;
  }
}
