/**
 * Properties (fast-check; on failure it prints the seed and the shrunk counterexample) of the
 * outbox's retries: under any sequence of outcomes and clock jumps, an item's attempts grow by
 * exactly one per send, each delay stays in [0, cap] (checklist J 96, for the outbox), it is never
 * sent before it is due nor after its token expired, and it ends delivered once or dead-lettered.
 */
import fc from 'fast-check';
import { ErrorCode, MemoryBindIdStore } from '../../src/index.js';
import { BindIdFeedbackError } from '../../src/errors.js';
import { type OutboxItem, OutboxWorker, StoreOutbox } from '../../src/fail-open/index.js';
import type { SessionFeedbackReport } from '../../src/feedback/index.js';
import { makeItem } from '../helpers/outbox.js';

const bounds = fc
  .tuple(fc.integer({ min: 0, max: 3_600_000 }), fc.integer({ min: 0, max: 3_600_000 }))
  .map(([a, b]) => ({ baseMs: Math.min(a, b), maxMs: Math.max(a, b) }));

// The delay is the client's jitteredBackoff, whose bounds for any attempt and any random() are a
// property in test/feedback/client-properties.test.ts; here: the outbox's defaults, through the worker.
describe('the retry delay of the outbox', () => {
  it.each([
    [0, [0, 0, 0, 0, 0, 0, 0, 0]],
    [1, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]],
  ])('random() %p: each failed attempt waits %p ms (full jitter up to the doubling bound, capped at maxMs)', async (r, expected) => {
    let clock = 1_000_000;
    const outbox = new StoreOutbox(new MemoryBindIdStore({ now: () => clock }), { now: () => clock });
    const item = makeItem({ expiresAt: clock + 86_400_000 }, clock);
    await outbox.enqueue(item);
    const delays: number[] = [];
    const worker = new OutboxWorker({
      outbox,
      client: { send: () => Promise.reject(failure('unavailable')) },
      now: () => clock,
      random: () => r,
      onRetry: (e) => void delays.push(e.delayMs),
    });
    for (const _ of expected) {
      clock = ((await outbox.get(item.id))?.nextAttemptAt ?? clock) + 30_000; // due, and past the lease
      expect(await worker.runOnce()).toMatchObject({ retried: 1 });
    }
    expect(delays).toEqual(expected);
  });
});

/** What the fake BindID does with one send. */
type Outcome = 'ok' | 'unavailable' | 'timeout' | 'rejected' | 'unauthorized' | 'unknown';

function failure(outcome: Exclude<Outcome, 'ok'>): Error {
  switch (outcome) {
    case 'unavailable':
      return new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'down', { retryable: true });
    case 'timeout':
      return new BindIdFeedbackError(ErrorCode.TIMEOUT, 'slow', { retryable: true });
    case 'rejected':
      return new BindIdFeedbackError(ErrorCode.REJECTED, 'no');
    case 'unauthorized':
      return new BindIdFeedbackError(ErrorCode.UNAUTHORIZED, 'no');
    case 'unknown':
      return new Error('something else');
  }
}

describe('OutboxWorker under random outcomes and clock jumps', () => {
  const outcome = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<Outcome>('unavailable', 'timeout', 'unknown') },
    { weight: 1, arbitrary: fc.constantFrom<Outcome>('ok', 'rejected', 'unauthorized') },
  );

  it('attempts grow by one per send, delays stay in [0, cap], no send after expiry, one terminal outcome', async () => {
    await fc.assert(
      fc.asyncProperty(
        bounds,
        fc.array(fc.tuple(outcome, fc.integer({ min: 0, max: 7_200_000 })), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 7_200_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (backoff, steps, lifetimeMs, r) => {
          let clock = 1_000_000_000;
          const store = new MemoryBindIdStore({ now: () => clock });
          const outbox = new StoreOutbox(store, { now: () => clock });
          const item: OutboxItem = makeItem({ expiresAt: clock + lifetimeMs }, clock);
          await outbox.enqueue(item);
          const sends: Array<{ at: number; report: SessionFeedbackReport }> = [];
          let next: Outcome = 'ok';
          const terminal: string[] = [];
          const worker = new OutboxWorker({
            outbox,
            client: {
              send: async (_token, report) => {
                sends.push({ at: clock, report });
                if (next === 'ok') return { status: 200, attempts: 1, durationMs: 0 };
                throw failure(next);
              },
            },
            backoff,
            leaseMs: 1000,
            now: () => clock,
            random: () => r,
            onDelivered: () => void terminal.push('delivered'),
            onDeadLetter: (e) => void terminal.push(e.reason),
          });
          let previous = item;
          for (const [result, jump] of steps) {
            next = result;
            const before = sends.length;
            await worker.runOnce();
            const stored = await outbox.get(item.id);
            const sent = sends.length - before;
            expect(sent).toBeLessThanOrEqual(1);
            if (sent === 1) {
              expect(clock).toBeLessThan(item.expiresAt); // never sent after expiry
              expect(clock).toBeGreaterThanOrEqual(previous.nextAttemptAt); // never before it was due
              expect(sends.at(-1)?.report).toEqual(item.report); // the original time, every time
            }
            if (stored) {
              expect(stored.attempts).toBe(previous.attempts + sent); // monotonic, one per send
              if (sent === 1) {
                const cap = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (stored.attempts - 1));
                expect(stored.nextAttemptAt - clock).toBeGreaterThanOrEqual(0);
                expect(stored.nextAttemptAt - clock).toBeLessThanOrEqual(cap);
              }
              previous = stored;
            } else {
              break;
            }
            clock += jump + 1000; // past the lease too
          }
          expect(terminal.length).toBeLessThanOrEqual(1);
          expect(sends.length).toBe(previous.attempts + (terminal.length === 1 && terminal[0] !== 'expired' ? 1 : 0));
          if (terminal[0] === 'delivered') expect(sends.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200, interruptAfterTimeLimit: 10_000 },
    );
  });
});
