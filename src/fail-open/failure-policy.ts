/** The failure policy of the confirm step (what happens when BindID cannot take the report), and fail-open's self-heal records. */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { BindIdError } from '../errors.js';
import { publish } from '../internal/diagnostics.js';
import { emit } from '../internal/events.js';
import { assertAlias } from '../feedback/assert-alias.js';
import type { SessionFeedbackReport } from '../feedback/session-feedback-report.js';
import { logger } from '../internal/log.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option } from '../internal/option-schema.js';
import { isWholeNumber, itemInfo, newOutboxItem, type Outbox, outboxDiagnostic, type OutboxItemInfo, readOutbox } from './outbox.js';
import {
  OUTBOX_WORKER_OPTIONS,
  type OutboxDeliveredEvent,
  type OutboxSender,
  OutboxWorker,
  type OutboxWorkerOptions,
} from './outbox-worker.js';
import { StoreOutbox } from './store-outbox.js';
import type { BindIdStore } from '../stores/bindid-store.js';
import { isQueueStore } from '../stores/queue-store.js';

const log = logger('failure-policy');

/**
 * `closed` (default): no sign-in without BindID's 2xx. `open`: when BindID is unreachable or timed out, the report is persisted in
 * an {@link Outbox} and the user signed in; if the outbox cannot persist it, the step fails closed (never "signed in and the report
 * lost"), and for the same reason an outbox that does not survive a restart is refused in production.
 */
export type FailureMode = 'closed' | 'open';

/** The hooks of `T` with any return value (what a hook returns is ignored, a failure logged). */
type LenientHooks<T> = {
  [K in keyof T]: K extends `on${string}` ? (T[K] extends ((event: infer E) => unknown) | undefined ? (event: E) => unknown : T[K]) : T[K];
};

/** The `outboxWorker` option: the worker's options ({@link OutboxWorkerOptions}) but outbox, client and clock (the factory's); and `start`. */
export type OutboxWorkerSettings = LenientHooks<Omit<OutboxWorkerOptions, 'outbox' | 'client' | 'now'>> & {
  /** Start the worker's timer when the factory is built. Default `true`; with `false`, call `outboxWorker.start()` yourself. */
  start?: boolean;
};

const { outbox: _outbox, client: _client, now: _now, ...WORKER_OPTIONS } = OUTBOX_WORKER_OPTIONS;
const WORKER_SETTINGS = { ...WORKER_OPTIONS, start: option.boolean(true) };

/** Payload of the `onReportQueued` event: fail-open signed a user in and persisted the report. */
export interface ReportQueuedEvent {
  req: Request;
  /** The queued item, without its access token. */
  item: OutboxItemInfo;
  /** The BindID user. */
  sub: string;
  /** The alias reported. */
  alias: string;
  /** The code of the failure that made the report wait, e.g. `ERR_BINDID_UNAVAILABLE`. */
  code: string;
  /** False when a report for this (sub, alias) was already queued: that one is kept (dedupe). */
  added: boolean;
}

interface FailurePolicyBase {
  /** Open mode, unless `outboxWorker: false`. */
  readonly worker: OutboxWorker | undefined;
  readonly onReportQueued: ((event: ReportQueuedEvent) => void | Promise<void>) | undefined;
  /** Called last by the factory, once every option passed. */
  startWorker(): void;
}

/** @internal The failure options of a factory, as read once. */
export type FailurePolicy =
  | (FailurePolicyBase & { readonly mode: 'closed' })
  | (FailurePolicyBase & { readonly mode: 'open'; readonly outbox: Outbox });

/** Read `failureMode`, `outbox`, `outboxWorker` and `onReportQueued`; in open mode, build the worker with the factory's client, clock and store. */
export function readFailurePolicy(o: OptionReader, client: OutboxSender, now: () => number, store: BindIdStore): FailurePolicy {
  const mode = o.oneOf<FailureMode>('failureMode', ['closed', 'open'], 'closed');
  const onReportQueued = o.fn<(event: ReportQueuedEvent) => void | Promise<void>>('onReportQueued');
  if (mode === 'closed') {
    for (const key of ['outbox', 'outboxWorker', 'onReportQueued'] as const) {
      if (o.has(key)) throw o.error(key, "is only used with failureMode: 'open' (fail-closed never queues reports)");
    }
    return { mode, worker: undefined, onReportQueued: undefined, startWorker: () => undefined };
  }
  const outbox = failOpenOutbox(o, store, now);
  const workerOption = o.raw('outboxWorker');
  if (workerOption === false) return { mode, outbox, worker: undefined, onReportQueued, startWorker: () => undefined };
  const w = o.nested('outboxWorker', WORKER_SETTINGS);
  const start = w.boolean('start', true);
  const onDelivered = w.fn<(event: OutboxDeliveredEvent) => unknown>('onDelivered');
  const { start: _start, onDelivered: _onDelivered, ...rest } = (workerOption ?? {}) as OutboxWorkerSettings;
  const worker = o.within('outboxWorker', () => new OutboxWorker({
    ...(rest as Partial<OutboxWorkerOptions>),
    outbox,
    client,
    now,
    onDelivered: (event) => {
      // BindID knows the alias now: the self-heal record is no longer needed.
      store.delete(healKey(event.item.sub)).catch(() => log('could not remove a self-heal record'));
      emit('onDelivered', onDelivered, event);
    },
  }));
  return { mode, outbox, worker, onReportQueued, startWorker: () => (start ? worker.start() : undefined) };
}

