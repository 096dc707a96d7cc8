/**
 * What the library publishes on `node:diagnostics_channel`. Every payload is built here from counts, names, codes and
 * durations: never a secret, a token, an HMAC, a password, a username or an alias. Costs nothing while nobody subscribes.
 */
import diagnostics from 'node:diagnostics_channel';
import { isBindIdError } from '../errors.js';

/** The channel names: a stable contract (docs/observability.md). */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  /** Tracing channel around one session-feedback report (all its attempts): `SessionFeedbackTrace`. */
  sessionFeedback: 'express-bindid:session-feedback',
  /** Tracing channel around the callback's code-for-tokens exchange: `TokenExchangeTrace`. */
  tokenExchange: 'express-bindid:token-exchange',
  /** A report was queued for later delivery (fail-open): `OutboxDiagnostic`. */
  outboxEnqueue: 'express-bindid:outbox:enqueue',
  /** A queued report was delivered: `OutboxDiagnostic`. */
  outboxDeliver: 'express-bindid:outbox:deliver',
  /** A queued report was given up (dead letter): `OutboxDiagnostic`. */
  outboxDeadLetter: 'express-bindid:outbox:dead-letter',
  /** The session-feedback circuit breaker changed state: `CircuitStateChange`. */
  circuitBreaker: 'express-bindid:circuit-breaker',
  /** A password check was refused because a limit was used up: `AttemptsLocked`. */
  attemptsLocked: 'express-bindid:attempts:locked',
});

/**
 * The context object of the `session-feedback` tracing channel. At `start` only `type` is set; the
 * library fills the rest before `asyncEnd` (Node adds `result` or `error`, a `BindIdFeedbackError`).
 */
export interface SessionFeedbackTrace {
  type: 'authentication_performed' | 'alias_updated' | 'alias_deleted';
  /** HTTP status of BindID's last answer, when there was one. */
  status?: number;
  /** Attempts made (0 when the circuit was open). */
  attempts?: number;
  durationMs?: number;
  /** The error code when it failed (`ERR_BINDID_UNAVAILABLE`, ...). */
  code?: string;
}

/** The context object of the `token-exchange` tracing channel. */
export interface TokenExchangeTrace {
  /** Filled before `asyncEnd`: whether the ID token carried `bindid_alias`. */
  returningUser?: boolean;
  durationMs?: number;
  code?: string;
}

/** A message on the outbox channels. */
export interface OutboxDiagnostic {
  /** The item's id (an opaque hash, no token inside). */
  id: string;
  type: SessionFeedbackTrace['type'];
  /** Delivery attempts so far. */
  attempts: number;
  /** Dead letters: why it was given up. */
  reason?: string;
}

/** A message on the `circuit-breaker` channel. */
export interface CircuitStateChange {
  from: 'closed' | 'open' | 'half-open';
  to: 'closed' | 'open' | 'half-open';
  /** Consecutive outages counted when it changed. */
  failures: number;
}

/** A message on the `attempts:locked` channel. */
export interface AttemptsLocked {
  /** Which limit: the pending login's attempts, the account's or the client's (IP). */
  limit: 'pending-login' | 'account' | 'client';
  /** The count that passed the limit. */
  count: number;
}

/** What each channel of {@link DIAGNOSTICS_CHANNELS} carries, by the same keys: the tracing channels' context, the others' messages. */
export interface DiagnosticsPayloads {
  sessionFeedback: SessionFeedbackTrace;
  tokenExchange: TokenExchangeTrace;
  outboxEnqueue: OutboxDiagnostic;
  outboxDeliver: OutboxDiagnostic;
  outboxDeadLetter: OutboxDiagnostic;
  circuitBreaker: CircuitStateChange;
  attemptsLocked: AttemptsLocked;
}

const feedbackTracing = diagnostics.tracingChannel<object, SessionFeedbackTrace>(DIAGNOSTICS_CHANNELS.sessionFeedback);
const tokenTracing = diagnostics.tracingChannel<object, TokenExchangeTrace>(DIAGNOSTICS_CHANNELS.tokenExchange);
type PlainChannel = Exclude<keyof DiagnosticsPayloads, 'sessionFeedback' | 'tokenExchange'>;
const PLAIN: readonly PlainChannel[] = ['outboxEnqueue', 'outboxDeliver', 'outboxDeadLetter', 'circuitBreaker', 'attemptsLocked'];
const plain = new Map(PLAIN.map((name) => [name, diagnostics.channel(DIAGNOSTICS_CHANNELS[name])]));

/**
 * Run `fn` inside the tracing channel, `fill` copying only safe fields of its outcome into `context`. What Node attaches stays
 * safe too: the traced function resolves with nothing (no token set becomes `context.result`) and rejects with a `BindIdError`
 * (built to hold no secret) or a plain `Error` naming the class. The caller gets `fn`'s own result or error.
 */
async function trace<T, C extends object>(
  traced: diagnostics.TracingChannel<object, C>,
  context: C,
  fn: () => Promise<T>,
  fill: (context: C, outcome: { result?: T; error?: unknown }) => void,
): Promise<T> {
  if (!traced.hasSubscribers) return fn();
  const started = performance.now();
  // Set synchronously by tracePromise; a synchronous throw of `fn` becomes its rejection.
  let run: Promise<T> | undefined;
  await traced
    .tracePromise(async () => {
      run = new Promise<T>((resolve) => resolve(fn()));
      try {
        fill(context, { result: await run });
      } catch (error) {
        fill(context, { error });
        throw isBindIdError(error) ? error : new Error(`${error instanceof Error ? error.name : typeof error} (not a BindIdError)`);
      } finally {
        (context as { durationMs?: number }).durationMs = performance.now() - started;
      }
    }, context)
    .catch(() => undefined);
  return run ?? Promise.reject(new Error('unreachable: the traced function did not run'));
}

function errorFields(error: unknown): { code?: string; status?: number; attempts?: number } {
  const { code, upstreamStatus, attempts } = (error ?? {}) as { code?: unknown; upstreamStatus?: unknown; attempts?: unknown };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof upstreamStatus === 'number' ? { status: upstreamStatus } : {}),
    ...(typeof attempts === 'number' ? { attempts } : {}),
  };
}

export function traceSessionFeedback<T extends { status: number; attempts: number }>(type: SessionFeedbackTrace['type'], fn: () => Promise<T>): Promise<T> {
  return trace(feedbackTracing, { type } as SessionFeedbackTrace, fn, (context, { result, error }) => {
    if (result) Object.assign(context, { status: result.status, attempts: result.attempts });
    else Object.assign(context, errorFields(error));
  });
}

/** Trace the callback's token exchange; `returningUser` reads the outcome (no claim is published). */
export function traceTokenExchange<T>(fn: () => Promise<T>, returningUser: (result: T) => boolean): Promise<T> {
  return trace(tokenTracing, {} as TokenExchangeTrace, fn, (context, { result, error }) => {
    const { code } = errorFields(error);
    if (result !== undefined) context.returningUser = returningUser(result);
    else if (code) context.code = code;
  });
}

/** Publish on a plain channel, building the message only when someone listens. */
export function publish<N extends PlainChannel>(name: N, message: () => DiagnosticsPayloads[N]): void {
  const channel = plain.get(name);
  if (channel?.hasSubscribers) channel.publish(message());
}
