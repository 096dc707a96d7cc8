/**
 * The fail-open outbox: session-feedback reports that could not be sent while the user signed in,
 * kept in a shared store and re-sent in the background until BindID accepts them or their access
 * token expires.
 *
 * - {@link Outbox}: where queued reports live. {@link SessionStoreOutbox} (the default) keeps them in
 *   the app's express-session store; {@link StoreOutbox} keeps them in a {@link BindIdStore}
 *   (`RedisBindIdStore` for several instances).
 * - {@link OutboxWorker}: takes due reports, sends each one with `SessionFeedbackClient.send` (which
 *   signs it at send time with the current client secret and keeps the report's original `time`),
 *   removes delivered ones, reschedules retryable failures with capped, jittered exponential backoff,
 *   and dead-letters reports that BindID refused or whose token expired (those are never sent).
 *
 * Delivery is exactly-once while instances and the store keep working: an instance sends a report
 * only under an exclusive lease ({@link Outbox.claim}), re-reads it under that lease, and removes it
 * after BindID's 2xx. An instance that dies between BindID's 2xx and the removal leaves the report to
 * be sent once more after the lease (BindID treats a repeated `authentication_performed` with the
 * same alias as the same fact).
 *
 * The access token is stored with the report because the report must be signed with it at send
 * time. It stays server-side (in the store) and never appears in an event, a log line or an error.
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Store } from 'express-session';
import { ErrorCode, invalidArgument } from '../errors.js';
import { emit } from '../internal/events.js';
import { type FeedbackResult, jitteredBackoff, type SessionFeedbackReport } from '../feedback/session-feedback-client.js';
import { logger } from '../internal/log.js';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { assertAccessToken } from '../feedback/signing.js';
import type { BindIdStore } from '../stores/bindid-store.js';

const log = logger('outbox');

/** One queued report. */
export interface OutboxItem {
  /** Dedupe id: {@link outboxId}(sub, alias). One item per (BindID user, alias). */
  id: string;
  /** The BindID access token of the session reported on; needed to sign at send time. Server-side only. */
  accessToken: string;
  /** The report, with the time of the original authentication (unix seconds). */
  report: SessionFeedbackReport;
  /** The BindID user (`sub`). */
  sub: string;
  /** When the access token expires, in ms since 1970: after it the item is dead-lettered, never sent. */
  expiresAt: number;
  /** Send attempts made so far. */
  attempts: number;
  /** Earliest time of the next attempt, in ms since 1970. */
  nextAttemptAt: number;
  /** When the item was queued, in ms since 1970. */
  createdAt: number;
}

/** An item as events show it: everything but the access token. */
export type OutboxItemInfo = Omit<OutboxItem, 'accessToken'>;

/** Where queued reports live. Every method may reject (store down): callers fail closed. */
export interface Outbox {
  /**
   * Queue `item`. Resolves `false` when an item with this id is already queued (dedupe on
   * (sub, alias)); rejects when the item cannot be persisted (the caller must not log the user in
   * then) or is malformed (`ERR_BINDID_INVALID_ARGUMENT`).
   */
  enqueue(item: OutboxItem): Promise<boolean>;
  /** Items to work on at `now`: due for an attempt or past their expiry; at most `limit`, earliest first. */
  due(now: number, limit: number): Promise<OutboxItem[]>;
  /** Take the exclusive right to work on item `id` for `leaseMs`. False when someone else holds it. */
  claim(id: string, leaseMs: number): Promise<boolean>;
  /**
   * The item as stored now, or `undefined` when it is gone. The worker re-reads an item after
   * claiming it, so it never acts on a copy another instance has since delivered or rescheduled.
   */
  get(id: string): Promise<OutboxItem | undefined>;
  /** Store a new state of a claimed item (attempts, nextAttemptAt) and release its lease. No-op when it is gone. */
  update(item: OutboxItem): Promise<void>;
  /** Remove item `id` and release its lease (no error when missing). */
  remove(id: string): Promise<void>;
}

/** The dedupe id of the report for BindID user `sub` and `alias`: SHA-256 hex of `sub`, NUL, `alias`. */
export function outboxId(sub: string, alias: string): string {
  if (typeof sub !== 'string' || typeof alias !== 'string') throw invalidArgument('outboxId: sub and alias must be strings');
  return createHash('sha256').update(`${sub}\u0000${alias}`, 'utf8').digest('hex');
}

