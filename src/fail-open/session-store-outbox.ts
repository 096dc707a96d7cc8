/**
 * `SessionStoreOutbox`: an {@link Outbox} in the app's express-session store, for one instance.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Store } from 'express-session';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
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

/** Options of {@link SessionStoreOutbox}. */
export interface SessionStoreOutboxOptions extends OutboxRetentionOptions {
  /** Longest wait for one session-store call, in ms, before it counts as failed. Default 5000. */
  timeoutMs?: number;
}

const KNOWN_SESSION: KnownKeys<SessionStoreOutboxOptions> = { retainExpiredMs: true, timeoutMs: true, now: true };

/** Session id prefix of the outbox's records in the session store. */
export const SESSION_OUTBOX_PREFIX = 'bindid-outbox.';

/** Session id of the outbox's index record: item id → due time (ms). */
export const SESSION_OUTBOX_INDEX = `${SESSION_OUTBOX_PREFIX}index`;

/** How long the index record is kept after its last change: 30 days (items expire on their own before). */
const INDEX_MAX_AGE_MS = 30 * 86_400_000;

type Cookie = { originalMaxAge: number; expires: string; httpOnly: true; path: '/' };

/** What an outbox record looks like in the session store. */
interface OutboxRecord {
  cookie: Cookie;
  bindidOutbox: OutboxItem;
}

/** The index record: each queued item's id and due time. */
interface IndexRecord {
  cookie: Cookie;
  bindidOutboxIndex: Record<string, number>;
}

type Callback = (err?: unknown, value?: unknown) => void;

/**
 * An {@link Outbox} in the app's express-session store, for an app that runs one instance: items are
 * session-shaped records with the id `bindid-outbox.<id>` whose `cookie` expires `retainExpiredMs`
 * after the item (the store expires them by itself), and one index record (`bindid-outbox.index`:
 * id → due time) that `due()` reads before reading only the due items. It never lists the store's
 * sessions (no `all()`).
 *
 * One instance only: the session store has no atomic operations, so the index is changed under a
 * lock of this process, claims are leases of this process, and dedupe is atomic in this process.
 * With several instances use `StoreOutbox` on `RedisBindIdStore` (the default outbox on a
 * `RedisBindIdStore` `store`). Each claim has its own token, and a lease is released (and an item
 * rescheduled) only under the token that holds it now. Durable as far as the session store is:
 * express-session's `MemoryStore` is not ({@link durable} false).
 * The records hold access tokens, like sessions hold credentials: the session store must be
 * server-side (not cookie-session). Their ids cannot be loaded as a browser's session, because
 * express-session only loads ids from cookies signed with the app's secret.
 */
export class SessionStoreOutbox implements Outbox {
  /** False on express-session's `MemoryStore` (lost on restart). */
  readonly durable: boolean;
  readonly #store: Store;
  readonly #retainMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  /** Leases of this process: item id → the claim's token and its end (ms). */
  readonly #leases = new Map<string, { token: string; until: number }>();
  /** The tail of the chain of index changes (one at a time in this process). */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(store: Store, options?: SessionStoreOutboxOptions) {
    const o = new OptionReader('SessionStoreOutbox', options, KNOWN_SESSION);
    const s = store as Partial<Record<'get' | 'set' | 'destroy', unknown>> | null;
    if (s === null || typeof s !== 'object' || ['get', 'set', 'destroy'].some((m) => typeof s[m as 'get'] !== 'function')) {
      throw o.error('store', 'must be an express-session store (with get, set and destroy)');
    }
    this.#store = store;
    this.durable = (store as object).constructor?.name !== 'MemoryStore';
    this.#retainMs = o.integer('retainExpiredMs', DEFAULT_RETAIN_EXPIRED_MS, 0, 7 * 86_400_000);
    this.#timeoutMs = o.integer('timeoutMs', 5000, 1, 120_000);
    this.#now = o.fn<() => number>('now') ?? Date.now;
  }

