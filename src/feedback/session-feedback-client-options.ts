import { BindIdArgumentError, ErrorCode, safeCause } from '../errors.js';
import { type BackoffOptions, readBackoff } from '../internal/backoff.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, readSchema, type SettingsOf } from '../internal/option-schema.js';

const BREAKER_OPTIONS = {
  /** Consecutive outages that open the circuit. Default 5. */
  failureThreshold: option.integer(5, 1, 1000),
  /** How long the circuit stays open before one probe, in ms. Default 30000. */
  resetMs: option.integer(30_000, 100, 3_600_000),
};

/** `SessionFeedbackClient`'s `circuitBreaker`. */
export interface CircuitBreakerOptions extends OptionsOf<typeof BREAKER_OPTIONS> {}

export const FEEDBACK_CLIENT_OPTIONS = {
  /** The BindID client secret, or a function returning the current one (called for every attempt: a rotation applies at once). */
  clientSecret: option.requiredCustom<string | (() => string), () => string>(readClientSecret),
  /** BindID's API host, e.g. `https://api.bindid-sandbox.io`; https, except on loopback. */
  apiUrl: option.baseUrl('https://api.bindid-sandbox.io'),
  /** Overall deadline of one report, covering every attempt and wait, in ms. Default 5000. */
  timeoutMs: option.integer(5000, 100, 120_000),
  /** Most retries after the first attempt. Default 2. Ambiguous failures are retried at most once. */
  retries: option.integer(2, 0, 10),
  /** Backoff bounds. Defaults `{ baseMs: 100, maxMs: 2000 }`. */
  backoff: option.custom<BackoffOptions, ReturnType<typeof readBackoff>>('`{ baseMs: 100, maxMs: 2000 }`', (o) =>
    readBackoff(o, { baseMs: 100, maxMs: 2000, baseLimit: 60_000, maxLimit: 60_000 }),
  ),
  /** Largest response body read, in bytes; the rest is discarded. Default 65536. */
  maxResponseBytes: option.integer(65_536, 0, 16 * 1024 * 1024),
  /** Clock used for a report's default `time`, in ms since 1970. Default `Date.now`. */
  now: option.fn<() => number>('`Date.now`'),
  /** Source of jitter, in [0, 1). Default `Math.random`. */
  random: option.fn<() => number>('`Math.random`'),
  /** `User-Agent` header: 1 to 256 printable ASCII characters. Default `express-bindid`. */
  userAgent: option.custom<string, string>("`'express-bindid'`", readUserAgent),
  /**
   * Fail fast (`ERR_BINDID_UNAVAILABLE`, no I/O) for `resetMs` after `failureThreshold` consecutive
   * outages, then let one probe through. Default `{ failureThreshold: 5, resetMs: 30000 }`; `false` turns it off.
   */
  circuitBreaker: option.custom<CircuitBreakerOptions | false, SettingsOf<typeof BREAKER_OPTIONS> | false>(
    '`{ failureThreshold: 5, resetMs: 30000 }`',
    (o, key) => (o.raw(key) === false ? false : readSchema(o.nested(key, BREAKER_OPTIONS), BREAKER_OPTIONS)),
  ),
};

/** Options of {@link SessionFeedbackClient}. */
export interface SessionFeedbackClientOptions extends OptionsOf<typeof FEEDBACK_CLIENT_OPTIONS> {}

function readUserAgent(o: OptionReader, key: string): string {
  const value = o.string(key, 'express-bindid');
  if (!/^[\x20-\x7e]{1,256}$/.test(value)) {
    throw o.error(key, 'must be 1 to 256 printable ASCII characters (no CR, LF or other controls)');
  }
  return value;
}

/** A trimmed, non-empty string, or a function returning one (what it throws is never repeated). */
function readClientSecret(o: OptionReader, key: string): () => string {
  const raw = o.raw(key);
  if (typeof raw === 'function') {
    return () => {
      let value: unknown;
      try {
        value = (raw as () => unknown)();
      } catch (err) {
        // Its message may hold anything, the secret included: keep only a system code.
        const { message, option } = o.error(key, 'threw when called (its error is not repeated)');
        throw new BindIdArgumentError(ErrorCode.INVALID_OPTION, message, { option, cause: safeCause(err, 'the clientSecret function threw') });
      }
      if (typeof value !== 'string' || value.length === 0 || value.trim() !== value) {
        throw o.error(key, 'returned a value that is not a non-empty, trimmed string');
      }
      return value;
    };
  }
  const secret = readStaticClientSecret(o, key);
  return () => secret;
}

/** A `clientSecret` string: required, and never with surrounding whitespace (a secret read from a file keeps its newline). */
export function readStaticClientSecret(o: OptionReader, key: string): string {
  const secret = o.requiredString(key, 'process.env.BINDID_CLIENT_SECRET');
  if (secret.trim() !== secret) {
    throw o.error(
      key,
      'has leading or trailing whitespace (often a newline from an env file or a secret mount); trim it, ' +
        'or BindID will answer 401 to every report',
    );
  }
  return secret;
}
