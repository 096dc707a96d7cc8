/**
 * `SessionStoreOutbox`: the default {@link Outbox}, in the app's express-session store.
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

/** What an outbox record looks like in the session store. */
interface OutboxRecord {
  cookie: { originalMaxAge: number; expires: string; httpOnly: true; path: '/' };
  bindidOutbox: OutboxItem;
}

type Callback = (err?: unknown, value?: unknown) => void;

/**
 * The default {@link Outbox}: items kept in the app's express-session store, as session-shaped
 * records with the id `bindid-outbox.<id>` whose `cookie` expires `retainExpiredMs` after the item,
 * so the store expires them by itself. Listing uses the store's `all()`, which is required (and reads
 * every session of the store: fine for small apps; use `StoreOutbox` on Redis for large ones).
 *
 * Claims are leases in this process only, and dedupe is atomic in this process only: with several
 * app instances use `StoreOutbox` on `RedisBindIdStore`, whose claims hold across instances. Each
 * claim has its own token, and a lease is released (and an item rescheduled) only under the token
 * that holds it now, so a worker whose lease ran out never frees another worker's claim. The session
 * store has no compare-and-set: a report delivered outside the worker (self-heal) and removed while
 * a worker reschedules it could be written back, and would then be sent once more.
 * The records hold access tokens, like sessions hold credentials: the session store must be
 * server-side (not cookie-session). Their ids cannot be loaded as a browser's session, because
 * express-session only loads ids from cookies signed with the app's secret.
 */
export class SessionStoreOutbox implements Outbox {
  readonly #store: Store;
  readonly #retainMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  /** Leases of this process: item id → the claim's token and its end (ms). */
  readonly #leases = new Map<string, { token: string; until: number }>();
  readonly #enqueuing = new Set<string>();

  constructor(store: Store, options?: SessionStoreOutboxOptions) {
    const o = new OptionReader('SessionStoreOutbox', options, KNOWN_SESSION);
    const s = store as Partial<Record<'get' | 'set' | 'destroy' | 'all', unknown>> | null;
    if (s === null || typeof s !== 'object' || ['get', 'set', 'destroy'].some((m) => typeof s[m as 'get'] !== 'function')) {
      throw o.error('store', 'must be an express-session store (with get, set and destroy)');
    }
    if (typeof s.all !== 'function') {
      const name = (store as object).constructor?.name || 'this store';
      throw o.error(
        'store',
        `must implement all() to list the queued reports, and ${name} does not. Use a session store with all() ` +
          '(MemoryStore, connect-redis ...), or new StoreOutbox(new RedisBindIdStore(redis))',
      );
    }
    this.#store = store;
    this.#retainMs = o.integer('retainExpiredMs', DEFAULT_RETAIN_EXPIRED_MS, 0, 7 * 86_400_000);
    this.#timeoutMs = o.integer('timeoutMs', 5000, 1, 120_000);
    this.#now = o.fn<() => number>('now') ?? Date.now;
  }

  async enqueue(item: OutboxItem): Promise<boolean> {
    const checked = checkOutboxItem(item);
    if (this.#enqueuing.has(checked.id)) return false;
    this.#enqueuing.add(checked.id);
    try {
      if ((await this.get(checked.id)) !== undefined) return false;
      await this.#write(checked);
      return true;
    } finally {
      this.#enqueuing.delete(checked.id);
    }
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    checkLimit(limit);
    const all = await this.#call<unknown>('all', (cb) => (this.#store.all as (cb: Callback) => void)(cb));
    // MemoryStore gives { sid: session }; connect-redis gives [session with its `id`]; others may give ids or not.
    const entries: Array<[unknown, unknown]> = Array.isArray(all)
      ? all.map((record) => [(record as { id?: unknown } | null)?.id, record])
      : all !== null && typeof all === 'object'
        ? Object.entries(all)
        : [];
    const items: OutboxItem[] = [];
    for (const [sid, record] of entries) {
      if (typeof sid === 'string' && !sid.startsWith(SESSION_OUTBOX_PREFIX)) continue;
      const value = (record as Partial<OutboxRecord> | null)?.bindidOutbox;
      if (value === undefined) continue; // an ordinary session
      const item = readItem(value, typeof sid === 'string' ? sid.slice(SESSION_OUTBOX_PREFIX.length).slice(0, 12) : 'no id');
      if (item) items.push(item);
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
      // Never bring back an item removed since, and check the lease again right before writing.
      if ((await this.get(checked.id)) === undefined || !this.#holds(checked.id, lease)) return false;
      await this.#write(checked);
      return true;
    } finally {
      this.#release(checked.id, lease);
    }
  }

  async remove(id: string, lease?: string): Promise<void> {
    checkId(id);
    if (lease !== undefined) checkLeaseToken(lease);
    await this.#call('destroy', (cb) => this.#store.destroy(SESSION_OUTBOX_PREFIX + id, cb));
    if (lease !== undefined) this.#release(id, lease);
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
    const record: OutboxRecord = {
      cookie: { originalMaxAge: maxAge, expires: new Date(this.#now() + maxAge).toISOString(), httpOnly: true, path: '/' },
      bindidOutbox: item,
    };
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
