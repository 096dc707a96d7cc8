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
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { inspect } from 'node:util';
import axiosDefault, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import {
  BindIdArgumentError,
  BindIdFeedbackError,
  ErrorCode,
  invalidArgument,
  safeCause,
} from '../errors.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { logger, printable } from '../internal/log.js';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { assertAccessToken, authorizationHeader, describeType } from './signing.js';

const log = logger('feedback');

/** Longest alias accepted, in characters. */
export const MAX_ALIAS_LENGTH = 256;

/** Bounds of the exponential backoff between attempts (full jitter: each delay is random in [0, bound]). */
export interface BackoffOptions {
  /** Upper bound of the first delay, in ms. Default 100. */
  baseMs?: number;
  /** Largest delay bound, in ms; the bound doubles per attempt up to this. Default 2000. */
  maxMs?: number;
}

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
const KNOWN_BACKOFF: KnownKeys<BackoffOptions> = { baseMs: true, maxMs: true };

/** One session-feedback report, as sent inside `reports: [...]`. */
export type SessionFeedbackReport =
  | { type: 'authentication_performed'; alias: string; time: number; amr?: string[] }
  | { type: 'alias_updated'; alias: string; time: number }
  | { type: 'alias_deleted'; alias?: string; time: number };

/** Input of {@link SessionFeedbackClient.authenticationPerformed}. */
export interface AuthenticationPerformedInput {
  /** The BindID access token of the session being reported on (from the `/token` response). */
  accessToken: string;
  /** The app's identifier for this user, unique per user. */
  alias: string;
  /** When the app authenticated the user, in whole seconds since 1970. Default: now. */
  time?: number;
  /** OIDC AMR values of the app's own authentication, e.g. `['pwd']`. */
  amr?: string[];
}

/** Input of {@link SessionFeedbackClient.aliasUpdated}. */
export interface AliasUpdatedInput {
  accessToken: string;
  /** The new alias. */
  alias: string;
  time?: number;
}

/** Input of {@link SessionFeedbackClient.aliasDeleted}. */
export interface AliasDeletedInput {
  accessToken: string;
  alias?: string;
  time?: number;
}

/** What a successful report returns. */
export interface FeedbackResult {
  /** BindID's HTTP status (any 2xx). */
  status: number;
  /** HTTP attempts made, 1 when the first one succeeded. */
  attempts: number;
  /** Wall time of the whole call, in ms. */
  durationMs: number;
}

