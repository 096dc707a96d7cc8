/**
 * `SessionFeedbackClient`: sends BindID session-feedback reports (`POST <apiUrl>/session-feedback`).
 *
 * One call = one report, signed with the client secret, inside one overall deadline. Retries happen
 * only where they are safe: when the request was never delivered (connection refused, DNS), when
 * BindID asks to wait (429/503, honouring `Retry-After`), and at most once when the outcome is
 * ambiguous (other 5xx, connection reset, socket timeout). Each wait is the jittered exponential
 * backoff, and at least what `Retry-After` asks. 400/401/403 and redirects are never retried, and
 * redirects are never followed (a 307 would re-send the access token elsewhere).
 *
 * @module
 */
import { inspect } from 'node:util';
import type { AxiosInstance } from 'axios';
import { BindIdFeedbackError, ErrorCode, safeCause } from '../errors.js';
import { type BackoffBounds, type BackoffOptions, jitteredBackoff, readBackoff, sleep } from '../internal/backoff.js';
import { traceSessionFeedback } from '../internal/diagnostics.js';
import { logger } from '../internal/log.js';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { AxiosTransport } from './axios-transport.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import {
  type AliasDeletedInput,
  type AliasUpdatedInput,
  type AuthenticationPerformedInput,
  readInput,
  readReport,
  type SessionFeedbackReport,
} from './session-feedback-report.js';
import { assertAccessToken, authorizationHeader, readClientSecret } from './signing.js';

const log = logger('feedback');

/** Options of {@link SessionFeedbackClient}. */
export interface SessionFeedbackClientOptions {
  /**
   * The BindID client secret (from the BindID admin portal), or a function returning the current
   * one (read for every attempt, retries included, so a rotated secret is used at once).
   */
  clientSecret: string | (() => string);
  /**
   * Base URL of BindID's service-provider API, e.g. `https://api.bindid-sandbox.io` (sandbox) or
   * `https://api.bindid.io` (production). Must be https, except for loopback hosts.
   */
  apiUrl: string;
  /** Overall deadline of one report, covering every attempt and wait, in ms. Default 5000. */
  timeoutMs?: number;
  /** Most retries after the first attempt. Default 2. Ambiguous failures are retried at most once. */
  retries?: number;
  /** Backoff bounds. Defaults `{ baseMs: 100, maxMs: 2000 }`. */
  backoff?: BackoffOptions;
  /** Largest response body read, in bytes; the rest is discarded. Default 65536. */
  maxResponseBytes?: number;
  /**
   * The axios instance to send with (the http or the fetch adapter). Default: a private instance
   * with keep-alive agents and no proxy. Per request this client always sets `maxRedirects: 0`,
   * `allowAbsoluteUrls: true`, its own deadline, body cap and status handling. Its response
   * interceptors must return the response itself. If your instance retries by itself
   * (axios-retry), set `retries: 0`.
   */
  axios?: AxiosInstance;
  /** Clock used for a report's default `time`, in ms since 1970. Default `Date.now`. */
  now?: () => number;
  /** Source of jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** `User-Agent` header. Default `express-bindid`. */
  userAgent?: string;
  /**
   * Fail fast while BindID is known to be down: after `failureThreshold` consecutive outages, reports
   * fail at once (`ERR_BINDID_UNAVAILABLE`, no network I/O) for `resetMs`, then one probe is let
   * through. Default `{ failureThreshold: 5, resetMs: 30000 }`; `false` turns it off.
   */
  circuitBreaker?: CircuitBreakerOptions | false;
}

const KNOWN: KnownKeys<SessionFeedbackClientOptions> = {
  clientSecret: true,
  apiUrl: true,
  timeoutMs: true,
  retries: true,
  backoff: true,
  maxResponseBytes: true,
  axios: true,
  now: true,
  random: true,
  userAgent: true,
  circuitBreaker: true,
};
const KNOWN_BREAKER: KnownKeys<CircuitBreakerOptions> = { failureThreshold: true, resetMs: true };
/** @internal The option names, checked against the README by test/readme-options.test.ts (not in the package root). */
export { KNOWN as FEEDBACK_CLIENT_OPTION_KEYS };

