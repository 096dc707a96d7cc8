/** How one session-feedback attempt ended, from BindID's status and `Retry-After` or the network error. @module */
import { type BindIdErrorDetails, BindIdFeedbackError, ErrorCode, errorCodes, safeCause } from '../errors.js';
import type { HttpBody } from '../http/http-client.js';

export type AttemptOutcome =
  | { kind: 'ok'; status: number; body?: HttpBody }
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

export interface ResponseHead {
  status: number;
  headers: Headers;
}

/** Network error codes that mean the request never reached BindID. */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);
/** Network error codes after which BindID may or may not have processed the report. */
const AMBIGUOUS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The first known network code on `err` or its `cause` chain, else the outermost code. */
function networkCode(err: unknown): string {
  const codes = errorCodes(err, 4);
  return codes.find((c) => NOT_DELIVERED.has(c) || AMBIGUOUS.has(c)) ?? codes[0] ?? '';
}

export function classifyError(err: unknown): AttemptOutcome {
  const code = networkCode(err);
  const cause = safeCause(code ? { code } : undefined, code ? `request failed with ${code}` : 'request failed');
  if (NOT_DELIVERED.has(code)) return { kind: 'retry', why: 'safe', cause, label: code };
  if (AMBIGUOUS.has(code)) return { kind: 'retry', why: 'ambiguous', cause, label: code };
  // TLS failures, a bad proxy setting and anything unknown: never retried.
  const label = code || 'unexpected error';
  return fail(ErrorCode.UNAVAILABLE, `BindID session feedback could not be sent: ${label}`, { status: 503, cause });
}

/** 2xx ok; 429/503 wait; other 5xx and 408 ambiguous; the rest fail. */
export function classifyStatus(response: ResponseHead, nowMs: number): AttemptOutcome {
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'ok', status };
  const cause = safeCause(undefined, `BindID answered HTTP ${status}`);
  const label = `HTTP ${status}`;
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after') ?? undefined, nowMs);
    return retryAfterMs === undefined
      ? { kind: 'retry', why: 'wait', status, cause, label }
      : { kind: 'retry', why: 'wait', status, cause, label, retryAfterMs };
  }
  if (status >= 500 || status === 408) return { kind: 'retry', why: 'ambiguous', status, cause, label };
  if (status === 401 || status === 403) {
    return fail(
      ErrorCode.UNAUTHORIZED,
      `BindID refused the session feedback credentials (HTTP ${status}): check the client secret, that ` +
        'the access token belongs to this client and is less than an hour old, and that apiUrl is not the API host of ' +
        'another environment than issuer (sandbox and production, EU and US)',
      { status: 502, upstreamStatus: status, cause },
    );
  }
  const what = status >= 300 && status < 400 ? 'answered with a redirect, which is not followed' : 'rejected the report';
  return fail(ErrorCode.REJECTED, `BindID ${what} (HTTP ${status})`, { status: 502, upstreamStatus: status, cause });
}

type FeedbackCode = ConstructorParameters<typeof BindIdFeedbackError>[0];

function fail(code: FeedbackCode, message: string, details: BindIdErrorDetails): AttemptOutcome {
  return { kind: 'fail', error: (attempts) => new BindIdFeedbackError(code, message, { ...details, attempts }) };
}

/** `error` with another message; its code, status, counts and cause kept. */
export function reworded(error: BindIdFeedbackError, message: string, possiblyApplied = false): BindIdFeedbackError {
  const { status, retryable, upstreamStatus, attempts, cause } = error;
  return new BindIdFeedbackError(error.code as FeedbackCode, message, {
    status,
    retryable,
    possiblyApplied,
    // Stryker disable next-line ConditionalExpression: equivalent, BindIdError leaves an undefined upstreamStatus or attempts unset
    ...(upstreamStatus === undefined ? {} : { upstreamStatus }),
    // Stryker disable next-line ConditionalExpression: equivalent, BindIdError leaves an undefined upstreamStatus or attempts unset
    ...(attempts === undefined ? {} : { attempts }),
    ...(cause instanceof Error ? { cause } : {}),
  });
}

/** The three HTTP-date formats a recipient must accept (RFC 9110 §5.6.7). */
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** `Retry-After` (RFC 9110 §10.2.3) in ms: malformed or negative `undefined` (default backoff), a past date 0, capped, never NaN. */
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