/** How long an expired item is kept by default, so that a worker can still dead-letter it: 1 hour. */
export const DEFAULT_RETAIN_EXPIRED_MS = 3_600_000;

const ID = /^[0-9a-f]{64}$/;
const REPORT_TYPES: ReadonlySet<string> = new Set(['authentication_performed', 'alias_updated', 'alias_deleted']);

/**
 * A checked copy of `value` holding only the fields of {@link OutboxItem}; throws
 * `ERR_BINDID_INVALID_ARGUMENT` (never repeating the token) when it is not a well-formed item.
 */
export function checkOutboxItem(value: unknown): OutboxItem {
  const problem = itemProblem(value);
  if (problem !== undefined) throw invalidArgument(`outbox item: ${problem}`);
  const v = value as OutboxItem;
  const report: Record<string, unknown> = { type: v.report.type };
  for (const key of ['alias', 'time', 'amr'] as const) {
    const field = (v.report as Record<string, unknown>)[key];
    if (field !== undefined) report[key] = Array.isArray(field) ? [...field] : field;
  }
  return {
    id: v.id,
    accessToken: v.accessToken,
    report: report as SessionFeedbackReport,
    sub: v.sub,
    expiresAt: v.expiresAt,
    attempts: v.attempts,
    nextAttemptAt: v.nextAttemptAt,
    createdAt: v.createdAt,
  };
}

function itemProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'must be an object';
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || !ID.test(v.id)) return 'id must be outboxId(sub, alias) (64 hex digits)';
  try {
    assertAccessToken(v.accessToken);
  } catch (err) {
    return (err as Error).message;
  }
  if (typeof v.sub !== 'string' || v.sub.length === 0 || v.sub.length > 1024) return 'sub must be a string of 1 to 1024 characters';
  const r = v.report as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'report must be an object';
  if (typeof r.type !== 'string' || !REPORT_TYPES.has(r.type)) return 'report.type is not a session-feedback report type';
  if (typeof r.time !== 'number' || !Number.isSafeInteger(r.time) || r.time < 0) {
    return 'report.time must be the original authentication time in whole seconds';
  }
  if (r.alias !== undefined && typeof r.alias !== 'string') return 'report.alias must be a string';
  if (r.amr !== undefined && !(Array.isArray(r.amr) && r.amr.every((a) => typeof a === 'string'))) {
    return 'report.amr must be an array of strings';
  }
  for (const key of ['expiresAt', 'attempts', 'nextAttemptAt', 'createdAt'] as const) {
    const n = v[key];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return `${key} must be a non-negative whole number`;
  }
  return undefined;
}

/** A stored item read back: the item, or `undefined` (logged by id) when the record is not one. */
function readItem(raw: unknown, where: string): OutboxItem | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      value = undefined;
    }
  }
  if (itemProblem(value) !== undefined) {
    log('skipping an unreadable outbox record (%s)', where);
    return undefined;
  }
  return checkOutboxItem(value);
}

/** The items of `items` to work on at `now`, earliest first, at most `limit`. */
function pickDue(items: readonly OutboxItem[], now: number, limit: number): OutboxItem[] {
  return items
    .filter((item) => item.nextAttemptAt <= now || item.expiresAt <= now)
    .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt)
    .slice(0, Math.max(0, limit));
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) throw invalidArgument('outbox: limit must be a non-negative whole number');
}

function checkLease(leaseMs: number): void {
  if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0) throw invalidArgument('outbox: leaseMs must be a positive whole number');
}

function checkId(id: string): void {
  if (typeof id !== 'string' || !ID.test(id)) throw invalidArgument('outbox: id must be 64 hex digits');
}

/** Options of {@link StoreOutbox}. */
export interface StoreOutboxOptions {
  /** Prefix of the outbox's keys in the store. Default `outbox:`. */
  keyPrefix?: string;
  /**
   * How long the store keeps an item after its `expiresAt`, in ms, so that a worker still sees it
   * and fires the dead-letter event. Default 3,600,000 (1 hour).
   */
  retainExpiredMs?: number;
  /** Clock for the store TTLs, in ms since 1970. Default `Date.now`. */
  now?: () => number;
}

const KNOWN_STORE: KnownKeys<StoreOutboxOptions> = { keyPrefix: true, retainExpiredMs: true, now: true };

