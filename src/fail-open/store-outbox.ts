/** `StoreOutbox`: an {@link Outbox} in a {@link BindIdStore}. @module */
import { randomUUID } from 'node:crypto';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, readSchema, schemaReader } from '../internal/option-schema.js';
import type { BindIdStore } from '../stores/bindid-store.js';
import { type BindIdQueueStore, isQueueStore, QUEUE_METHODS, type QueueRecord } from '../stores/queue-store.js';
import { checkOutboxItem, type Outbox, type OutboxItem, pickDue } from './outbox.js';

const STORE_OUTBOX_OPTIONS = {
  /** Name of the outbox's queue in the store (on Redis, the hash tag of its keys). Default `outbox:`. */
  // Stryker disable next-line StringLiteral: the default as written in the option reference, text no one relies on
  keyPrefix: option.custom<string, string>("`'outbox:'`", readQueueName),
  /** How long an item is kept after its `expiresAt`, in ms, so that a worker still sees it and fires the dead-letter event. Default 3,600,000 (1 hour). */
  retainExpiredMs: option.integer(3_600_000, 0, 7 * 86_400_000),
  /** Clock for expiry and leases, in ms since 1970. Default `Date.now`. */
  // Stryker disable next-line StringLiteral: the default as written in the option reference, text no one relies on
  now: option.fn<() => number>('`Date.now`'),
};

/** Options of {@link StoreOutbox}. */
export interface StoreOutboxOptions extends OptionsOf<typeof STORE_OUTBOX_OPTIONS> {}

function readQueueName(o: OptionReader, key: string): string {
  const name = o.string(key, 'outbox:');
  if (/[{}]/.test(name)) throw o.error(key, 'must not contain { or } (it becomes a Redis hash tag)');
  return name;
}

/**
 * An {@link Outbox} in a {@link BindIdStore} with the queue operations ({@link BindIdQueueStore}: `MemoryBindIdStore`, `RedisBindIdStore`):
 * one queue (named `keyPrefix`) indexed by when each item is next due (`nextAttemptAt`, or `expiresAt` when earlier, so an expired item
 * is dead-lettered), so `due()` costs what is due, not what is queued. Dedupe is the queue's atomic add; a claim is a lease with a random
 * token; `update` and `remove` act only under the live lease, in one step. On `RedisBindIdStore` this holds across instances and on
 * Redis Cluster; on `MemoryBindIdStore` within one process, and nothing survives a restart.
 */
export class StoreOutbox implements Outbox {
  readonly #store: BindIdQueueStore;
  readonly #queue: string;
  readonly #retainMs: number;
  readonly #now: () => number;
  /** Whether queued reports survive a restart: false on an in-process store (`MemoryBindIdStore`). */
  readonly durable: boolean;

  constructor(store: BindIdStore, options?: StoreOutboxOptions) {
    const o = schemaReader('StoreOutbox', options, STORE_OUTBOX_OPTIONS);
    if (!isQueueStore(store) || typeof store.get !== 'function') {
      const name = (store as object | null | undefined)?.constructor?.name || 'this store';
      throw o.error(
        'store',
        `must be a BindIdStore with the queue operations (${QUEUE_METHODS.join(', ')}), and ${name} has not: ` +
          'use RedisBindIdStore or MemoryBindIdStore, or implement them (see BindIdQueueStore)',
      );
    }
    const settings = readSchema(o, STORE_OUTBOX_OPTIONS);
    this.#store = store;
    this.durable = store.durable !== false;
    this.#queue = settings.keyPrefix;
    this.#retainMs = settings.retainExpiredMs;
    this.#now = settings.now ?? Date.now;
  }

  /**
   * Queue `item`, checked in full first (`ERR_BINDID_INVALID_ARGUMENT`, never repeating the token) and stored with only the fields of an
   * {@link OutboxItem}: items enter only here, so what the other methods read back is always one the library checked.
   */
  async enqueue(item: OutboxItem): Promise<boolean> {
    const checked = checkOutboxItem(item);
    return this.#store.queueAdd(this.#queue, this.#record(checked), this.#now());
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    const entries = await this.#store.queueDue(this.#queue, now, limit);
    const items = entries.map(({ value }) => JSON.parse(value) as OutboxItem);
    return pickDue(items, now, limit);
  }

  async claim(id: string, leaseMs: number): Promise<string | false> {
    const lease = randomUUID();
    return (await this.#store.queueClaim(this.#queue, id, lease, leaseMs)) ? lease : false;
  }

  async get(id: string): Promise<OutboxItem | undefined> {
    const value = await this.#store.queueGet(this.#queue, id);
    return value === undefined ? undefined : (JSON.parse(value) as OutboxItem);
  }

  /** Not checked again: the worker read the item back under `lease`. */
  async update(item: OutboxItem, lease: string): Promise<boolean> {
    return this.#store.queueUpdate(this.#queue, this.#record(item), lease);
  }

  async remove(id: string, lease?: string): Promise<void> {
    await this.#store.queueRemove(this.#queue, id, lease);
  }

  #record(item: OutboxItem): QueueRecord {
    return {
      id: item.id,
      value: JSON.stringify(item),
      dueAt: Math.min(item.nextAttemptAt, item.expiresAt),
      keepUntil: Math.max(item.expiresAt + this.#retainMs, this.#now() + 1000),
    };
  }
}
