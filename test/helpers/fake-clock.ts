/**
 * Time in the app suites without real waits. Jest's modern fake timers take over the clock the
 * library reads (`setTimeout` for the feedback client's deadline and backoff, `Date`, and
 * `performance.now()` for the circuit breaker and measured durations), while sockets, promise jobs,
 * `process.nextTick`, `setImmediate` (express-session's MemoryStore defers with it) and
 * `process.hrtime` stay real: requests still travel over loopback, and time only moves when the
 * test moves it (`await jest.advanceTimersByTimeAsync(ms)`), once the event that matters happened
 * (`until`).
 *
 * ```ts
 * useFakeClock();
 * it('times out at the deadline', async () => {
 *   const answer = submitConfirm(agent, fields).then((res) => res); // sent now
 *   await until(() => emulator.reports().length === 1, 'the report reached BindID');
 *   await jest.advanceTimersByTimeAsync(DEADLINE_MS);
 *   expect((await answer).status).toBe(503);
 * });
 * ```
 *
 * @module
 */

/** What is faked: the clock and its timers; I/O and the job queues stay real. */
export const FAKE_CLOCK: NonNullable<Parameters<typeof jest.useFakeTimers>[0]> = {
  doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'hrtime'],
};

/** Fake timers (see {@link FAKE_CLOCK}) for each test of the calling `describe` or file, real ones after. */
export function useFakeClock(): void {
  beforeEach(() => {
    jest.useFakeTimers(FAKE_CLOCK);
  });
  afterEach(() => {
    jest.useRealTimers();
  });
}

/** Real time `until` waits before it gives up: well inside Jest's test timeout, so its message is what a failure shows. */
const UNTIL_LIMIT_NS = 15_000_000_000n;

/**
 * Wait until `condition()` holds, checking it once per turn of the event loop (`setImmediate`,
 * so sockets make progress in between). It waits for an event, not for an amount of time: it
 * returns as soon as the condition holds, however fast or slow the machine is. It gives up with
 * an error naming `what` only if the condition still fails after 15 s of real time (a broken test
 * fails instead of hanging).
 */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const started = process.hrtime.bigint();
  while (!condition()) {
    if (process.hrtime.bigint() - started > UNTIL_LIMIT_NS) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Let `n` turns of the event loop pass (`setImmediate`): every callback already queued (promise
 * jobs, store callbacks deferred with `setImmediate`, and what they queue in turn, up to `n` deep)
 * runs. Counts turns, not milliseconds, so it lets as much happen on a slow machine as on a fast
 * one; for "nothing else happens after the answer" checks (a second `next()`, a stray rejection).
 */
export async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}
