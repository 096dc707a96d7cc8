/**
 * `StoreOutbox`: an {@link Outbox} in a {@link BindIdStore} (`RedisBindIdStore` for several
 * instances, `MemoryBindIdStore` for one process).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import type { BindIdStore } from '../stores/bindid-store.js';
// The item checks both outboxes share (the same import list in store-outbox.ts and session-store-outbox.ts).
import {
  checkId,
  checkLease,
  checkLeaseToken,
  checkLimit,
  checkOutboxItem,
  DEFAULT_RETAIN_EXPIRED_MS,
  type Outbox,
  type OutboxItem,
  type OutboxRetentionOptions,
  pickDue,
  readItem,
} from './outbox.js';

/** Options of {@link StoreOutbox}. */
export interface StoreOutboxOptions extends OutboxRetentionOptions {
  /** Prefix of the outbox's keys in the store. Default `outbox:`. */
  keyPrefix?: string;
}

const KNOWN_STORE: KnownKeys<StoreOutboxOptions> = { keyPrefix: true, retainExpiredMs: true, now: true };

/**
 * An {@link Outbox} in a {@link BindIdStore}: one key per item (`<keyPrefix>item:<id>`, expiring
 * `retainExpiredMs` after the item), one lease key per claimed item (`<keyPrefix>lease:<id>`,
 * holding a random token per claim). Dedupe and claims are the store's atomic `add`; a lease is
 * released with `deleteIf(leaseKey, token)` and an item rescheduled with `setIf` on the value read
 * under the lease, so only the lease's owner releases it or changes the item, and a removed item is
 * never written back. On `RedisBindIdStore` all of it holds across instances; on
 * `MemoryBindIdStore` within one process.
 */
export class StoreOutbox implements Outbox {
  readonly #store: BindIdStore;
  readonly #prefix: string;
  readonly #retainMs: number;
  readonly #now: () => number;

  constructor(store: BindIdStore, options?: StoreOutboxOptions) {
    const o = new OptionReader('StoreOutbox', options, KNOWN_STORE);
    const methods = ['add', 'get', 'set', 'delete', 'keys', 'deleteIf', 'setIf'] as const;
    if (store === null || typeof store !== 'object' || methods.some((m) => typeof store[m] !== 'function')) {
      throw o.error('store', 'must be a BindIdStore (MemoryBindIdStore, RedisBindIdStore or your own)');
    }
    this.#store = store;
    this.#prefix = o.string('keyPrefix', 'outbox:');
    this.#retainMs = o.integer('retainExpiredMs', DEFAULT_RETAIN_EXPIRED_MS, 0, 7 * 86_400_000);
    this.#now = o.fn<() => number>('now') ?? Date.now;
  }

  async enqueue(item: OutboxItem): Promise<boolean> {
    const checked = checkOutboxItem(item);
    return this.#store.add(this.#itemKey(checked.id), JSON.stringify(checked), this.#ttl(checked));
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    checkLimit(limit);
    const prefix = `${this.#prefix}item:`;
    const keys = await this.#store.keys(prefix);
    const items: OutboxItem[] = [];
    for (let i = 0; i < keys.length; i += 50) {
      const values = await Promise.all(keys.slice(i, i + 50).map((key) => this.#store.get(key)));
      values.forEach((value, j) => {
        if (value === undefined) return; // removed or expired since the listing
        const item = readItem(value, (keys[i + j] as string).slice(prefix.length, prefix.length + 12));
        if (item) items.push(item);
      });
    }
    return pickDue(items, now, limit);
  }

  async claim(id: string, leaseMs: number): Promise<string | false> {
    checkId(id);
    checkLease(leaseMs);
    const lease = randomUUID();
    return (await this.#store.add(this.#leaseKey(id), lease, leaseMs)) ? lease : false;
  }

  async get(id: string): Promise<OutboxItem | undefined> {
    checkId(id);
    const value = await this.#store.get(this.#itemKey(id));
    return value === undefined ? undefined : readItem(value, id.slice(0, 12));
  }

  async update(item: OutboxItem, lease: string): Promise<boolean> {
    const checked = checkOutboxItem(item);
    checkLeaseToken(lease);
    const key = this.#itemKey(checked.id);
    const leaseKey = this.#leaseKey(checked.id);
    // The item as it is now, then the lease: if the lease is still ours, nobody else has held the item
    // since before that read, so a compare-and-set on it fails exactly when someone changed or removed it.
    const current = await this.#store.get(key);
    if ((await this.#store.get(leaseKey)) !== lease) return false; // expired: whoever holds the item now decides
    const written = current !== undefined && (await this.#store.setIf(key, current, JSON.stringify(checked), this.#ttl(checked)));
    await this.#store.deleteIf(leaseKey, lease);
    return written;
  }

  async remove(id: string, lease?: string): Promise<void> {
    checkId(id);
    if (lease !== undefined) checkLeaseToken(lease);
    // The item first: a lease released before it would let another instance claim a delivered item.
    await this.#store.delete(this.#itemKey(id));
    // Only our own lease: a lease that ran out may already be another worker's claim.
    if (lease !== undefined) await this.#store.deleteIf(this.#leaseKey(id), lease);
  }

  #itemKey(id: string): string {
    return `${this.#prefix}item:${id}`;
  }

  #leaseKey(id: string): string {
    return `${this.#prefix}lease:${id}`;
  }

  /** The store TTL of an item: until its expiry plus the retention, at least one second. */
  #ttl(item: OutboxItem): number {
    return Math.max(1000, item.expiresAt + this.#retainMs - this.#now());
  }
}
