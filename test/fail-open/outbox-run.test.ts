/**
 * OutboxWorker's run and StoreOutbox on their own (a MemoryBindIdStore, an injected clock, a sender
 * that answers as told, no BindID): what a run counts when the item changed under its claim, the
 * events and diagnostics channels, the hooks' warnings, the lease against the client's deadline, how
 * long an expired item is kept, and StoreOutbox's refusal of a store without the queue operations.
 */
import diagnostics from 'node:diagnostics_channel';
import { BindIdError, type BindIdStore, DIAGNOSTICS_CHANNELS, ErrorCode, MemoryBindIdStore } from '../../src/index.js';
import { type Outbox, type OutboxDeadLetterEvent, type OutboxItem, type OutboxSender, OutboxWorker, StoreOutbox } from '../../src/fail-open/index.js';
import { makeItem } from '../helpers/outbox.js';

const T0 = 1_800_000_000_000;

/** A StoreOutbox on a MemoryBindIdStore, both on the clock `clock.at`. */
function outboxAt(clock: { at: number }, retainExpiredMs?: number): StoreOutbox {
  const now = () => clock.at;
  return new StoreOutbox(new MemoryBindIdStore({ now }), { now, ...(retainExpiredMs === undefined ? {} : { retainExpiredMs }) });
}

/** `outbox`, but its re-read under a claim answers `get` instead. */
function reReading(outbox: StoreOutbox, get: Outbox['get']): Outbox {
  return {
    enqueue: (item) => outbox.enqueue(item),
    due: (now, limit) => outbox.due(now, limit),
    claim: (id, leaseMs) => outbox.claim(id, leaseMs),
    get,
    update: (item, lease) => outbox.update(item, lease),
    remove: (id, lease) => outbox.remove(id, lease),
  };
}

/** A sender that accepts each report (200), or throws `fail` when given. */
function sender(fail?: unknown): OutboxSender & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    timeoutMs: 5000,
    send: async (accessToken) => {
      sent.push(accessToken);
      if (fail !== undefined) throw fail;
      return { status: 200, attempts: 1, durationMs: 1 };
    },
  };
}

/** Messages published on `channel` while `run` runs. */
async function published(channel: string, run: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const handler = (message: unknown) => seen.push(message);
  diagnostics.subscribe(channel, handler);
  try {
    await run();
  } finally {
    diagnostics.unsubscribe(channel, handler);
  }
  return seen;
}

describe('a run, when the item changed under the claim', () => {
  it('an item gone when re-read (another worker delivered it) is skipped, not sent', async () => {
    const clock = { at: T0 };
    const store = outboxAt(clock);
    await store.enqueue(makeItem({}, T0));
    const outbox = reReading(store, async () => undefined);
    const client = sender();
    const result = await new OutboxWorker({ outbox, client, now: () => clock.at }).runOnce();
    expect(result).toEqual({ delivered: 0, retried: 0, deadLettered: 0, skipped: 1, failed: 0 });
    expect(client.sent).toEqual([]);
  });

  it('an item rescheduled by another worker since the listing (not due when re-read) is skipped, not sent', async () => {
    const clock = { at: T0 };
    const store = outboxAt(clock);
    const item = makeItem({}, T0);
    await store.enqueue(item);
    const outbox = reReading(store, async (): Promise<OutboxItem> => ({ ...item, attempts: 1, nextAttemptAt: T0 + 60_000 }));
    const client = sender();
    const result = await new OutboxWorker({ outbox, client, now: () => clock.at }).runOnce();
    expect(result).toEqual({ delivered: 0, retried: 0, deadLettered: 0, skipped: 1, failed: 0 });
    expect(client.sent).toEqual([]);
  });
});

describe('refusals and retries', () => {
  it('a refusal BindID marks retryable (ERR_BINDID_REJECTED, retryable) is retried, not dead-lettered', async () => {
    const clock = { at: T0 };
    const outbox = outboxAt(clock);
    await outbox.enqueue(makeItem({}, T0));
    const fail = new BindIdError(ErrorCode.REJECTED, 'BindID asked to try again later', { status: 409, retryable: true });
    const result = await new OutboxWorker({ outbox, client: sender(fail), now: () => clock.at, random: () => 0.5 }).runOnce();
    expect(result).toMatchObject({ retried: 1, deadLettered: 0 });
  });

  it('an expired item is dead-lettered with reason expired and no code at all; a refused one with its code', async () => {
    const clock = { at: T0 };
    const outbox = outboxAt(clock);
    await outbox.enqueue(makeItem({ expiresAt: T0 + 1000 }, T0));
    const dead: OutboxDeadLetterEvent[] = [];
    clock.at = T0 + 2000;
    await new OutboxWorker({ outbox, client: sender(), now: () => clock.at, onDeadLetter: (e) => void dead.push(e) }).runOnce();
    expect(dead).toHaveLength(1);
    expect(dead[0]?.reason).toBe('expired');
    expect(Object.keys(dead[0] ?? {})).not.toContain('code');
  });
});

