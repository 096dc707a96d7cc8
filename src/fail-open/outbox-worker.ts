/** `OutboxWorker`: sends the reports queued in an {@link Outbox} in the background. */
import { ErrorCode, errorCode } from '../errors.js';
import type { FeedbackResult } from '../feedback/session-feedback-client.js';
import type { SessionFeedbackReport } from '../feedback/session-feedback-report.js';
import { type BackoffBounds, type BackoffOptions, jitteredBackoff, readBackoff } from '../internal/backoff.js';
import { publish } from '../internal/diagnostics.js';
import { emit } from '../internal/events.js';
import { logger } from '../internal/log.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, readSchema, schemaReader, type SettingsOf } from '../internal/option-schema.js';
import { itemInfo, type Outbox, readOutbox, outboxDiagnostic, type OutboxItem, type OutboxItemInfo } from './outbox.js';

const log = logger('outbox');

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
  /** As rescheduled. */
  item: OutboxItemInfo;
  /** The error's code, e.g. `ERR_BINDID_UNAVAILABLE`. */
  code: string;
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

export const OUTBOX_WORKER_OPTIONS = {
  /** Where the queued reports are. */
  outbox: option.requiredCustom<Outbox, Outbox>((o, key) => readOutbox(o, key, ['due', 'claim', 'get', 'update', 'remove'])),
  /** Sends them (a `SessionFeedbackClient`). */
  client: option.requiredCustom<OutboxSender, OutboxSender>(readSender),
  /** Time between runs started by {@link OutboxWorker.start}, in ms. Default 5000. */
  intervalMs: option.integer(5000, 10, 3_600_000),
  /** Most items per run. Default 20. */
  batchSize: option.integer(20, 1, 1000),
  /** Retry backoff bounds. Default `{ baseMs: 1000, maxMs: 60000 }`. */
  backoff: option.custom<BackoffOptions, BackoffBounds>('`{ baseMs: 1000, maxMs: 60000 }`', (o) =>
    readBackoff(o, { baseMs: 1000, maxMs: 60_000, baseLimit: 3_600_000, maxLimit: 86_400_000 }),
  ),
  /** How long a claim on an item lasts, in ms: longer than a send. Default the client's `timeoutMs` + 10,000 (15,000 by default), or 30,000 without one. */
  leaseMs: option.custom<number, number>('`timeoutMs` + 10000', readLease),
  /** Clock, in ms since 1970. Default `Date.now`. */
  now: option.fn<() => number>('`Date.now`'),
  /** Source of jitter, in [0, 1). Default `Math.random`. */
  random: option.fn<() => number>('`Math.random`'),
  /** Called after an item was delivered and removed. */
  onDelivered: option.fn<(event: OutboxDeliveredEvent) => void | Promise<void>>(),
  /** Called after a failed attempt was rescheduled. */
  onRetry: option.fn<(event: OutboxRetryEvent) => void | Promise<void>>(),
  /** Called after an item was removed undelivered: token expired, or BindID refused it. */
  onDeadLetter: option.fn<(event: OutboxDeadLetterEvent) => void | Promise<void>>(),
};

/** Options of {@link OutboxWorker}. */
export interface OutboxWorkerOptions extends OptionsOf<typeof OUTBOX_WORKER_OPTIONS> {}

function readSender(o: OptionReader, key: string): OutboxSender {
  const client = o.raw(key) as Partial<OutboxSender> | null | undefined;
  if (client === null || typeof client !== 'object' || typeof client.send !== 'function') {
    throw o.error(key, 'must be a SessionFeedbackClient (with send(accessToken, report))');
  }
  return client as OutboxSender;
}

