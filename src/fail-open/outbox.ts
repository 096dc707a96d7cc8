/** The fail-open {@link Outbox} interface, its items, and the item check of `StoreOutbox.enqueue` (where items enter the queue). */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import type { SessionFeedbackReport } from '../feedback/session-feedback-report.js';
import { assertAccessToken } from '../feedback/signing.js';
import type { OutboxDiagnostic } from '../internal/diagnostics.js';
import type { OptionReader } from '../internal/option-reader.js';

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

/** A new item for the report of `sub`, due now. */
export function newOutboxItem(input: Pick<OutboxItem, 'sub' | 'accessToken' | 'expiresAt'> & { report: SessionFeedbackReport & { alias: string }; now: number }): OutboxItem {
  const { sub, accessToken, report, expiresAt, now } = input;
  return { id: outboxId(sub, report.alias), accessToken, report, sub, expiresAt: Math.max(now, Math.floor(expiresAt)), attempts: 0, nextAttemptAt: now, createdAt: now };
}

/** A copy without the access token, for events and logs: the token never appears in either, nor in an error. */
export function itemInfo(item: OutboxItem): OutboxItemInfo {
  const { accessToken: _token, ...rest } = item;
  return { ...rest, report: { ...rest.report } };
}

/** No token, no alias. */
export function outboxDiagnostic(item: OutboxItem, reason?: string): OutboxDiagnostic {
  return { id: item.id, type: item.report.type, attempts: item.attempts, ...(reason === undefined ? {} : { reason }) };
}

const OUTBOX_METHODS = ['enqueue', 'due', 'claim', 'get', 'update', 'remove'] as const;

/** Option `key` as an Outbox with the methods `needed` (all of them by default), or the option error naming them. */
export function readOutbox(o: OptionReader, key: string, needed: readonly (typeof OUTBOX_METHODS)[number][] = OUTBOX_METHODS): Outbox {
  const value = o.raw(key) as Record<string, unknown> | null | undefined;
  if (value === null || typeof value !== 'object' || needed.some((m) => typeof value[m] !== 'function')) {
    throw o.error(key, `must be an Outbox (with ${needed.join(', ')}): a StoreOutbox or your own`);
  }
  return value as unknown as Outbox;
}

/**
 * Where queued reports live. Every method may reject (store down): callers fail closed. A report is sent only under an exclusive lease,
 * re-read under it, removed after BindID's 2xx; an instance dying in between leaves it to be sent again (a repeat is the same fact to BindID).
 */
export interface Outbox {
  /** `false` when queued reports do not survive a restart: refused in production. Omitted means durable. */
  readonly durable?: boolean;
  /**
   * Resolves `false` when an item with this id is already queued; rejects when the item cannot be
   * persisted (the user is then not logged in) or is malformed (`ERR_BINDID_INVALID_ARGUMENT`).
   */
  enqueue(item: OutboxItem): Promise<boolean>;
  /** Items to work on at `now`: due for an attempt or past their expiry; at most `limit`, earliest first. */
  due(now: number, limit: number): Promise<OutboxItem[]>;
  /** The exclusive right to work on item `id` for `leaseMs`: a lease token, or `false` when someone else holds it. */
  claim(id: string, leaseMs: number): Promise<string | false>;
  /** The item as stored now, or `undefined` when it is gone. */
  get(id: string): Promise<OutboxItem | undefined>;
  /**
   * Store the item's new state and release `lease`, only while `lease` is live and the item still
   * there (otherwise another worker may hold it: nothing is written or released). Resolves whether it was stored.
   */
  update(item: OutboxItem, lease: string): Promise<boolean>;
  /** Remove item `id` (no error when missing) and release `lease` if it is still this claim's, never another's. */
  remove(id: string, lease?: string): Promise<void>;
}

/** A non-negative safe integer. */
export function isWholeNumber(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

/** The dedupe id of the report for BindID user `sub` and `alias`: SHA-256 hex of `sub`, NUL, `alias`. */
export function outboxId(sub: string, alias: string): string {
  if (typeof sub !== 'string' || typeof alias !== 'string') throw invalidArgument('outboxId: sub and alias must be strings');
  return createHash('sha256').update(`${sub}\u0000${alias}`, 'utf8').digest('hex');
}

const ID = /^[0-9a-f]{64}$/;
const REPORT_TYPES: ReadonlySet<string> = new Set(['authentication_performed', 'alias_updated', 'alias_deleted']);

/** A copy with only the fields of an {@link OutboxItem}; `ERR_BINDID_INVALID_ARGUMENT` (never repeating the token) when malformed. */
export function checkOutboxItem(value: unknown): OutboxItem {
  const problem = itemProblem(value);
  if (problem !== undefined) throw invalidArgument(`outbox item: ${problem}`);
  const { id, accessToken, sub, expiresAt, attempts, nextAttemptAt, createdAt, report: r } = value as OutboxItem;
  const { type, alias, time, amr } = r as { type: string; alias?: string; time: number; amr?: string[] };
  const report = { type, ...(alias === undefined ? {} : { alias }), time, ...(amr === undefined ? {} : { amr: [...amr] }) };
  return { id, accessToken, report: report as SessionFeedbackReport, sub, expiresAt, attempts, nextAttemptAt, createdAt };
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
  if (!isWholeNumber(r.time)) return 'report.time must be the original authentication time in whole seconds';
  if (r.alias !== undefined && typeof r.alias !== 'string') return 'report.alias must be a string';
  if (r.amr !== undefined && !(Array.isArray(r.amr) && r.amr.every((a) => typeof a === 'string'))) {
    return 'report.amr must be an array of strings';
  }
  for (const key of ['expiresAt', 'attempts', 'nextAttemptAt', 'createdAt'] as const) {
    if (!isWholeNumber(v[key])) return `${key} must be a non-negative whole number`;
  }
  return undefined;
}

/** @internal The items to work on at `now`, earliest first, at most `limit`. */
export function pickDue(items: readonly OutboxItem[], now: number, limit: number): OutboxItem[] {
  return items
    .filter((item) => item.nextAttemptAt <= now || item.expiresAt <= now)
    .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt)
    .slice(0, Math.max(0, limit));
}
