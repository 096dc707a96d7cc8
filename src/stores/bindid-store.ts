/** `BindIdStore`, the shared state behind every guarantee across requests and instances; `MemoryBindIdStore`, the default. */
import { BindIdError, BindIdStateError, ErrorCode, invalidArgument, safeCause } from '../errors.js';
import { option, type OptionsOf, readSchema, schemaReader } from '../internal/option-schema.js';
import { ExpiryIndex } from './expiry-index.js';
import { type BindIdQueueStore, type Held, PURGE_BATCH, type Queue, type QueueEntry, type QueueRecord, SortedIndex } from './queue-store.js';

/** Shared state of express-bindid. Every method may reject; callers fail closed when it does. */
export interface BindIdStore {
  /** Create `key` only if it does not exist (atomically), expiring after `ttlMs`. True if created. */
  add(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** The value of `key`, or `undefined` (missing or expired). */
  get(key: string): Promise<string | undefined>;
  /** Set `key`, expiring after `ttlMs` (or never when omitted). */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Remove `key` (no error when missing). */
  delete(key: string): Promise<void>;
  /**
   * Add `by` (default 1; -1 gives back a reserved attempt) to the counter `key`, created at 0 with `ttlMs` if missing (later
   * increments keep its expiry); resolves the new value. Atomic across every instance: attempt limits decide on it alone.
   */
  increment(key: string, ttlMs: number, by?: number): Promise<number>;
  /** Remove `key` only if it holds `expected` (atomically: compare-and-delete). True if removed. */
  deleteIf(key: string, expected: string): Promise<boolean>;
  /** Replace `key`'s value only if it holds `expected` (atomically: compare-and-set), expiring after `ttlMs` (or never). True if replaced. */
  setIf(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean>;
  /** `false` for an in-process store: the fail-open outbox then refuses to start in production. Omitted means durable. */
  readonly durable?: boolean;
}

interface Entry {
  value: string;
  expiresAt: number;
}

const MEMORY_STORE_OPTIONS = {
  /** Most unexpired keys kept (expired ones are purged first); beyond it, adding a key fails closed with `ERR_BINDID_STORE_FULL` (503). Default 100,000. */
  maxKeys: option.integer(100_000, 1, Number.MAX_SAFE_INTEGER),
  /** Clock in ms since 1970. Default `Date.now`. */
  now: option.fn<() => number>('`Date.now`'),
};

/** Options of {@link MemoryBindIdStore}. */
export interface MemoryBindIdStoreOptions extends OptionsOf<typeof MEMORY_STORE_OPTIONS> {}

/**
 * The default store, for one process (several instances: `RedisBindIdStore`): a bounded in-process map, and unbounded
 * queues (dropping a queued report would lose it); single-threaded JavaScript makes every operation atomic. It never
 * drops an unexpired key to make room (a lost attempt counter, used state or link would undo a limit): once `maxKeys`
 * unexpired keys remain, a write that would add one rejects with `ERR_BINDID_STORE_FULL`.
 */
export class MemoryBindIdStore implements BindIdStore, BindIdQueueStore {
  readonly durable = false;
  readonly #entries = new Map<string, Entry>();
  readonly #expiries = new ExpiryIndex<Entry>();
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #queues = new Map<string, Queue>();
  #seq = 0;

  constructor(options: MemoryBindIdStoreOptions = {}) {
    const settings = readSchema(schemaReader('MemoryBindIdStore', options, MEMORY_STORE_OPTIONS), MEMORY_STORE_OPTIONS);
    this.#maxKeys = settings.maxKeys;
    this.#now = settings.now ?? Date.now;
  }

  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#put(key, value, ttlMs);
    return true;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#put(key, value, ttlMs);
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<number> {
    if (!Number.isSafeInteger(by)) throw invalidArgument('MemoryBindIdStore: increment `by` must be an integer');
    const entry = this.#live(key);
    const next = (entry ? Number(entry.value) || 0 : 0) + by;
    if (entry) entry.value = String(next);
    else this.#put(key, String(next), ttlMs);
    return next;
  }

  async deleteIf(key: string, expected: string): Promise<boolean> {
    if (this.#live(key)?.value !== expected) return false;
    this.#entries.delete(key);
    return true;
  }

  async setIf(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    if (this.#live(key)?.value !== expected) return false;
    this.#put(key, value, ttlMs);
    return true;
  }

  /** Number of live keys (for tests and monitoring). */
  get size(): number {
    this.#purge();
    return this.#entries.size;
  }

  async queueAdd(queue: string, record: QueueRecord, now: number): Promise<boolean> {
    const q = this.#queue(queue);
    const held = q.records.get(record.id);
    if (held !== undefined && held.keep[0] > now) return false;
    // Stryker disable next-line ConditionalExpression: equivalent when true, #dropRecord does nothing for an id it does not hold
    if (held !== undefined) this.#dropRecord(q, record.id);
    this.#putRecord(q, record);
    return true;
  }

  async queueDue(queue: string, now: number, limit: number): Promise<QueueEntry[]> {
    const q = this.#queues.get(queue);
    if (q === undefined) return [];
    for (const id of q.keep.upTo(now, PURGE_BATCH)) this.#dropRecord(q, id);
    return q.due.upTo(now, limit).map((id) => ({ id, value: (q.records.get(id) as Held).value }));
  }

  async queueGet(queue: string, id: string): Promise<string | undefined> {
    return this.#queues.get(queue)?.records.get(id)?.value;
  }

  async queueClaim(queue: string, id: string, token: string, leaseMs: number): Promise<boolean> {
    const q = this.#queue(queue);
    if (this.#holder(q, id) !== undefined) return false;
    q.leases.set(id, { token, until: this.#now() + leaseMs });
    return true;
  }

  async queueUpdate(queue: string, record: QueueRecord, token: string): Promise<boolean> {
    const q = this.#queues.get(queue);
    if (q === undefined || this.#holder(q, record.id) !== token) return false;
    q.leases.delete(record.id);
    if (!q.records.has(record.id)) return false;
    this.#dropRecord(q, record.id);
    this.#putRecord(q, record);
    return true;
  }

  async queueRemove(queue: string, id: string, token?: string): Promise<void> {
    const q = this.#queues.get(queue);
    if (q === undefined) return;
    this.#dropRecord(q, id);
    // Stryker disable next-line ConditionalExpression: equivalent when true, without a token the holder check holds only when no live lease is held, and then there is none to delete
    if (token !== undefined && this.#holder(q, id) === token) q.leases.delete(id);
  }

  #holder(q: Queue, id: string): string | undefined {
    const lease = q.leases.get(id);
    if (lease === undefined) return undefined;
    if (lease.until > this.#now()) return lease.token;
    q.leases.delete(id);
    return undefined;
  }

  #queue(name: string): Queue {
    let q = this.#queues.get(name);
    if (q === undefined) {
      q = { records: new Map(), due: new SortedIndex(), keep: new SortedIndex(), leases: new Map() };
      this.#queues.set(name, q);
    }
    return q;
  }

  #putRecord(q: Queue, record: QueueRecord): void {
    this.#seq += 1;
    const held: Held = { value: record.value, due: [record.dueAt, this.#seq, record.id], keep: [record.keepUntil, this.#seq, record.id] };
    q.records.set(record.id, held);
    q.due.insert(held.due);
    q.keep.insert(held.keep);
  }

  #dropRecord(q: Queue, id: string): void {
    const held = q.records.get(id);
    if (held === undefined) return;
    q.records.delete(id);
    q.due.remove(held.due);
    q.keep.remove(held.keep);
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #put(key: string, value: string, ttlMs: number | undefined): void {
    this.#purge();
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxKeys) throw storeFull(this.#maxKeys);
    // Stryker disable next-line ConditionalExpression: equivalent, now + undefined is NaN, which no clock reading reaches (NaN <= now is false): the key never expires either
    const entry: Entry = { value, expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#now() + ttlMs };
    this.#entries.set(key, entry);
    this.#expiries.add(key, entry);
  }

  #purge(): void {
    this.#expiries.purge(this.#now(), (key, entry) => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    this.#expiries.compact(this.#entries, 64);
  }
}

function storeFull(maxKeys: number): BindIdStateError {
  return new BindIdStateError(
    ErrorCode.STORE_FULL,
    `MemoryBindIdStore is full: it holds maxKeys (${maxKeys}) unexpired keys and never drops one to make room. ` +
      'Raise it (new MemoryBindIdStore({ maxKeys })) or use RedisBindIdStore for a larger or shared store.',
    { status: 503, retryable: true },
  );
}

/** Run a shared-store step; a store failure becomes `ERR_BINDID_STORE_UNAVAILABLE` (503): fail closed. */
export async function failClosed<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof BindIdError) throw err;
    throw new BindIdStateError(ErrorCode.STORE_UNAVAILABLE, 'Sign-in is unavailable right now. Please try again.', {
      status: 503,
      retryable: true,
      cause: safeCause(err, 'store operation failed'),
    });
  }
}
