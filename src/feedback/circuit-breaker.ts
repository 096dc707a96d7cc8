/**
 * A small circuit breaker for the session-feedback client: after `failureThreshold` consecutive
 * outages (unavailable or timed out) it opens, and reports fail at once, with no network I/O,
 * until `resetMs` has passed. Then one probe goes through (half-open): success closes the circuit,
 * failure opens it again. Any answer from BindID, even a 4xx, shows it is up and counts as success.
 *
 * State is per process on purpose: it only saves waiting on a known outage.
 *
 * @module
 */
import { publish } from '../internal/diagnostics.js';

/** Settings of the breaker. */
/** `closed`: requests flow; `open`: they fail fast; `half-open`: one probe is in flight. */
export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;

  constructor(
    readonly failureThreshold: number,
    readonly resetMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The current state (an open circuit whose reset time passed reads as half-open only once probed). */
  get state(): CircuitState {
    return this.#state;
  }

  /** Whether a request may go out now; in the open state after `resetMs`, lets exactly one probe through. */
  allow(): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open' && this.now() - this.#openedAt >= this.resetMs) {
      this.#set('half-open');
      return true;
    }
    return false;
  }

  /** BindID answered (2xx, or a 4xx that proves it is up). */
  success(): void {
    this.#set('closed');
    this.#failures = 0;
  }

  /** BindID was unreachable or timed out. */
  failure(): void {
    this.#failures += 1;
    if (this.#state === 'half-open' || this.#failures >= this.failureThreshold) {
      this.#set('open');
      this.#openedAt = this.now();
    }
  }

  /** Change state; a change is published on the `circuit-breaker` diagnostics channel. */
  #set(to: CircuitState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    publish('circuitBreaker', () => ({ from, to, failures: this.#failures }));
  }
}