/** What a successful report returns. */
export interface FeedbackResult {
  /** BindID's HTTP status (any 2xx). */
  status: number;
  /** HTTP attempts made, 1 when the first one succeeded. */
  attempts: number;
  /** Wall time of the whole call, in ms. */
  durationMs: number;
}

/**
 * Sends BindID session-feedback reports. Construct one per app and reuse it: it holds keep-alive
 * connections. The client secret is kept in a private field and never appears in logs, errors or
 * `util.inspect` output.
 *
 * @example
 * ```ts
 * const feedback = new SessionFeedbackClient({
 *   clientSecret: process.env.BINDID_CLIENT_SECRET!,
 *   apiUrl: 'https://api.bindid-sandbox.io',
 * });
 * await feedback.authenticationPerformed({ accessToken, alias: String(user.id) });
 * ```
 */
export class SessionFeedbackClient {
  /** The API base URL, without a trailing slash. */
  readonly apiUrl: string;
  /** Overall deadline per report, in ms. */
  readonly timeoutMs: number;
  /** Most retries per report. */
  readonly retries: number;
  /** Backoff bounds in use. */
  readonly backoff: BackoffBounds;
  /** Largest response body read, in bytes. */
  readonly maxResponseBytes: number;

  readonly #secret: () => string;
  readonly #transport: AxiosTransport;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #userAgent: string;
  readonly #endpoint: string;
  readonly #breaker: CircuitBreaker | undefined;