/** Warning code of an outbox that does not survive a restart (outside production). */
export const NOT_DURABLE_WARNING = 'EXPRESS_BINDID_OUTBOX_NOT_DURABLE';
let warnedNotDurable = false;

/** The given outbox or a {@link StoreOutbox} on `store`; one that does not survive a restart is refused in production, warned about otherwise. */
function failOpenOutbox(o: OptionReader, store: BindIdStore, now: () => number): Outbox {
  const given = o.raw('outbox');
  let outbox: Outbox;
  if (given !== undefined) {
    outbox = readOutbox(o, 'outbox');
  } else if (isQueueStore(store)) {
    outbox = new StoreOutbox(store, { now });
  } else {
    throw o.error(
      'outbox',
      "is needed with failureMode: 'open' when `store` has no queue operations (BindIdQueueStore: queueAdd ...) " +
        'to hold the default outbox: pass outbox: new StoreOutbox(new RedisBindIdStore(redis)), or implement them in your store',
    );
  }
  if (outbox.durable !== false) return outbox;
  const where = given === undefined ? 'the default outbox lives in `store`, a MemoryBindIdStore' : 'this outbox';
  const fix =
    'pass store: new RedisBindIdStore(redis) (the default outbox then lives in Redis), or outbox: new ' +
    "StoreOutbox(new RedisBindIdStore(redis)), or use failureMode: 'closed'";
  if (process.env.NODE_ENV === 'production') {
    throw o.error(given === undefined ? 'store' : 'outbox', `cannot hold the fail-open outbox in production: ${where} keeps queued reports in this process's memory, and a restart would lose them (users signed in, BindID never told). To fix it, ${fix}`);
  }
  if (!warnedNotDurable) {
    warnedNotDurable = true;
    process.emitWarning(
      `express-bindid: failureMode 'open' keeps its outbox in this process's memory (${where}): a restart loses the queued reports. In production, ${fix}.`,
      { code: NOT_DURABLE_WARNING },
    );
  }
  return outbox;
}

/** @internal Forget that the not-durable warning was given (tests). */
export function resetNotDurableWarning(): void {
  warnedNotDurable = false;
}

// Self-heal records: the alias a fail-open link reported for a BindID user, so that their next sign-in without `bindid_alias` re-sends it.

/** After 30 days without a heal, the password is asked again. */
export const SELF_HEAL_TTL_MS = 30 * 86_400_000;

/** The report that was queued (no token), with its original authentication time. */
type HealRecord = Omit<Extract<SessionFeedbackReport, { type: 'authentication_performed' }>, 'type'>;

/** A digest, never the `sub` itself, in the key. */
export function healKey(sub: string): string {
  return `heal:${createHash('sha256').update(sub).digest('base64url')}`;
}

/** Best effort: a failure is logged. */
export async function writeHealRecord(store: BindIdStore, sub: string, report: SessionFeedbackReport): Promise<void> {
  if (report.type === 'alias_deleted' || report.alias === undefined) return;
  const record: HealRecord = {
    alias: report.alias,
    time: report.time,
    ...(report.type === 'authentication_performed' && report.amr ? { amr: report.amr } : {}),
  };
  await store.set(healKey(sub), JSON.stringify(record), SELF_HEAL_TTL_MS).catch(() => log('could not write a self-heal record'));
}

/** Queue a report BindID could not take: the `onReportQueued` payload (without `req`), or `undefined` when the outbox failed (the caller fails closed). */
export async function enqueueReport(
  outbox: Outbox,
  input: Parameters<typeof newOutboxItem>[0],
  cause: BindIdError,
): Promise<Omit<ReportQueuedEvent, 'req'> | undefined> {
  const item = newOutboxItem(input);
  let added: boolean;
  try {
    added = await outbox.enqueue(item);
  } catch {
    return undefined;
  }
  publish('outboxEnqueue', () => outboxDiagnostic(item));
  return { item: itemInfo(item), sub: input.sub, alias: input.report.alias, code: cause.code, added };
}

/** Undefined when none, unreadable, or the store failed. */
export async function readHealRecord(store: BindIdStore, sub: string): Promise<HealRecord | undefined> {
  let raw: string | undefined;
  try {
    raw = await store.get(healKey(sub));
  } catch {
    log('could not read a self-heal record');
    return undefined;
  }
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<HealRecord>;
    assertAlias(value.alias);
    if (!isWholeNumber(value.time)) return undefined;
    const amr = Array.isArray(value.amr) && value.amr.every((a) => typeof a === 'string') ? value.amr : undefined;
    return { alias: value.alias, time: value.time, ...(amr ? { amr } : {}) };
  } catch {
    return undefined;
  }
}
