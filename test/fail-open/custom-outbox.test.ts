/**
 * OutboxWorker on an `Outbox` of the app's own: the one place where the worker reads items the
 * library did not write and check (`StoreOutbox` checks every item where it enters, at `enqueue`,
 * and trusts what it reads back). What a broken outbox hands over never reaches BindID unchecked:
 * the client checks the token and the report before any request (a malformed item is dead-lettered
 * as refused, without its token in the event), and a malformed attempt count still gives a finite
 * retry delay.
 */
import { ErrorCode } from '../../src/index.js';
import { BindIdFeedbackError } from '../../src/errors.js';
import { type Outbox, type OutboxDeadLetterEvent, type OutboxItem, type OutboxRetryEvent, type OutboxSender, OutboxWorker } from '../../src/fail-open/index.js';
import type { FakeBindId } from '../helpers/fake-bindid.js';
import { makeClient, useFakeBindId } from '../helpers/feedback.js';
import { makeItem } from '../helpers/outbox.js';

let bindid: FakeBindId;
useFakeBindId((server) => (bindid = server));

/** An outbox of the app's own that holds `item` as it is, and records what the worker writes back. */
function ownOutbox(item: OutboxItem): Outbox & { updated: OutboxItem[]; removed: string[] } {
  const updated: OutboxItem[] = [];
  const removed: string[] = [];
  return {
    updated,
    removed,
    enqueue: async () => true,
    due: async () => [item],
    claim: async () => 'lease',
    get: async () => item,
    update: async (next) => {
      updated.push(next);
      return true;
    },
    remove: async (id) => {
      removed.push(id);
    },
  };
}

describe('an outbox of the app\'s own that hands over a malformed item', () => {
  it.each<[string, (item: OutboxItem) => OutboxItem]>([
    ['a token with a space', (item) => ({ ...item, accessToken: `${item.accessToken} x` })],
    ['no token', (item) => ({ ...item, accessToken: undefined as unknown as string })],
    ['an unknown report type', (item) => ({ ...item, report: { ...item.report, type: 'login' } as unknown as OutboxItem['report'] })],
    ['a report with an extra field', (item) => ({ ...item, report: { ...item.report, password: 'hunter2' } as unknown as OutboxItem['report'] })],
  ])('%s: nothing reaches BindID; it is dead-lettered as refused, the event without the token', async (_what, spoil) => {
    const item = spoil(makeItem());
    const outbox = ownOutbox(item);
    const dead: OutboxDeadLetterEvent[] = [];
    const worker = new OutboxWorker({ outbox, client: makeClient(bindid.url), onDeadLetter: (e) => void dead.push(e) });
    expect(await worker.runOnce()).toMatchObject({ deadLettered: 1, delivered: 0, retried: 0 });
    expect(bindid.requests).toHaveLength(0);
    expect(outbox.removed).toEqual([item.id]);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ reason: 'rejected', code: ErrorCode.INVALID_ARGUMENT });
    if (typeof item.accessToken === 'string') expect(JSON.stringify(dead[0])).not.toContain(item.accessToken);
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['not a number', 'two'],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('an attempt count %s: the retry is still scheduled a finite delay ahead, within the backoff', async (_what, attempts) => {
    const now = 1_000_000;
    const item = { ...makeItem({}, now), attempts: attempts as number };
    const outbox = ownOutbox(item);
    const retries: OutboxRetryEvent[] = [];
    const down: OutboxSender = {
      send: () => Promise.reject(new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'down', { status: 503, retryable: true })),
    };
    const worker = new OutboxWorker({
      outbox,
      client: down,
      now: () => now,
      random: () => 1,
      backoff: { baseMs: 1000, maxMs: 60_000 },
      onRetry: (e) => void retries.push(e),
    });
    expect(await worker.runOnce()).toMatchObject({ retried: 1 });
    const [next] = outbox.updated;
    expect(Number.isFinite(next?.nextAttemptAt)).toBe(true);
    expect(next?.nextAttemptAt).toBeGreaterThan(now);
    expect(next?.nextAttemptAt).toBeLessThanOrEqual(now + 60_000);
    expect(retries[0]?.delayMs).toBe((next?.nextAttemptAt ?? 0) - now);
  });
});
