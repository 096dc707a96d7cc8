/** The jittered exponential backoff shared by the session-feedback client and the outbox worker. */
import type { KnownKeys, OptionReader } from './option-reader.js';

/** Bounds of an exponential backoff (full jitter: each delay is random in [0, bound]). */
export interface BackoffOptions {
  /** Upper bound of the first delay, in ms. */
  baseMs?: number;
  /** Largest delay bound, in ms; the bound doubles per attempt up to this. */
  maxMs?: number;
}

export type BackoffBounds = Readonly<Required<BackoffOptions>>;

const KNOWN_BACKOFF: KnownKeys<BackoffOptions> = { baseMs: true, maxMs: true };

/** A factory's `backoff` option from its defaults (`maxMs` raised to a larger `baseMs` given alone) and largest values accepted. */
export function readBackoff(o: OptionReader, limits: BackoffBounds & { baseLimit: number; maxLimit: number }): BackoffBounds {
  const b = o.nested('backoff', KNOWN_BACKOFF);
  const baseMs = b.integer('baseMs', limits.baseMs, 0, limits.baseLimit);
  const maxMs = b.integer('maxMs', Math.max(limits.maxMs, baseMs), 0, limits.maxLimit);
  if (maxMs < baseMs) throw o.error('backoff.maxMs', `must be at least backoff.baseMs (${baseMs})`);
  return Object.freeze({ baseMs, maxMs });
}

/** Random in [0, min(maxMs, baseMs × 2^(attempt-1))]; finite even for a wrong `attempt` (an app's own outbox) or `random()` outside [0, 1]. */
export function jitteredBackoff(attempt: number, bounds: BackoffBounds, random: () => number): number {
  // Clamp the exponent: 0 × 2^1024 would be NaN, and a bad `attempt` must not make one either.
  const exponent = Number.isFinite(attempt) ? Math.min(Math.max(0, Math.floor(attempt) - 1), 32) : 0;
  const bound = Math.min(bounds.maxMs, bounds.baseMs * 2 ** exponent);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return unit * bound;
}

/** Never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
