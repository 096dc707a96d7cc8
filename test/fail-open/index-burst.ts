/**
 * The burst test of the outbox index, shared by the in-memory suite (test/fail-open/) and the Redis
 * suites (test/redis/): two workers on two handles of one outbox take many due items from the index
 * at once, round after round, while as many items wait that are not due; each due item is sent
 * exactly once, and no item that is not due is read or sent.
 *
 * @module
 */
import { type Outbox, type OutboxItem, type OutboxSender, OutboxWorker } from '../../src/fail-open/index.js';
import { makeItem } from '../helpers/outbox.js';

/** What the burst saw. */
export interface BurstResult {
  /** Sends per due item id. */
  sends: Map<string, number>;
  dueIds: string[];
  /** Items not due, as still queued afterwards. */
  waiting: Array<OutboxItem | undefined>;
  rounds: number;
}

/** Queue `due` due items and `notDue` items due in an hour, then drain with two workers at once. */
export async function indexBurst(outboxes: readonly [Outbox, Outbox], due = 300, notDue = 300): Promise<BurstResult> {
  const now = Date.now();
  const dueItems = Array.from({ length: due }, (_, i) => makeItem({ nextAttemptAt: now - 1 - (i % 17) }, now));
  const later = Array.from({ length: notDue }, () => makeItem({ nextAttemptAt: now + 3_600_000 }, now));
  const [first] = outboxes;
  await Promise.all([...dueItems, ...later].map((item) => first.enqueue(item)));
  const sends = new Map<string, number>();
  const sender: OutboxSender = {
    send: async (accessToken) => {
      await new Promise((resolve) => setImmediate(resolve)); // let the other worker interleave
      const item = [...dueItems, ...later].find((i) => i.accessToken === accessToken) as OutboxItem;
      sends.set(item.id, (sends.get(item.id) ?? 0) + 1);
      return { status: 200, attempts: 1, durationMs: 1 };
    },
  };
  const workers = outboxes.map((outbox) => new OutboxWorker({ outbox, client: sender, batchSize: 40, leaseMs: 60_000 }));
  let rounds = 0;
  while ((await first.due(Date.now(), 1)).length > 0 && rounds < 100) {
    rounds += 1;
    await Promise.all(workers.map((w) => w.runOnce()));
  }
  const waiting = await Promise.all(later.map((item) => first.get(item.id)));
  return { sends, dueIds: dueItems.map((i) => i.id), waiting, rounds };
}

/** The expectations of the burst. */
export function expectBurstDeliveredOnce(result: BurstResult, notDue: number): void {
  expect(result.sends.size).toBe(result.dueIds.length);
  expect(result.dueIds.every((id) => result.sends.get(id) === 1)).toBe(true);
  expect(result.waiting.filter((item) => item !== undefined)).toHaveLength(notDue);
  expect(result.rounds).toBeLessThan(100);
}