/** How one attempt ended. */
type Outcome =
  | { kind: 'ok'; status: number }
  | { kind: 'fail'; error: (attempts: number) => BindIdFeedbackError }
  | {
      kind: 'retry';
      /** `safe`: never delivered; `wait`: BindID asked to wait; `ambiguous`: may have been processed. */
      why: 'safe' | 'wait' | 'ambiguous';
      retryAfterMs?: number;
      status?: number;
      cause: Error;
      label: string;
    };

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
  readonly backoff: Readonly<Required<BackoffOptions>>;
  /** Largest response body read, in bytes. */
  readonly maxResponseBytes: number;

  readonly #secret: () => string;
  readonly #axios: AxiosInstance;
  readonly #ownAxios: boolean;
  readonly #agents: { http: http.Agent; https: https.Agent } | undefined;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #userAgent: string;
  readonly #endpoint: string;
  readonly #breaker: CircuitBreaker | undefined;

  constructor(options: SessionFeedbackClientOptions) {
    const o = new OptionReader('SessionFeedbackClient', options, KNOWN);
    this.#secret = readSecret(o);
    this.apiUrl = o.baseUrl('apiUrl', 'https://api.bindid-sandbox.io');
    this.#endpoint = `${this.apiUrl}/session-feedback`;
    this.timeoutMs = o.integer('timeoutMs', 5000, 100, 120_000);
    this.retries = o.integer('retries', 2, 0, 10);
    const b = o.nested('backoff', KNOWN_BACKOFF);
    const baseMs = b.integer('baseMs', 100, 0, 60_000);
    const maxMs = b.integer('maxMs', Math.max(2000, baseMs), 0, 60_000);
    if (maxMs < baseMs) throw o.error('backoff.maxMs', `must be at least backoff.baseMs (${baseMs})`);
    this.backoff = Object.freeze({ baseMs, maxMs });
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
    if (injected !== undefined) {
      if (typeof (injected as { request?: unknown } | null)?.request !== 'function') {
        throw o.error('axios', 'must be an axios instance (from axios.create())');
      }
      this.#axios = injected as AxiosInstance;
      this.#ownAxios = false;
      this.#agents = undefined;
    } else {
      this.#agents = {
        http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
        https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
      };
      this.#axios = axiosDefault.create({
        httpAgent: this.#agents.http,
        httpsAgent: this.#agents.https,
        proxy: false,
      });
      this.#ownAxios = true;
    }
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
        const outcome = await this.#attempt(body, headersFor(attempts), controller.signal);
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
    this.#agents?.http.destroy();
    this.#agents?.https.destroy();
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

  async #attempt(body: string, headers: Record<string, string>, signal: AbortSignal): Promise<Outcome> {
    const config: AxiosRequestConfig = {
      method: 'POST',
      url: this.#endpoint,
      // An instance's `baseURL` with `allowAbsoluteUrls: false` would send the token elsewhere.
      allowAbsoluteUrls: true,
      data: body,
      headers,
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'stream',
      transformRequest: [(data: unknown) => data],
      // The body is capped by drain(): axios' own cap would fail a 2xx with a large Content-Length.
      maxContentLength: -1,
      maxBodyLength: Buffer.byteLength(body) + 1,
      timeout: 0,
      signal,
    };
    if (this.#ownAxios) config.proxy = false;
    let response: unknown;
    try {
      // The deadline holds even when an injected adapter or interceptor ignores the signal: an
      // answer that comes after it is dropped (its body stream destroyed), never taken.
      response = await settleBy(this.#axios.request(config), signal, (late: unknown) => toNodeStream(isResponse(late) ? late.data : late)?.destroy());
    } catch (err) {
      return classifyError(err);
    }
    if (response === DEADLINE_PASSED) return deadlinePassed;
    if (!isResponse(response)) {
      toNodeStream(response)?.destroy(); // a bare body stream would hold its socket
      return notAResponse;
    }
    await drain(response.data, this.maxResponseBytes, signal);
    return classifyStatus(response, this.#now());
  }
}

function readSecret(o: OptionReader): () => string {
  const raw = o.raw('clientSecret');
  if (typeof raw === 'function') {
    return () => {
      let value: unknown;
      try {
        value = (raw as () => unknown)();
      } catch (err) {
        // Its message may hold anything, the secret included: keep only a system code.
        throw new BindIdArgumentError(
          ErrorCode.INVALID_OPTION,
          'express-bindid: SessionFeedbackClient() option `clientSecret` threw when called (its error is not repeated)',
          { option: 'clientSecret', cause: safeCause(err, 'the clientSecret function threw') },
        );
      }
      if (typeof value !== 'string' || value.length === 0 || value.trim() !== value) {
        throw o.error('clientSecret', 'returned a value that is not a non-empty, trimmed string');
      }
      return value;
    };
  }
  const secret = o.requiredString('clientSecret', 'process.env.BINDID_CLIENT_SECRET');
  if (secret.trim() !== secret) {
    throw o.error(
      'clientSecret',
      'has leading or trailing whitespace (often a newline from an env file or a secret mount); trim it, ' +
        'or BindID will answer 401 to every report',
    );
  }
  return () => secret;
}

/** Read a method's input object: an object with only the named keys (their values are checked with the report). */
function readInput(input: unknown, keys: readonly string[]): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidArgument(`the report input must be an object (got ${describeType(input)})`);
  }
  for (const key of Object.keys(input)) {
    if (!keys.includes(key)) throw invalidArgument(`the report input has an unknown field \`${printable(key, 64)}\``);
  }
  return input as Record<string, unknown>;
}

/**
 * Check an alias: a non-empty string of at most {@link MAX_ALIAS_LENGTH} characters, with no control
 * characters and no unpaired surrogates. Throws `ERR_BINDID_INVALID_ALIAS` (the message never repeats it).
 */
export function assertAlias(alias: unknown): asserts alias is string {
  let problem: string | undefined;
  if (typeof alias !== 'string') problem = `must be a string (got ${describeType(alias)})`;
  else if (alias.length === 0) problem = 'must not be empty';
  else if (alias.length > MAX_ALIAS_LENGTH) problem = `must be at most ${MAX_ALIAS_LENGTH} characters long`;
  else if (/\p{Cc}/u.test(alias)) problem = 'must not contain control characters';
  else if (!alias.isWellFormed()) problem = 'must be well-formed Unicode';
  else if (alias.trim() !== alias) problem = 'must not start or end with whitespace';
  if (problem) {
    throw new BindIdArgumentError(ErrorCode.INVALID_ALIAS, `The BindID alias ${problem}`);
  }
}

function assertTime(time: unknown): asserts time is number {
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
    throw invalidArgument('time must be whole seconds since 1970 (a non-negative integer)');
  }
}

function readAmr(amr: unknown): string[] {
  if (!Array.isArray(amr) || amr.length > 16) {
    throw invalidArgument('amr must be an array of at most 16 AMR values');
  }
  for (const value of amr) {
    if (typeof value !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(value)) {
      throw invalidArgument('amr values must be printable ASCII strings of 1 to 64 characters');
    }
  }
  return [...(amr as string[])];
}