  async enqueue(item: OutboxItem): Promise<boolean> {
    const checked = checkOutboxItem(item);
    return this.#locked(async () => {
      if ((await this.get(checked.id)) !== undefined) return false;
      // The index first: an index entry without its item is dropped by due(); an item without one would never be sent.
      await this.#changeIndex((index) => {
        index[checked.id] = dueTime(checked);
      });
      await this.#write(checked);
      return true;
    });
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    checkLimit(limit);
    const index = await this.#readIndex();
    const ids = Object.entries(index)
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([id]) => id);
    const items: OutboxItem[] = [];
    const gone: string[] = [];
    for (const id of ids) {
      const item = await this.get(id).catch(() => undefined);
      if (item) items.push(item);
      else gone.push(id);
    }
    if (gone.length > 0) {
      await this.#locked(() =>
        this.#changeIndex((index) => {
          for (const id of gone) delete index[id];
        }),
      );
    }
    return pickDue(items, now, limit);
  }

  async claim(id: string, leaseMs: number): Promise<string | false> {
    checkId(id);
    checkLease(leaseMs);
    const now = this.#now();
    for (const [leased, { until }] of this.#leases) if (until <= now) this.#leases.delete(leased);
    if (this.#leases.has(id)) return false;
    const token = randomUUID();
    this.#leases.set(id, { token, until: now + leaseMs });
    return token;
  }

  async get(id: string): Promise<OutboxItem | undefined> {
    checkId(id);
    const record = await this.#call<Partial<OutboxRecord> | null | undefined>('get', (cb) =>
      this.#store.get(SESSION_OUTBOX_PREFIX + id, cb),
    );
    const value = record?.bindidOutbox;
    return value === undefined ? undefined : readItem(value, id.slice(0, 12));
  }

  async update(item: OutboxItem, lease: string): Promise<boolean> {
    const checked = checkOutboxItem(item);
    checkLeaseToken(lease);
    if (!this.#holds(checked.id, lease)) return false; // expired: whoever holds the item now decides
    try {
      return await this.#locked(async () => {
        // Never bring back an item removed since, and check the lease again right before writing.
        if ((await this.get(checked.id)) === undefined || !this.#holds(checked.id, lease)) return false;
        await this.#write(checked);
        await this.#changeIndex((index) => {
          index[checked.id] = dueTime(checked);
        });
        return true;
      });
    } finally {
      this.#release(checked.id, lease);
    }
  }

  async remove(id: string, lease?: string): Promise<void> {
    checkId(id);
    if (lease !== undefined) checkLeaseToken(lease);
    await this.#locked(async () => {
      await this.#call('destroy', (cb) => this.#store.destroy(SESSION_OUTBOX_PREFIX + id, cb));
      await this.#changeIndex((index) => {
        delete index[id];
      });
    });
    if (lease !== undefined) this.#release(id, lease);
  }

  /** Run `step` after every index change queued before it (this process's lock). */
  #locked<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(step, step);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  async #readIndex(): Promise<Record<string, number>> {
    const record = await this.#call<Partial<IndexRecord> | null | undefined>('get', (cb) => this.#store.get(SESSION_OUTBOX_INDEX, cb));
    const index: Record<string, number> = Object.create(null);
    const raw = record?.bindidOutboxIndex;
    if (raw === null || typeof raw !== 'object') return index;
    for (const [id, at] of Object.entries(raw)) if (/^[0-9a-f]{64}$/.test(id) && Number.isFinite(at)) index[id] = at;
    return index;
  }

  /** Read, change and write the index (call under {@link #locked}). */
  async #changeIndex(change: (index: Record<string, number>) => void): Promise<void> {
    const index = await this.#readIndex();
    change(index);
    const record: IndexRecord = { cookie: this.#cookie(INDEX_MAX_AGE_MS), bindidOutboxIndex: { ...index } };
    await this.#call('set', (cb) => this.#store.set(SESSION_OUTBOX_INDEX, record as unknown as Parameters<Store['set']>[1], cb));
  }

  #cookie(maxAge: number): Cookie {
    return { originalMaxAge: maxAge, expires: new Date(this.#now() + maxAge).toISOString(), httpOnly: true, path: '/' };
  }

  /** Whether `lease` is the live claim on item `id`. */
  #holds(id: string, lease: string): boolean {
    const held = this.#leases.get(id);
    return held !== undefined && held.token === lease && held.until > this.#now();
  }

  /** Release the claim on item `id` if it is `lease` (never another worker's). */
  #release(id: string, lease: string): void {
    if (this.#leases.get(id)?.token === lease) this.#leases.delete(id);
  }

  #write(item: OutboxItem): Promise<unknown> {
    const maxAge = Math.max(1000, item.expiresAt + this.#retainMs - this.#now());
    const record: OutboxRecord = { cookie: this.#cookie(maxAge), bindidOutbox: item };
    return this.#call('set', (cb) =>
      this.#store.set(SESSION_OUTBOX_PREFIX + item.id, record as unknown as Parameters<Store['set']>[1], cb),
    );
  }

  /** Call a callback-style store method; reject on its error, a synchronous throw or no answer in time. */
  #call<T>(what: string, fn: (cb: Callback) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        const err = new Error(`SessionStoreOutbox: the session store did not answer ${what}() within ${this.#timeoutMs} ms`);
        (err as Error & { code?: string }).code = 'ETIMEDOUT';
        reject(err);
      }, this.#timeoutMs);
      const done: Callback = (err, value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value as T);
      };
      try {
        fn(done);
      } catch (err) {
        done(err ?? new Error(`SessionStoreOutbox: store.${what}() threw`));
      }
    });
  }
}

/** When an item is next due: its next attempt, or its expiry if earlier (to be dead-lettered then). */
function dueTime(item: OutboxItem): number {
  return Math.min(item.nextAttemptAt, item.expiresAt);
}