  constructor(options: SessionFeedbackClientOptions) {
    const o = new OptionReader('SessionFeedbackClient', options, KNOWN);
    this.#secret = readClientSecret(o);
    this.apiUrl = o.baseUrl('apiUrl', 'https://api.bindid-sandbox.io');
    this.#endpoint = `${this.apiUrl}/session-feedback`;
    this.timeoutMs = o.integer('timeoutMs', 5000, 100, 120_000);
    this.retries = o.integer('retries', 2, 0, 10);
    this.backoff = readBackoff(o, { baseMs: 100, maxMs: 2000, baseLimit: 60_000, maxLimit: 60_000 });
    this.maxResponseBytes = o.integer('maxResponseBytes', 65_536, 0, 16 * 1024 * 1024);
    this.#now = o.fn<() => number>('now') ?? Date.now;
    this.#random = o.fn<() => number>('random') ?? Math.random;
    this.#userAgent = o.string('userAgent', 'express-bindid');
    if (!/^[\x20-\x7e]{1,256}$/.test(this.#userAgent)) {
      throw o.error('userAgent', 'must be 1 to 256 printable ASCII characters (no CR, LF or other controls)');
    }
    if (o.raw('circuitBreaker') === false) {
      this.#breaker = undefined;
    } else {
      const c = o.nested('circuitBreaker', KNOWN_BREAKER);
      this.#breaker = new CircuitBreaker(c.integer('failureThreshold', 5, 1, 1000), c.integer('resetMs', 30_000, 100, 3_600_000));
    }
    const injected = o.raw('axios');
    if (injected !== undefined && typeof (injected as { request?: unknown } | null)?.request !== 'function') {
      throw o.error('axios', 'must be an axios instance (from axios.create())');
    }
    this.#transport = new AxiosTransport(injected as AxiosInstance | undefined);
  }

  /**
   * Report that the app authenticated the user of this BindID session and give BindID the user's
   * alias (`authentication_performed`): the first-login confirmation.
   *
   * Never throws synchronously: every error, including a bad input, is a rejection.
   *
   * @throws BindIdArgumentError before any I/O for a bad token, alias, time or amr.
   * @throws BindIdFeedbackError `ERR_BINDID_REJECTED`, `ERR_BINDID_UNAUTHORIZED`,
   *   `ERR_BINDID_UNAVAILABLE` or `ERR_BINDID_TIMEOUT` when BindID did not accept the report.
   */
  async authenticationPerformed(input: AuthenticationPerformedInput): Promise<FeedbackResult> {
    const i = readInput(input, ['accessToken', 'alias', 'time', 'amr']);
    return this.#post(i.accessToken, { type: 'authentication_performed', alias: i.alias, time: this.#time(i.time), amr: i.amr });
  }

  /** Change the alias of the user of this BindID session (`alias_updated`). Errors as {@link authenticationPerformed}. */
  async aliasUpdated(input: AliasUpdatedInput): Promise<FeedbackResult> {
    const i = readInput(input, ['accessToken', 'alias', 'time']);
    return this.#post(i.accessToken, { type: 'alias_updated', alias: i.alias, time: this.#time(i.time) });
  }

  /** Remove the alias of the user of this BindID session (`alias_deleted`). Errors as {@link authenticationPerformed}. */
  async aliasDeleted(input: AliasDeletedInput): Promise<FeedbackResult> {
    const i = readInput(input, ['accessToken', 'alias', 'time']);
    return this.#post(i.accessToken, { type: 'alias_deleted', alias: i.alias, time: this.#time(i.time) });
  }

  /**
   * Send one already-built report. The typed methods above are the usual entry points; this one is
   * for callers that queue reports and replay them with their original `time`. Only the report's
   * protocol fields are sent, in protocol order (`type`, `alias`, `time`, `amr`); any other field is
   * an `ERR_BINDID_INVALID_ARGUMENT`.
   */
  async send(accessToken: string, report: SessionFeedbackReport): Promise<FeedbackResult> {
    return this.#post(accessToken, report);
  }

  /** Validate, sign and send one report, with the retries and the deadline described in the module doc. */
  async #post(accessToken: unknown, input: unknown): Promise<FeedbackResult> {
    assertAccessToken(accessToken);
    const report = readReport(input);
    return traceSessionFeedback(report.type, () => this.#postChecked(accessToken, report));
  }

  /** {@link #post} once the token and the report passed their checks (traced on `diagnostics_channel`). */
  async #postChecked(accessToken: string, report: SessionFeedbackReport): Promise<FeedbackResult> {
    const body = JSON.stringify({ subject_session_at: accessToken, reports: [report] });
    // Signed for each attempt with the secret current at that moment (a rotation during the
    // retries applies at once); the first signing also checks the secret before any I/O.
    const sign = (): Record<string, string> => ({
      'Content-Type': 'application/json',
      Accept: 'application/json',
      Authorization: authorizationHeader(this.#secret(), accessToken),
      'User-Agent': this.#userAgent,
    });
    const headers = sign();

    if (this.#breaker && !this.#breaker.allow()) {
      log('%s not sent: circuit open after repeated outages', report.type);
      throw new BindIdFeedbackError(
        ErrorCode.UNAVAILABLE,
        'BindID session feedback not sent: BindID failed repeatedly and is given a rest (circuit open)',
        { status: 503, retryable: true, attempts: 0, cause: safeCause(undefined, 'circuit open') },
      );
    }
    try {
      const result = await this.#deliver(report.type, body, (attempt) => (attempt === 1 ? headers : sign()));
      this.#breaker?.success();
      return result;
    } catch (err) {
      const outage = (err as { code?: unknown }).code === ErrorCode.UNAVAILABLE || (err as { code?: unknown }).code === ErrorCode.TIMEOUT;
      if (outage) this.#breaker?.failure();
      else this.#breaker?.success();
      throw err;
    }
  }

  /** The attempts of one report inside its deadline. */
  async #deliver(
    type: SessionFeedbackReport['type'],
    body: string,
    headersFor: (attempt: number) => Record<string, string>,
  ): Promise<FeedbackResult> {
    const started = performance.now();
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), this.timeoutMs);
    let attempts = 0;
    let ambiguousRetries = 0;
    try {
      for (;;) {
        attempts += 1;
        const outcome = await this.#transport.attempt({
          url: this.#endpoint,
          body,
          headers: headersFor(attempts),
          signal: controller.signal,
          maxResponseBytes: this.maxResponseBytes,
          now: this.#now,
        });
        const elapsed = performance.now() - started;
        if (outcome.kind === 'ok') {
          log('%s accepted: HTTP %d after %d attempt(s) in %d ms', type, outcome.status, attempts, Math.round(elapsed));
          return { status: outcome.status, attempts, durationMs: elapsed };
        }
        if (controller.signal.aborted) throw this.#timeoutError(type, attempts);
        if (outcome.kind === 'fail') {
          const error = outcome.error(attempts);
          log('%s failed: %s after %d attempt(s)', type, error.code, attempts);
          throw error;
        }
        // A retryable outcome: one more attempt only if allowed and if it fits in the deadline.
        const allowed = attempts - 1 < this.retries && (outcome.why !== 'ambiguous' || ambiguousRetries < 1);
        // Retry-After is a floor: `0` or a past date must not turn retries into a tight loop.
        const delay = Math.max(outcome.retryAfterMs ?? 0, this.backoffDelay(attempts));
        const fits = elapsed + delay < this.timeoutMs;
        log(
          '%s attempt %d: %s (%s)%s',
          type,
          attempts,
          outcome.label,
          outcome.why,
          allowed && fits ? `, retrying in ${Math.round(delay)} ms` : '',
        );
        if (!allowed || !fits) {
          throw new BindIdFeedbackError(
            ErrorCode.UNAVAILABLE,
            `BindID session feedback failed after ${attempts} attempt(s): ${outcome.label}` +
              (allowed ? ' (the next retry would pass the deadline)' : ''),
            { status: 503, retryable: true, cause: outcome.cause, attempts, upstreamStatus: outcome.status },
          );
        }
        if (outcome.why === 'ambiguous') ambiguousRetries += 1;
        await sleep(delay, controller.signal);
        if (controller.signal.aborted) throw this.#timeoutError(type, attempts);
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  /**
   * The full-jitter delay before retry number `attempt` (1-based): random in
   * [0, min(maxMs, baseMs × 2^(attempt-1))]. Always a finite number of ms: a non-integer `attempt`
   * is floored, a non-finite one counts as 1, and a `random()` outside [0, 1] is clamped (NaN as 0).
   */
  backoffDelay(attempt: number): number {
    return jitteredBackoff(attempt, this.backoff, this.#random);
  }

  /** Close the keep-alive connections of the client's own agents (not of an injected axios). */
  close(): void {
    this.#transport.close();
  }

  /** What `util.inspect` and `console.log` show: no secret. */
  [inspect.custom](): string {
    return `SessionFeedbackClient { apiUrl: '${this.apiUrl}', timeoutMs: ${this.timeoutMs}, retries: ${this.retries} }`;
  }

  /** What `JSON.stringify` shows: no secret. */
  toJSON(): Record<string, unknown> {
    return { apiUrl: this.apiUrl, timeoutMs: this.timeoutMs, retries: this.retries, backoff: this.backoff };
  }

  /** The report's `time`: as given (checked with the rest of the report), or now in whole seconds. */
  #time(time: unknown): unknown {
    return time === undefined ? Math.floor(this.#now() / 1000) : time;
  }

  /** The deadline passed: log it (operators see nothing otherwise) and build the error. */
  #timeoutError(type: string, attempts: number): BindIdFeedbackError {
    log('%s timed out: no answer within %d ms after %d attempt(s)', type, this.timeoutMs, attempts);
    return new BindIdFeedbackError(
      ErrorCode.TIMEOUT,
      `BindID session feedback did not complete within ${this.timeoutMs} ms (${attempts} attempt(s))`,
      { status: 504, retryable: true, attempts, cause: safeCause(undefined, 'deadline reached') },
    );
  }
}