const REPORT_KEYS: readonly string[] = ['type', 'alias', 'time', 'amr'];

/**
 * Check a report and return a copy holding only its protocol fields, in protocol order (`type`,
 * `alias`, `time`, `amr`), with `undefined` fields left out. Unknown fields are refused.
 */
function readReport(report: unknown): SessionFeedbackReport {
  if (report === null || typeof report !== 'object' || Array.isArray(report)) {
    throw invalidArgument(`report must be an object (got ${describeType(report)})`);
  }
  const r = report as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!REPORT_KEYS.includes(key)) throw invalidArgument(`report has an unknown field \`${printable(key, 64)}\``);
  }
  const { type, alias, time, amr } = r;
  if (type !== 'authentication_performed' && type !== 'alias_updated' && type !== 'alias_deleted') {
    throw invalidArgument('report.type must be authentication_performed, alias_updated or alias_deleted');
  }
  if (type !== 'alias_deleted' || alias !== undefined) assertAlias(alias);
  assertTime(time);
  if (amr !== undefined && type !== 'authentication_performed') {
    throw invalidArgument('report.amr is only for authentication_performed');
  }
  const out: Record<string, unknown> = { type };
  if (alias !== undefined) out.alias = alias;
  out.time = time;
  if (amr !== undefined) out.amr = readAmr(amr);
  return out as SessionFeedbackReport;
}

/** Network error codes that mean the request never reached BindID (undici's too, for the fetch adapter). */
const NOT_DELIVERED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Network error codes after which BindID may or may not have processed the report. */
const AMBIGUOUS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/**
 * The error code that classifies `err`: the first known network code on `err` or its `cause` chain
 * (the fetch adapter puts ECONNREFUSED under an `ERR_NETWORK`), else the outermost code. Only codes
 * shaped like `ERR_X`/`ECONNRESET` count, so a code can never carry a secret into a message or log.
 */
function errorCode(err: unknown): string {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,64}$/.test(code)) codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes.find((c) => NOT_DELIVERED.has(c) || AMBIGUOUS.has(c)) ?? codes[0] ?? '';
}

function classifyError(err: unknown): Outcome {
  const code = errorCode(err);
  const cause = safeCause(code ? { code } : undefined, code ? `request failed with ${code}` : 'request failed');
  if (NOT_DELIVERED.has(code)) return { kind: 'retry', why: 'safe', cause, label: code };
  if (AMBIGUOUS.has(code)) return { kind: 'retry', why: 'ambiguous', cause, label: code };
  // TLS failures, our own argument errors, interceptor throws and anything unknown: never retried.
  const label = code || 'unexpected error';
  return {
    kind: 'fail',
    error: (attempts) =>
      new BindIdFeedbackError(ErrorCode.UNAVAILABLE, `BindID session feedback could not be sent: ${label}`, {
        status: 503,
        retryable: false,
        cause,
        attempts,
      }),
  };
}

/** What {@link settleBy} gives when the signal aborted first. */
const DEADLINE_PASSED: unique symbol = Symbol('deadline passed');

/**
 * `work`, or {@link DEADLINE_PASSED} as soon as `signal` aborts, whichever comes first. A value that
 * arrives later goes to `dropLate` (to free its resources); a late rejection is swallowed.
 */
function settleBy<T>(work: Promise<T>, signal: AbortSignal, dropLate: (late: T) => void): Promise<T | typeof DEADLINE_PASSED> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      settled = true;
      resolve(DEADLINE_PASSED);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) dropLate(value);
        else resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!settled) reject(err);
      },
    );
  });
}

/** The outcome of an attempt cut by the deadline (the caller reports the timeout). */
const deadlinePassed: Outcome = {
  kind: 'fail',
  error: (attempts) =>
    new BindIdFeedbackError(ErrorCode.TIMEOUT, `BindID session feedback did not complete in time (${attempts} attempt(s))`, {
      status: 504,
      retryable: true,
      attempts,
      cause: safeCause(undefined, 'deadline reached'),
    }),
};

/**
 * Full-jitter exponential backoff: random in [0, min(maxMs, baseMs × 2^(attempt-1))] for the 1-based
 * `attempt`. Always a finite number of ms: a non-integer `attempt` is floored, a non-finite one
 * counts as 1, and a `random()` outside [0, 1] is clamped (NaN as 0). Shared with the outbox.
 */