describe('the diagnostics channels', () => {
  it('a delivery is published on outboxDeliver with the attempt it took', async () => {
    const clock = { at: T0 };
    const outbox = outboxAt(clock);
    const item = makeItem({}, T0);
    await outbox.enqueue(item);
    const worker = new OutboxWorker({ outbox, client: sender(), now: () => clock.at });
    const seen = await published(DIAGNOSTICS_CHANNELS.outboxDeliver, () => worker.runOnce());
    expect(seen).toEqual([{ id: item.id, type: 'authentication_performed', attempts: 1 }]);
  });

  it('a dead letter is published on outboxDeadLetter with its reason: expired, or rejected and the code', async () => {
    const clock = { at: T0 };
    const outbox = outboxAt(clock);
    const expired = makeItem({ expiresAt: T0 + 1000 }, T0);
    await outbox.enqueue(expired);
    clock.at = T0 + 2000;
    const refused = makeItem({}, clock.at);
    await outbox.enqueue(refused);
    const fail = new BindIdError(ErrorCode.REJECTED, 'refused', { status: 409 });
    const worker = new OutboxWorker({ outbox, client: sender(fail), now: () => clock.at });
    const seen = await published(DIAGNOSTICS_CHANNELS.outboxDeadLetter, () => worker.runOnce());
    expect(seen).toEqual(
      expect.arrayContaining([
        { id: expired.id, type: 'authentication_performed', attempts: 0, reason: 'expired' },
        { id: refused.id, type: 'authentication_performed', attempts: 1, reason: `rejected: ${ErrorCode.REJECTED}` },
      ]),
    );
    expect(seen).toHaveLength(2);
  });
});

describe("a hook that throws: the warning names it", () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['onDelivered', undefined],
    ['onRetry', new Error('down')],
    ['onDeadLetter', new BindIdError(ErrorCode.REJECTED, 'refused', { status: 409 })],
  ] as const)('%s', async (hook, fail) => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const clock = { at: T0 };
    const outbox = outboxAt(clock);
    await outbox.enqueue(makeItem({}, T0));
    const thrown = Object.assign(new Error('hook broke'), { code: `ERR_TEST_OUTBOX_RUN_${hook}` });
    const worker = new OutboxWorker({
      outbox,
      client: sender(fail),
      now: () => clock.at,
      [hook]: () => {
        throw thrown;
      },
    });
    await worker.runOnce();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(`the ${hook} hook threw`), expect.anything());
  });
});

describe("the lease and the client's deadline", () => {
  it('a client without a finite timeoutMs gets the default lease of 30 s', () => {
    const client: OutboxSender = { timeoutMs: Number.POSITIVE_INFINITY, send: sender().send };
    expect(new OutboxWorker({ outbox: outboxAt({ at: T0 }), client }).leaseMs).toBe(30_000);
  });
});

describe('StoreOutbox', () => {
  it('keeps an item that expires within the second for at least a second, so a worker still dead-letters it (retainExpiredMs 0)', async () => {
    const clock = { at: T0 };
    const outbox = outboxAt(clock, 0);
    await outbox.enqueue(makeItem({ expiresAt: T0 + 100 }, T0));
    clock.at = T0 + 500;
    const result = await new OutboxWorker({ outbox, client: sender(), now: () => clock.at }).runOnce();
    expect(result).toMatchObject({ deadLettered: 1 });
  });

  it('refuses a store without the queue operations, naming it and what to use instead', () => {
    class PlainStore {
      async get(): Promise<undefined> {
        return undefined;
      }
    }
    const plain = new PlainStore() as unknown as BindIdStore;
    expect(() => new StoreOutbox(plain)).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_OPTION,
        message: expect.stringMatching(/StoreOutbox\(\) option `store` .*PlainStore has not: use RedisBindIdStore or MemoryBindIdStore, or implement them/),
      }),
    );
    const withoutGet = Object.fromEntries(
      ['queueAdd', 'queueDue', 'queueGet', 'queueClaim', 'queueUpdate', 'queueRemove'].map((name) => [name, async () => undefined]),
    ) as unknown as BindIdStore;
    expect(() => new StoreOutbox(withoutGet)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }));
    const bare = Object.create(null) as BindIdStore;
    expect(() => new StoreOutbox(bare)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION, message: expect.stringContaining('this store has not') }));
  });

  it('names itself in an option error (keyPrefix with a brace)', () => {
    expect(() => new StoreOutbox(new MemoryBindIdStore(), { keyPrefix: 'outbox:{a}' })).toThrow(/StoreOutbox\(\) option `keyPrefix` must not contain \{ or \}/);
  });
});
