import { type CircuitStateChange, publish } from '../internal/diagnostics.js';

/** `half-open`: one probe is in flight. */
type CircuitState = CircuitStateChange['to'];

/**
 * After `failureThreshold` consecutive outages, reports fail at once until `resetMs` passed, then one probe goes through (half-open). Any
 * answer from BindID, even a 4xx, shows it is up. Per process on purpose: it only saves waiting on a known outage.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;

  constructor(
    readonly failureThreshold: number,
    readonly resetMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get state(): CircuitState {
    return this.#state;
  }

  allow(): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open' && this.now() - this.#openedAt >= this.resetMs) {
      this.#set('half-open');
      return true;
    }
    return false;
  }

  success(): void {
    this.#set('closed');
    this.#failures = 0;
  }

  failure(): void {
    this.#failures += 1;
    if (this.#state === 'half-open' || this.#failures >= this.failureThreshold) {
      this.#set('open');
      this.#openedAt = this.now();
    }
  }

  #set(to: CircuitState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    publish('circuitBreaker', () => ({ from, to, failures: this.#failures }));
  }
}
