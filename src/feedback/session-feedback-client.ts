/**
 * `SessionFeedbackClient`. Retries only where safe: never delivered (connection refused, DNS), BindID asks to wait (429/503, at least
 * `Retry-After`), and once when ambiguous (other 5xx, reset, socket timeout). No redirect followed (a 307 would re-send the access token elsewhere).
 */
import { inspect } from 'node:util';
import { BindIdFeedbackError, ErrorCode, safeCause } from '../errors.js';
import { type HttpBody, HttpClient } from '../http/http-client.js';
import { type BackoffBounds, jitteredBackoff, sleep } from '../internal/backoff.js';
import { traceSessionFeedback } from '../internal/diagnostics.js';
import { logger } from '../internal/log.js';
import { readSchema, schemaReader, type SettingsOf } from '../internal/option-schema.js';
import { reworded } from './classify-response.js';
import { FEEDBACK_CLIENT_OPTIONS, type SessionFeedbackClientOptions } from './session-feedback-client-options.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { type CustomUserData, type CustomUserDataResult, customUserDataBody, readCustomUserData, renameError } from './custom-user-data.js';
import {
  type AliasDeletedInput,
  type AliasUpdatedInput,
  type AuthenticationPerformedInput,
  readInput,
  readReport,
  type SessionFeedbackReport,
} from './session-feedback-report.js';
import { type ApiCall, sendAttempt } from './send-attempt.js';
import { assertAccessToken, authorizationHeader } from './signing.js';

const log = logger('feedback');

export type { SessionFeedbackClientOptions };

/** What a successful report returns. */
export interface FeedbackResult {
  /** Any 2xx. */
  status: number;
  attempts: number;
  durationMs: number;
}

/**
 * Sends BindID session-feedback reports. One per app (it holds keep-alive connections); the client secret never appears in logs,
 * errors or `util.inspect` output.
 *
 * @example
 * ```ts
 * const feedback = new SessionFeedbackClient({ clientSecret: process.env.BINDID_CLIENT_SECRET!, apiUrl: 'https://api.bindid-sandbox.io' });
 * await feedback.authenticationPerformed({ accessToken, alias: String(user.id) });
 * ```
 */
export class SessionFeedbackClient {
  /** Without a trailing slash. */
  readonly apiUrl: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoff: BackoffBounds;
  readonly maxResponseBytes: number;

  readonly #settings: SettingsOf<typeof FEEDBACK_CLIENT_OPTIONS>;
  readonly #http = new HttpClient({ maxSockets: 64 });
  readonly #now: () => number;
  readonly #breaker: CircuitBreaker | undefined;

  constructor(options: SessionFeedbackClientOptions) {
    const s = readSchema(schemaReader('SessionFeedbackClient', options, FEEDBACK_CLIENT_OPTIONS), FEEDBACK_CLIENT_OPTIONS);
    this.#settings = s;
    this.apiUrl = s.apiUrl;
    this.timeoutMs = s.timeoutMs;
    this.retries = s.retries;
    this.backoff = s.backoff;
    this.maxResponseBytes = s.maxResponseBytes;
    this.#now = s.now ?? Date.now;
    this.#breaker = s.circuitBreaker ? new CircuitBreaker(s.circuitBreaker.failureThreshold, s.circuitBreaker.resetMs) : undefined;
  }

  /**
   * `authentication_performed`: the app authenticated the user of this BindID session; gives BindID the user's alias. Every error is a rejection.
   *
   * @throws BindIdArgumentError before any I/O for a bad token, alias, time or amr.
   * @throws BindIdFeedbackError `ERR_BINDID_REJECTED`, `ERR_BINDID_UNAUTHORIZED`, `ERR_BINDID_UNAVAILABLE` or `ERR_BINDID_TIMEOUT`:
   *   BindID did not accept the report.
   */
  async authenticationPerformed(input: AuthenticationPerformedInput): Promise<FeedbackResult> {
    const i = readInput(input, ['accessToken', 'alias', 'time', 'amr']);
    return this.#post(i.accessToken, { type: 'authentication_performed', alias: i.alias, time: this.#time(i.time), amr: i.amr });
  }