/** The lease must outlast the client's deadline, or a slow send could be repeated by another instance. */
function readLease(o: OptionReader, key: string): number {
  const { timeoutMs } = o.raw('client') as OutboxSender;
  // Stryker disable next-line ConditionalExpression: equivalent, Number.isFinite is false for anything that is not a number
  const sendMs = typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) ? timeoutMs : undefined;
  const leaseMs = o.integer(key, sendMs === undefined ? 30_000 : sendMs + 10_000, 1000, 3_600_000);
  // Stryker disable next-line ConditionalExpression: equivalent, without sendMs the comparison with undefined is false anyway
  if (sendMs !== undefined && leaseMs <= sendMs) {
    throw o.error(key, `must be longer than the client's timeoutMs (${sendMs}), or a slow send could be repeated by another instance`);
  }
  return leaseMs;
}

/** What one run did. */
export interface OutboxRunResult {
  /** Items BindID accepted (and that were removed). */
  delivered: number;
  /** Items whose attempt failed and that were rescheduled. */
  retried: number;
  /** Items removed undelivered (expired or refused). */
  deadLettered: number;
  /** Items left alone: claimed, delivered or rescheduled by another worker, or failed after this worker's claim expired. */
  skipped: number;
  /** Items the outbox store failed on, left for a later run. */
  failed: number;
}

/** Codes after which a report will never be accepted. */
const FINAL_CODES: ReadonlySet<string> = new Set([
  ErrorCode.REJECTED,
  ErrorCode.UNAUTHORIZED,
  ErrorCode.INVALID_ARGUMENT,
  ErrorCode.INVALID_ALIAS,
]);