/**
 * An {@link Outbox} in a {@link BindIdStore}: one key per item (`<keyPrefix>item:<id>`, expiring
 * `retainExpiredMs` after the item), one lease key per claimed item (`<keyPrefix>lease:<id>`).
 * Dedupe and claims are the store's atomic `add`, so on `RedisBindIdStore` they hold across
 * instances; on `MemoryBindIdStore` they hold within one process.
 */
export class StoreOutbox implements Outbox {
  readonly #store: BindIdStore;
  readonly #prefix: string;
  readonly #retainMs: number;
  readonly #now: () => number;

  constructor(store: BindIdStore, options?: StoreOutboxOptions) {
    const o = new OptionReader('StoreOutbox', options, KNOWN_STORE);
    const methods = ['add', 'get', 'set', 'delete', 'keys'] as const;
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

  async claim(id: string, leaseMs: number): Promise<boolean> {
    checkId(id);
    checkLease(leaseMs);
    return this.#store.add(this.#leaseKey(id), randomUUID(), leaseMs);
  }

  async get(id: string): Promise<OutboxItem | undefined> {
    checkId(id);
    const value = await this.#store.get(this.#itemKey(id));
    return value === undefined ? undefined : readItem(value, id.slice(0, 12));
  }

  async update(item: OutboxItem): Promise<void> {
    const checked = checkOutboxItem(item);
    const key = this.#itemKey(checked.id);
    // Never bring back an item another instance has removed (delivered or dead-lettered).
    if ((await this.#store.get(key)) !== undefined) {
      await this.#store.set(key, JSON.stringify(checked), this.#ttl(checked));
    }
    await this.#store.delete(this.#leaseKey(checked.id));
  }

  async remove(id: string): Promise<void> {
    checkId(id);
    // The item first: a lease released before it would let another instance claim a delivered item.
    await this.#store.delete(this.#itemKey(id));
    await this.#store.delete(this.#leaseKey(id));
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

/** Options of {@link SessionStoreOutbox}. */
export interface SessionStoreOutboxOptions {
  /** As {@link StoreOutboxOptions.retainExpiredMs}. Default 3,600,000 (1 hour). */
  retainExpiredMs?: number;
  /** Longest wait for one session-store call, in ms, before it counts as failed. Default 5000. */
  timeoutMs?: number;
  /** Clock for record expiry and leases, in ms since 1970. Default `Date.now`. */
  now?: () => number;
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
 * every session of the store: fine for small apps; use {@link StoreOutbox} on Redis for large ones).
 *
 * Claims are leases in this process only, and dedupe is atomic in this process only: with several
 * app instances use {@link StoreOutbox} on `RedisBindIdStore`, whose claims hold across instances.
 * The records hold access tokens, like sessions hold credentials: the session store must be
 * server-side (not cookie-session). Their ids cannot be loaded as a browser's session, because
 * express-session only loads ids from cookies signed with the app's secret.
 */
export class SessionStoreOutbox implements Outbox {
  readonly #store: Store;
  readonly #retainMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #leases = new Map<string, number>();
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

  async claim(id: string, leaseMs: number): Promise<boolean> {
    checkId(id);
    checkLease(leaseMs);
    const now = this.#now();
    for (const [leased, until] of this.#leases) if (until <= now) this.#leases.delete(leased);
    if (this.#leases.has(id)) return false;
    this.#leases.set(id, now + leaseMs);
    return true;
  }

  async get(id: string): Promise<OutboxItem | undefined> {
    checkId(id);
    const record = await this.#call<Partial<OutboxRecord> | null | undefined>('get', (cb) =>
      this.#store.get(SESSION_OUTBOX_PREFIX + id, cb),
    );
    const value = record?.bindidOutbox;
    return value === undefined ? undefined : readItem(value, id.slice(0, 12));
  }

  async update(item: OutboxItem): Promise<void> {
    const checked = checkOutboxItem(item);
    try {
      if ((await this.get(checked.id)) !== undefined) await this.#write(checked);
    } finally {
      this.#leases.delete(checked.id);
    }
  }

  async remove(id: string): Promise<void> {
    checkId(id);
    await this.#call('destroy', (cb) => this.#store.destroy(SESSION_OUTBOX_PREFIX + id, cb));
    this.#leases.delete(id);
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

/** Bounds of the outbox's retry backoff. */
export interface OutboxBackoffOptions {
  /** Upper bound of the first delay, in ms. Default 1000. */
  baseMs?: number;
  /** Largest delay, in ms; the bound doubles per attempt up to this. Default 60,000. */
  maxMs?: number;
}

/**
 * The delay before the next attempt of an item that has failed `attempts` times (≥ 1): full jitter,
 * random in [0, min(maxMs, baseMs × 2^(attempts-1))]. Always finite and in [0, maxMs], whatever
 * `attempts` and `random()` give (a `random()` outside [0, 1] is clamped, NaN counts as 0).
 */
export function outboxRetryDelay(attempts: number, backoff: Readonly<Required<OutboxBackoffOptions>>, random: () => number): number {
  return jitteredBackoff(attempts, backoff, random);
}

/** The part of `SessionFeedbackClient` the worker uses. */
export interface OutboxSender {
  send(accessToken: string, report: SessionFeedbackReport): Promise<FeedbackResult>;
  /** The client's overall deadline per report, in ms; the default lease is longer than it. */
  readonly timeoutMs?: number;
}

/** An item was delivered (BindID answered 2xx) and removed. */
export interface OutboxDeliveredEvent {
  item: OutboxItemInfo;
  /** BindID's status. */
  status: number;
}

/** An attempt failed in a way worth retrying; the item is rescheduled. */
export interface OutboxRetryEvent {
  /** The item as rescheduled (`attempts` and `nextAttemptAt` updated). */
  item: OutboxItemInfo;
  /** The error's code, e.g. `ERR_BINDID_UNAVAILABLE`. */
  code: string;
  /** Delay until the next attempt, in ms. */
  delayMs: number;
}

/** An item was removed without delivery. */
export interface OutboxDeadLetterEvent {
  item: OutboxItemInfo;
  /** `expired`: its access token expired first (never sent then); `rejected`: BindID refused it. */
  reason: 'expired' | 'rejected';
  /** For `rejected`: the error's code (`ERR_BINDID_REJECTED`, `ERR_BINDID_UNAUTHORIZED` ...). */
  code?: string;
}

/** Options of {@link OutboxWorker}. */
export interface OutboxWorkerOptions {
  /** Where the queued reports are. */
  outbox: Outbox;
  /** Sends them (a `SessionFeedbackClient`). */
  client: OutboxSender;
  /** Time between runs started by {@link OutboxWorker.start}, in ms. Default 5000. */
  intervalMs?: number;
  /** Most items per run. Default 20. */
  batchSize?: number;
  /** Retry backoff bounds. Default `{ baseMs: 1000, maxMs: 60000 }`. */
  backoff?: OutboxBackoffOptions;
  /**
   * How long a claim on an item lasts, in ms: longer than one send can take. Default the client's
   * `timeoutMs` + 10,000 (15,000 with the default client), or 30,000 when the client has none.
   */
  leaseMs?: number;
  /** Clock, in ms since 1970. Default `Date.now`. */
  now?: () => number;
  /** Source of jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Called after an item was delivered and removed. */
  onDelivered?: (event: OutboxDeliveredEvent) => void | Promise<void>;
  /** Called after a failed attempt was rescheduled. */
  onRetry?: (event: OutboxRetryEvent) => void | Promise<void>;
  /** Called after an item was removed undelivered: token expired, or BindID refused it. */
  onDeadLetter?: (event: OutboxDeadLetterEvent) => void | Promise<void>;
}

const KNOWN_WORKER: KnownKeys<OutboxWorkerOptions> = {
  outbox: true,
  client: true,
  intervalMs: true,
  batchSize: true,
  backoff: true,
  leaseMs: true,
  now: true,
  random: true,
  onDelivered: true,
  onRetry: true,
  onDeadLetter: true,
};
/** @internal The worker's option keys (the `outboxWorker` option of the factories derives its keys from them). */
export { KNOWN_WORKER as OUTBOX_WORKER_OPTION_KEYS };
const KNOWN_BACKOFF: KnownKeys<OutboxBackoffOptions> = { baseMs: true, maxMs: true };

/** What one run did. */
export interface OutboxRunResult {
  /** Items BindID accepted (and that were removed). */
  delivered: number;
  /** Items whose attempt failed and that were rescheduled. */
  retried: number;
  /** Items removed undelivered (expired or refused). */
  deadLettered: number;
  /** Items left alone: claimed by another worker, or delivered or rescheduled by one since the listing. */
  skipped: number;
  /** Items left for a later run because the outbox store failed on them. */
  failed: number;
}

/** Codes after which a report will never be accepted: the item is dead-lettered (`rejected`). */
const FINAL_CODES: ReadonlySet<string> = new Set([
  ErrorCode.REJECTED,
  ErrorCode.UNAUTHORIZED,
  ErrorCode.INVALID_ARGUMENT,
  ErrorCode.INVALID_ALIAS,
]);

/**
 * Sends the queued reports in the background. One worker per app instance; several instances may
 * share one outbox (each item is sent by one of them at a time, under its claim).
 *
 * Failures: a `retryable` error, or any other one not listed below (BindID down, a TLS or network
 * problem, a secret that could not be read), reschedules the item with backoff until its token
 * expires. `ERR_BINDID_REJECTED`, `ERR_BINDID_UNAUTHORIZED` and invalid-report errors remove it
 * with a `rejected` dead-letter event: BindID will never accept that report.
 *
 * @example
 * ```ts
 * const worker = new OutboxWorker({ outbox, client: feedback, onDeadLetter: (e) => alertOps(e) });
 * worker.start();
 * process.on('SIGTERM', () => worker.stop());
 * ```
 */
export class OutboxWorker {
  /** Time between runs, in ms. */
  readonly intervalMs: number;
  /** Most items per run. */
  readonly batchSize: number;
  /** Retry backoff bounds. */
  readonly backoff: Readonly<Required<OutboxBackoffOptions>>;
  /** Lease per item, in ms. */
  readonly leaseMs: number;

  readonly #outbox: Outbox;
  readonly #client: OutboxSender;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onDelivered: OutboxWorkerOptions['onDelivered'];
  readonly #onRetry: OutboxWorkerOptions['onRetry'];
  readonly #onDeadLetter: OutboxWorkerOptions['onDeadLetter'];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<OutboxRunResult> | undefined;
  #halt = false;

  constructor(options: OutboxWorkerOptions) {
    const o = new OptionReader('OutboxWorker', options, KNOWN_WORKER);
    const outbox = o.raw('outbox') as Partial<Record<keyof Outbox, unknown>> | null | undefined;
    const needed = ['due', 'claim', 'get', 'update', 'remove'] as const;
    if (outbox === null || typeof outbox !== 'object' || needed.some((m) => typeof outbox[m] !== 'function')) {
      throw o.error('outbox', `must be an Outbox (with ${needed.join(', ')}): a SessionStoreOutbox or a StoreOutbox`);
    }
    const client = o.raw('client') as Partial<OutboxSender> | null | undefined;
    if (client === null || typeof client !== 'object' || typeof client.send !== 'function') {
      throw o.error('client', 'must be a SessionFeedbackClient (with send(accessToken, report))');
    }
    this.#outbox = outbox as Outbox;
    this.#client = client as OutboxSender;
    this.intervalMs = o.integer('intervalMs', 5000, 10, 3_600_000);
    this.batchSize = o.integer('batchSize', 20, 1, 1000);
    const b = o.nested('backoff', KNOWN_BACKOFF);
    const baseMs = b.integer('baseMs', 1000, 0, 3_600_000);
    const maxMs = b.integer('maxMs', Math.max(60_000, baseMs), 0, 86_400_000);
    if (maxMs < baseMs) throw o.error('backoff.maxMs', `must be at least backoff.baseMs (${baseMs})`);
    this.backoff = Object.freeze({ baseMs, maxMs });
    const sendMs = typeof client.timeoutMs === 'number' && Number.isFinite(client.timeoutMs) ? client.timeoutMs : undefined;
    this.leaseMs = o.integer('leaseMs', sendMs === undefined ? 30_000 : sendMs + 10_000, 1000, 3_600_000);
    if (sendMs !== undefined && this.leaseMs <= sendMs) {
      throw o.error('leaseMs', `must be longer than the client's timeoutMs (${sendMs}), or a slow send could be repeated by another instance`);
    }
    this.#now = o.fn<() => number>('now') ?? Date.now;
    this.#random = o.fn<() => number>('random') ?? Math.random;
    this.#onDelivered = o.fn('onDelivered');
    this.#onRetry = o.fn('onRetry');
    this.#onDeadLetter = o.fn('onDeadLetter');
  }

  /** Run every `intervalMs` until {@link stop}. The timer does not keep the process alive. No-op when started. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.runOnce().catch((err: unknown) => log('outbox run failed: %s', errorCode(err)));
    }, this.intervalMs);
    this.#timer.unref();
  }

  /** Stop the timer; resolve once the run in progress (if any) has finished its current item. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const running = this.#running;
    if (running === undefined) return;
    this.#halt = true;
    try {
      await running.catch(() => undefined);
    } finally {
      this.#halt = false;
    }
  }

  /**
   * One run: take up to `batchSize` due items and handle each (see the class doc). Never two runs
   * at once: while one is in progress this returns it. Rejects only when listing the due items fails.
   */
  runOnce(): Promise<OutboxRunResult> {
    if (this.#running !== undefined) return this.#running;
    const run = this.#run().finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #run(): Promise<OutboxRunResult> {
    const result: OutboxRunResult = { delivered: 0, retried: 0, deadLettered: 0, skipped: 0, failed: 0 };
    const listed = await this.#outbox.due(this.#now(), this.batchSize);
    for (const { id } of listed) {
      if (this.#halt) break;
      try {
        result[await this.#handle(id)] += 1;
      } catch (err) {
        log('outbox item %s: the outbox store failed (%s); left for a later run', id.slice(0, 12), errorCode(err));
        result.failed += 1;
      }
    }
    if (listed.length > 0) {
      log('outbox run: %d delivered, %d retried, %d dead-lettered, %d skipped, %d failed', result.delivered, result.retried, result.deadLettered, result.skipped, result.failed);
    }
    return result;
  }

  /** Handle one listed item under a claim; store errors are thrown (the item stays for a later run). */
  async #handle(id: string): Promise<keyof OutboxRunResult> {
    if (!(await this.#outbox.claim(id, this.leaseMs))) return 'skipped';
    // Re-read under the claim: another worker may have delivered or rescheduled it since the listing.
    const item = await this.#outbox.get(id);
    const now = this.#now();
    if (item === undefined) return 'skipped';
    if (item.expiresAt <= now) {
      await this.#outbox.remove(id);
      log('outbox item %s: dead-lettered, its access token expired after %d attempt(s)', id.slice(0, 12), item.attempts);
      emit('onDeadLetter', this.#onDeadLetter, { item: info(item), reason: 'expired' as const });
      return 'deadLettered';
    }
    if (item.nextAttemptAt > now) return 'skipped';

    let sent: FeedbackResult;
    try {
      sent = await this.#client.send(item.accessToken, item.report);
    } catch (err) {
      return this.#failed(item, err);
    }
    try {
      await this.#outbox.remove(id);
    } catch (err) {
      log('outbox item %s: delivered, but could not be removed (%s): it may be sent again', id.slice(0, 12), errorCode(err));
    }
    emit('onDelivered', this.#onDelivered, { item: info({ ...item, attempts: item.attempts + 1 }), status: sent.status });
    return 'delivered';
  }

  async #failed(item: OutboxItem, err: unknown): Promise<keyof OutboxRunResult> {
    const code = errorCode(err);
    const attempts = item.attempts + 1;
    if (FINAL_CODES.has(code) && (err as { retryable?: unknown }).retryable !== true) {
      await this.#outbox.remove(item.id);
      log('outbox item %s: dead-lettered, BindID refused it (%s)', item.id.slice(0, 12), code);
      emit('onDeadLetter', this.#onDeadLetter, { item: info({ ...item, attempts }), reason: 'rejected' as const, code });
      return 'deadLettered';
    }
    const delayMs = Math.round(outboxRetryDelay(attempts, this.backoff, this.#random));
    const next: OutboxItem = { ...item, attempts, nextAttemptAt: this.#now() + delayMs };
    await this.#outbox.update(next);
    log('outbox item %s: attempt %d failed (%s), next in %d ms', item.id.slice(0, 12), attempts, code, delayMs);
    emit('onRetry', this.#onRetry, { item: info(next), code, delayMs });
    return 'retried';
  }
}

/** The item without its access token, for events. */
function info(item: OutboxItem): OutboxItemInfo {
  const { accessToken: _token, ...rest } = item;
  return { ...rest, report: { ...rest.report } };
}

/** A code that names an error without repeating anything it carries. */
function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,64}$/.test(code) ? code : 'ERR_UNKNOWN';
}