  /** `alias_updated`. Errors as {@link authenticationPerformed}. */
  async aliasUpdated(input: AliasUpdatedInput): Promise<FeedbackResult> {
    const i = readInput(input, ['accessToken', 'alias', 'time']);
    return this.#post(i.accessToken, { type: 'alias_updated', alias: i.alias, time: this.#time(i.time) });
  }

  /** `alias_deleted`. Errors as {@link authenticationPerformed}. */
  async aliasDeleted(input: AliasDeletedInput): Promise<FeedbackResult> {
    const i = readInput(input, ['accessToken', 'alias', 'time']);
    return this.#post(i.accessToken, { type: 'alias_deleted', alias: i.alias, time: this.#time(i.time) });
  }

  /** Send a built report (one queued, replayed with its `time`); a field outside the protocol is `ERR_BINDID_INVALID_ARGUMENT`. */
  async send(accessToken: string, report: SessionFeedbackReport): Promise<FeedbackResult> {
    return this.#post(accessToken, report);
  }

  async #post(accessToken: unknown, input: unknown): Promise<FeedbackResult> {
    assertAccessToken(accessToken);
    const report = readReport(input);
    const body = JSON.stringify({ subject_session_at: accessToken, reports: [report] });
    return traceSessionFeedback(report.type, async () => {
      const { body: _ignored, ...result } = await this.#request(report.type, { method: 'POST', url: `${this.apiUrl}/session-feedback`, body }, accessToken);
      return result;
    });
  }

  /** The custom user data of this session's alias (none: BindID refuses, `ERR_BINDID_REJECTED`); signing, deadline, retries and errors as reports. */
  async getCustomUserData(accessToken: string): Promise<CustomUserDataResult & { data: CustomUserData }> {
    return this.#customUserData('GET', accessToken, undefined) as Promise<CustomUserDataResult & { data: CustomUserData }>;
  }

  /** Replace the custom user data of the alias (at most 64 KiB). Errors as {@link getCustomUserData}. */
  async setCustomUserData(accessToken: string, data: CustomUserData): Promise<CustomUserDataResult> {
    return this.#customUserData('POST', accessToken, data);
  }

  /** Merge `patch` into the custom user data (`PATCH`, RFC 7386: `null` deletes a member). Errors as {@link getCustomUserData}. */
  async patchCustomUserData(accessToken: string, patch: CustomUserData): Promise<CustomUserDataResult> {
    return this.#customUserData('PATCH', accessToken, patch);
  }

  /** All three are idempotent (a merge patch applied twice gives the same document): retried as reports are. */
  async #customUserData(method: 'GET' | 'POST' | 'PATCH', accessToken: unknown, data: unknown): Promise<CustomUserDataResult> {
    assertAccessToken(accessToken);
    const body = method === 'GET' ? undefined : customUserDataBody(data, method === 'POST' ? 'setCustomUserData(data)' : 'patchCustomUserData(patch)');
    try {
      const r = await this.#request(`custom-user-data ${method}`, { method, url: `${this.apiUrl}/custom-user-data`, body, readBody: true }, accessToken);
      return { status: r.status, attempts: r.attempts, durationMs: r.durationMs, data: readCustomUserData(r.body, method === 'GET', r.status, r.attempts) };
    } catch (err) {
      throw renameError(err, `custom user data (${method})`);
    }
  }

  async #request(label: string, request: ApiCall, accessToken: string): Promise<FeedbackResult & { body?: HttpBody }> {
    // Signed per attempt with the secret current then (a rotation applies at once); the first signing also checks it before any I/O.
    const sign = (): Record<string, string> => ({
      ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      Accept: 'application/json',
      Authorization: authorizationHeader(this.#settings.clientSecret(), accessToken),
      'User-Agent': this.#settings.userAgent,
    });
    const headers = sign();

    if (this.#breaker && !this.#breaker.allow()) {
      log('%s not sent: circuit open after repeated outages', label);
      throw new BindIdFeedbackError(
        ErrorCode.UNAVAILABLE,
        'BindID session feedback not sent: BindID failed repeatedly and is given a rest (circuit open)',
        { status: 503, retryable: true, attempts: 0, cause: safeCause(undefined, 'circuit open') },
      );
    }
    try {
      const result = await this.#deliver(label, request, (attempt) => (attempt === 1 ? headers : sign()));
      this.#breaker?.success();
      return result;
    } catch (err) {
      const { code } = err as { code?: unknown };
      if (code === ErrorCode.UNAVAILABLE || code === ErrorCode.TIMEOUT) this.#breaker?.failure();
      else this.#breaker?.success();
      throw err;
    }
  }

  async #deliver(
    type: string,
    request: ApiCall,
    headersFor: (attempt: number) => Record<string, string>,
  ): Promise<FeedbackResult & { body?: HttpBody }> {
    const started = performance.now();
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), this.timeoutMs);
    let attempts = 0;
    let ambiguousRetries = 0;
    try {
      for (;;) {
        attempts += 1;
        const attempt = { ...request, headers: headersFor(attempts), signal: controller.signal, maxBytes: this.maxResponseBytes };
        const outcome = await sendAttempt(this.#http, attempt, this.#now);
        const elapsed = performance.now() - started;
        if (outcome.kind === 'ok') {
          log('%s accepted: HTTP %d after %d attempt(s) in %d ms', type, outcome.status, attempts, Math.round(elapsed));
          return { status: outcome.status, attempts, durationMs: elapsed, ...(outcome.body ? { body: outcome.body } : {}) };
        }
        if (controller.signal.aborted) throw this.#timeoutError(type, attempts);
        if (outcome.kind === 'fail') {
          const error = ambiguousRetries > 0 ? possiblyApplied(outcome.error(attempts)) : outcome.error(attempts);
          log('%s failed: %s after %d attempt(s)', type, error.code, attempts);
          throw error;
        }
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

  /** The full-jitter delay before retry `attempt` (1-based): random in [0, min(maxMs, baseMs × 2^(attempt-1))] ms. */
  backoffDelay(attempt: number): number {
    return jitteredBackoff(attempt, this.backoff, this.#settings.random ?? Math.random);
  }

  /** Close the keep-alive connections. */
  close(): void {
    this.#http.close();
  }

  /** No secret. */
  [inspect.custom](): string {
    return `SessionFeedbackClient { apiUrl: '${this.apiUrl}', timeoutMs: ${this.timeoutMs}, retries: ${this.retries} }`;
  }

  /** No secret. */
  toJSON(): Record<string, unknown> {
    return { apiUrl: this.apiUrl, timeoutMs: this.timeoutMs, retries: this.retries, backoff: this.backoff };
  }

  #time(time: unknown): unknown {
    return time === undefined ? Math.floor(this.#now() / 1000) : time;
  }

  /** Logged: operators see nothing otherwise. */
  #timeoutError(type: string, attempts: number): BindIdFeedbackError {
    log('%s timed out: no answer within %d ms after %d attempt(s)', type, this.timeoutMs, attempts);
    return new BindIdFeedbackError(
      ErrorCode.TIMEOUT,
      `BindID session feedback did not complete within ${this.timeoutMs} ms (${attempts} attempt(s))`,
      { status: 504, retryable: true, attempts, cause: safeCause(undefined, 'deadline reached') },
    );
  }
}

/** A refusal after an unanswered attempt, which may have been applied (BindID sets an alias once, and may refuse the repeat). */
function possiblyApplied(error: BindIdFeedbackError): BindIdFeedbackError {
  if (error.code !== ErrorCode.REJECTED) return error;
  return reworded(error, `${error.message}; an earlier attempt went unanswered and may have been applied`, true);
}
