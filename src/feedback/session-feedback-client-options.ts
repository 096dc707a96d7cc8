/**
 * The options of `SessionFeedbackClient` and their names.
 *
 * @module
 */
import type { BackoffOptions } from '../internal/backoff.js';
import type { KnownKeys } from '../internal/option-reader.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';

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

export const KNOWN: KnownKeys<SessionFeedbackClientOptions> = {
  clientSecret: true,
  apiUrl: true,
  timeoutMs: true,
  retries: true,
  backoff: true,
  maxResponseBytes: true,
  now: true,
  random: true,
  userAgent: true,
  circuitBreaker: true,
};
export const KNOWN_BREAKER: KnownKeys<CircuitBreakerOptions> = { failureThreshold: true, resetMs: true };
