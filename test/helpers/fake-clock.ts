/**
 * Time that moves only when the test moves it, for tests that also do real I/O on loopback (a fake
 * BindID, the emulator, supertest), so that their outcome never depends on how fast the machine is.
 *
 * {@link useFakeClock} (every test of a file or `describe` block) and {@link withFakeClock} (one
 * test) install Jest's modern fake timers: `setTimeout`, `setInterval`, `Date`, `performance.now()`
 * and `process.hrtime` are fake (the session-feedback client's deadline, backoff waits and elapsed
 * time, its circuit breaker, the outbox worker's interval, the fake BindID's and the emulator's
 * delays all run on that clock), while `setImmediate`, `process.nextTick` and `queueMicrotask` stay
 * real, so sockets, streams and promises work as usual. The test waits for the event that matters
 * with {@link until} (fake time stands still meanwhile), then moves the clock with
 * `await jest.advanceTimersByTimeAsync(ms)` to the moment it wants to look at.
 *
 * ```ts
 * useFakeClock();
 * it('times out at the deadline', async () => {
 *   bindid.setDefault(reply.hang());
 *   const since = jest.now();
 *   const call = watch(rejection(makeClient(bindid.url, { timeoutMs: 300 }).aliasDeleted({ accessToken })));
 *   await until(() => bindid.requests.length === 1, 'the request reached the server');
 *   expect(await settlesAt(call, 300, since)).toMatchObject({ code: ErrorCode.TIMEOUT });
 * });
 * ```
 *
 * Node's own timers (`AbortSignal.timeout`, socket timeouts, undici's) are not Jest's to fake: a
 * deadline built on them is measured in real time, in a `*.timing.ts` suite.
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';

/** The clocks Jest can fake. */
export type FakeableClock = NonNullable<Extract<Parameters<typeof jest.useFakeTimers>[0], { doNotFake?: unknown }>['doNotFake']>[number];

/** What real I/O needs to keep running: never faked here. */
const REAL_FOR_IO: FakeableClock[] = ['nextTick', 'queueMicrotask', 'setImmediate', 'clearImmediate'];

/**
 * The fake timers as one `jest.useFakeTimers` configuration, for a test that installs them itself
 * (and `process.hrtime` real too, for a test that measures real turns of the event loop with it).
 */
export const FAKE_CLOCK: NonNullable<Parameters<typeof jest.useFakeTimers>[0]> = { doNotFake: [...REAL_FOR_IO, 'hrtime'] };

/** How long {@link until} waits, in real time, before it gives up: a failing test's guard only. */
const GIVE_UP_MS = 10_000;

/**
 * Fake clocks for each test of the calling file or `describe` block (installed in `beforeEach`, the
 * real ones back in `afterEach`). `keepReal` leaves more of them real (`Date`, for an app whose
 * sessions and tokens should see the real date).
 */
export function useFakeClock(keepReal: FakeableClock[] = []): void {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: [...REAL_FOR_IO, ...keepReal] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
}

/** Run `test` on fake clocks (as {@link useFakeClock}), the real ones back after it. */
export async function withFakeClock<T>(test: () => Promise<T>, keepReal: FakeableClock[] = []): Promise<T> {
  jest.useFakeTimers({ doNotFake: [...REAL_FOR_IO, ...keepReal] });
  try {
    return await test();
  } finally {
    jest.useRealTimers();
  }
}

/**
 * Resolve once `condition()` holds, checking it after each turn of the real event loop (sockets and
 * promises make progress, fake time stands still). Rejects, naming `what`, if it has not held after
 * 10 s of real time: only a broken test or library gets there.
 */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const giveUpAt = jest.getRealSystemTime() + GIVE_UP_MS;
  while (!condition()) {
    if (jest.getRealSystemTime() > giveUpAt) throw new Error(`gave up waiting until ${what} (${GIVE_UP_MS / 1000} s of real time)`);
    await new Promise<void>((resolve) => setImmediate(resolve));
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

/** A promise and whether it has settled yet, read without awaiting it (a rejection counts as handled). */
export interface Watched<T> {
  readonly settled: boolean;
  readonly promise: Promise<T>;
}

/** Watch `pending` (a promise, or a thenable such as supertest's request, which this starts) settle. */
export function watch<T>(pending: PromiseLike<T>): Watched<T> {
  const promise = Promise.resolve(pending);
  let settled = false;
  const done = () => {
    settled = true;
  };
  promise.then(done, done);
  return {
    get settled() {
      return settled;
    },
    promise,
  };
}

/**
 * Check that `call` settles when the fake clock reads `at` ms after `since` (a `jest.now()` reading),
 * not earlier, not later: a timer falls due exactly then (one that had not fired when the clock read
 * `at - 1`), the call is still pending a millisecond before, and it settles with no more fake time
 * passing (what is left to do over real I/O, an HTTP answer say, it may still do). Returns its promise.
 */
export async function settlesAt<T>(call: Watched<T>, at: number, since: number): Promise<T> {
  const before = since + at - 1 - jest.now();
  if (before < 0) throw new Error(`settlesAt: the fake clock is already ${-before} ms past ${at - 1} ms`);
  await jest.advanceTimersByTimeAsync(before);
  expect(call.settled).toBe(false);
  const pending = jest.getTimerCount();
  await jest.advanceTimersByTimeAsync(1);
  expect(jest.getTimerCount()).toBeLessThan(pending); // what ends the call fell due at `at`, not before
  await until(() => call.settled, `it settled at ${at} ms, with no more fake time passing`);
  return call.promise;
}

/** What {@link httpTraffic} has seen so far. */
export interface HttpTraffic {
  /** `node:http` client requests created (counted synchronously, before any byte is sent). */
  readonly sent: number;
  /** Responses whose status line and headers reached a `node:http` client (before the body). */
  readonly answered: number;
  /** The targets (`/path?query`) of the requests the `node:http` servers of this process received, in order. */
  readonly received: readonly string[];
  stop(): void;
}

/** Watch the HTTP traffic of this process (`diagnostics_channel`) until `stop()`. */
export function httpTraffic(): HttpTraffic {
  let sent = 0;
  let answered = 0;
  const received: string[] = [];
  const handlers: Array<[string, (message: unknown) => void]> = [
    [
      'http.client.request.start',
      () => {
        sent += 1;
      },
    ],
    [
      'http.client.response.finish',
      () => {
        answered += 1;
      },
    ],
    ['http.server.request.start', (message) => void received.push((message as { request: IncomingMessage }).request.url ?? '')],
  ];
  for (const [name, handler] of handlers) diagnostics.subscribe(name, handler);
  return {
    get sent() {
      return sent;
    },
    get answered() {
      return answered;
    },
    received,
    stop() {
      for (const [name, handler] of handlers) diagnostics.unsubscribe(name, handler);
    },
  };
}