export function jitteredBackoff(attempt: number, bounds: Readonly<Required<BackoffOptions>>, random: () => number): number {
  // Clamp the exponent: 0 × 2^1024 would be NaN, and a bad `attempt` must not make one either.
  const exponent = Number.isFinite(attempt) ? Math.min(Math.max(0, Math.floor(attempt) - 1), 32) : 0;
  const bound = Math.min(bounds.maxMs, bounds.baseMs * 2 ** exponent);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return unit * bound;
}

/** Whether an injected instance handed back an axios response (a response interceptor may not). */
function isResponse(value: unknown): value is AxiosResponse {
  const status = (value as { status?: unknown } | null)?.status;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599;
}

const notAResponse: Outcome = {
  kind: 'fail',
  error: (attempts) =>
    new BindIdFeedbackError(
      ErrorCode.UNAVAILABLE,
      'BindID session feedback could not be read: the axios instance returned no response object ' +
        '(does a response interceptor unwrap `response.data`?)',
      { status: 503, retryable: false, attempts, cause: safeCause(undefined, 'no response object') },
    ),
};

function classifyStatus(response: AxiosResponse, nowMs: number): Outcome {
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'ok', status };
  const cause = safeCause(undefined, `BindID answered HTTP ${status}`);
  const label = `HTTP ${status}`;
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(headerValue(response, 'retry-after'), nowMs);
    return retryAfterMs === undefined
      ? { kind: 'retry', why: 'wait', status, cause, label }
      : { kind: 'retry', why: 'wait', status, cause, label, retryAfterMs };
  }
  if (status >= 500 || status === 408) return { kind: 'retry', why: 'ambiguous', status, cause, label };
  if (status === 401 || status === 403) {
    return {
      kind: 'fail',
      error: (attempts) =>
        new BindIdFeedbackError(
          ErrorCode.UNAUTHORIZED,
          `BindID refused the session feedback credentials (HTTP ${status}): check the client secret, and that ` +
            'the access token belongs to this client and is less than an hour old',
          { status: 502, upstreamStatus: status, cause, attempts },
        ),
    };
  }
  const what = status >= 300 && status < 400 ? 'answered with a redirect, which is not followed' : 'rejected the report';
  return {
    kind: 'fail',
    error: (attempts) =>
      new BindIdFeedbackError(ErrorCode.REJECTED, `BindID ${what} (HTTP ${status})`, {
        status: 502,
        upstreamStatus: status,
        cause,
        attempts,
      }),
  };
}

function headerValue(response: AxiosResponse, name: string): string | undefined {
  const headers = response.headers as Record<string, unknown> & { get?: (n: string) => unknown };
  const value = typeof headers.get === 'function' ? headers.get(name) : headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The three HTTP-date formats a recipient must accept (RFC 9110 §5.6.7). */
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` as a delay in ms: delta-seconds or an HTTP-date in any of its three formats
 * (RFC 9110 §10.2.3). Malformed or negative values give `undefined` (use the default backoff); past
 * dates give 0; a delay too large to represent gives `Number.MAX_SAFE_INTEGER`. Never NaN.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  let date = Number.NaN;
  if (IMF_FIXDATE.test(text) || RFC850_DATE.test(text)) date = Date.parse(text);
  else if (ASCTIME_DATE.test(text)) date = Date.parse(`${text} GMT`); // asctime has no zone: it is GMT
  if (Number.isNaN(date) || !Number.isFinite(nowMs)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Read and discard a response body, at most `cap` bytes, so the keep-alive socket can be reused.
 * Takes a Node stream (http adapter) or a web `ReadableStream` (fetch adapter); anything else is
 * left alone. Stops, destroying the stream, past the cap, on error or when `signal` aborts.
 */
function drain(data: unknown, cap: number, signal: AbortSignal): Promise<void> {
  const stream = toNodeStream(data);
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    let bytes = 0;
    const finish = () => {
      signal.removeEventListener('abort', stop);
      resolve();
    };
    const stop = () => {
      stream.destroy();
      finish();
    };
    // Errors after a stop (an abort racing the end) must not go unhandled.
    stream.on('error', stop);
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    stream.on('data', (chunk: Buffer | string) => {
      bytes += chunk.length;
      if (bytes > cap) stop();
    });
    stream.on('end', finish);
    stream.on('close', finish);
    stream.resume();
  });
}

/** A response body as a Node stream: itself, a web `ReadableStream` wrapped, or `undefined` for anything else. */
function toNodeStream(value: unknown): Readable | undefined {
  const v = value as { on?: unknown; resume?: unknown; destroy?: unknown; getReader?: unknown } | null;
  if (typeof v?.on === 'function' && typeof v.resume === 'function' && typeof v.destroy === 'function') {
    return value as Readable;
  }
  // Duck-typed: the stream may come from another realm (a test runner's vm context).
  if (typeof v?.getReader === 'function') return Readable.fromWeb(value as WebReadableStream);
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