/**
 * Sends the queued reports in the background: one worker per app instance; instances may share one outbox
 * (each item sent by one at a time, under its claim). A non-`retryable` `ERR_BINDID_REJECTED`, `ERR_BINDID_UNAUTHORIZED`
 * or invalid-report error removes the item (a `rejected` dead letter: BindID will never accept it); any other
 * failure (BindID down, TLS, network, an unreadable secret) reschedules it with backoff until its token expires.
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
  readonly backoff: BackoffBounds;
  /** Lease per item, in ms. */
  readonly leaseMs: number;

  readonly #o: SettingsOf<typeof OUTBOX_WORKER_OPTIONS>;
  readonly #now: () => number;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<OutboxRunResult> | undefined;
  #halt = false;

  constructor(options: OutboxWorkerOptions) {
    const o = readSchema(schemaReader('OutboxWorker', options, OUTBOX_WORKER_OPTIONS), OUTBOX_WORKER_OPTIONS);
    this.#o = o;
    this.intervalMs = o.intervalMs;
    this.batchSize = o.batchSize;
    this.backoff = o.backoff;
    this.leaseMs = o.leaseMs;
    this.#now = o.now ?? Date.now;
    this.#random = o.random ?? Math.random;
  }

  /** Run every `intervalMs` until {@link stop}. The timer does not keep the process alive. No-op when started. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.runOnce().catch((err: unknown) => log('outbox run failed: %s', codeOf(err)));
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

  /** Handle up to `batchSize` due items; while a run is in progress, returns it. Rejects only when listing them fails. */
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
    const listed = await this.#o.outbox.due(this.#now(), this.batchSize);
    for (const { id } of listed) {
      if (this.#halt) break;
      try {
        result[await this.#handle(id)] += 1;
      } catch (err) {
        // Stryker disable next-line MethodExpression: a debug log argument, the item id shortened for reading (the id is a digest of sub and alias, nothing to hide)
        log('outbox item %s: the outbox store failed (%s); left for a later run', id.slice(0, 12), codeOf(err));
        result.failed += 1;
      }
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: equivalent, it only decides whether a debug line is written
    if (listed.length > 0) {
      log('outbox run: %d delivered, %d retried, %d dead-lettered, %d skipped, %d failed', result.delivered, result.retried, result.deadLettered, result.skipped, result.failed);
    }
    return result;
  }

  /** Store errors are thrown: the item stays for a later run. */
  async #handle(id: string): Promise<keyof OutboxRunResult> {
    const lease = await this.#o.outbox.claim(id, this.leaseMs);
    if (!lease) return 'skipped';
    // Re-read under the claim: another worker may have delivered or rescheduled it since the listing.
    const item = await this.#o.outbox.get(id);
    const now = this.#now();
    if (item === undefined) return 'skipped';
    if (item.expiresAt <= now) return this.#deadLetter(item, lease);
    if (item.nextAttemptAt > now) return 'skipped';

    let sent: FeedbackResult;
    try {
      sent = await this.#o.client.send(item.accessToken, item.report);
    } catch (err) {
      return this.#failed(item, lease, err);
    }
    try {
      await this.#o.outbox.remove(id, lease);
    } catch (err) {
      // Stryker disable next-line MethodExpression: a debug log argument, the item id shortened for reading (the id is a digest of sub and alias, nothing to hide)
      log('outbox item %s: delivered, but could not be removed (%s): it may be sent again', id.slice(0, 12), codeOf(err));
    }
    // Stryker disable next-line MethodExpression,ArithmeticOperator: debug log arguments, the id shortened for reading and the attempt shown
    log('outbox item %s: delivered (HTTP %d, attempt %d)', id.slice(0, 12), sent.status, item.attempts + 1);
    emit('onDelivered', this.#o.onDelivered, { item: itemInfo({ ...item, attempts: item.attempts + 1 }), status: sent.status });
    publish('outboxDeliver', () => outboxDiagnostic({ ...item, attempts: item.attempts + 1 }));
    return 'delivered';
  }

  async #failed(item: OutboxItem, lease: string, err: unknown): Promise<keyof OutboxRunResult> {
    const code = codeOf(err);
    const attempts = item.attempts + 1;
    if (FINAL_CODES.has(code) && (err as { retryable?: unknown }).retryable !== true) {
      return this.#deadLetter({ ...item, attempts }, lease, code);
    }
    const delayMs = Math.round(jitteredBackoff(attempts, this.backoff, this.#random));
    const next: OutboxItem = { ...item, attempts, nextAttemptAt: this.#now() + delayMs };
    if (!(await this.#o.outbox.update(next, lease))) {
      // Stryker disable next-line MethodExpression: a debug log argument, the item id shortened for reading (the id is a digest of sub and alias, nothing to hide)
      log('outbox item %s: attempt %d failed (%s), but the claim had expired: left to its new owner', item.id.slice(0, 12), attempts, code);
      return 'skipped';
    }
    // Stryker disable next-line MethodExpression: a debug log argument, the item id shortened for reading (the id is a digest of sub and alias, nothing to hide)
    log('outbox item %s: attempt %d failed (%s), next in %d ms', item.id.slice(0, 12), attempts, code, delayMs);
    emit('onRetry', this.#o.onRetry, { item: itemInfo(next), code, delayMs });
    return 'retried';
  }

  /** Its token expired (no `code`), or BindID refused it with `code`. */
  async #deadLetter(item: OutboxItem, lease: string, code?: string): Promise<'deadLettered'> {
    await this.#o.outbox.remove(item.id, lease);
    // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: text of a debug log line (only logged)
    const why = code === undefined ? 'its access token expired' : `BindID refused it (${code})`;
    // Stryker disable next-line MethodExpression: a debug log argument, the item id shortened for reading (the id is a digest of sub and alias, nothing to hide)
    log('outbox item %s: dead-lettered after %d attempt(s): %s', item.id.slice(0, 12), item.attempts, why);
    const reason = code === undefined ? 'expired' : 'rejected';
    emit('onDeadLetter', this.#o.onDeadLetter, { item: itemInfo(item), reason, ...(code === undefined ? {} : { code }) });
    publish('outboxDeadLetter', () => outboxDiagnostic(item, code === undefined ? reason : `${reason}: ${code}`));
    return 'deadLettered';
  }
}

/** A code that names an error without repeating anything it carries. */
function codeOf(err: unknown): string {
  return errorCode(err) ?? 'ERR_UNKNOWN';
}
