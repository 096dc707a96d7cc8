/**
 * Fixtures for outbox tests: items with random tokens, items for real emulator logins, and the
 * contract every `Outbox` must keep (one suite, run against each implementation and store).
 *
 * @module
 */
import type { Emulator } from '../../src/emulator/index.js';
import { ErrorCode } from '../../src/index.js';
import { type Outbox, type OutboxItem, outboxId } from '../../src/fail-open/index.js';
import { login } from '../emulator/helpers.js';
import { newToken, rejection } from './feedback.js';

/** The original authentication time used by default: an old one, so a replay with "now" would show. */
export const ORIGINAL_TIME = 1_700_000_000;

let counter = 0;

/** An item for a random token, due at `now`, expiring an hour later (real time unless `now` says otherwise). */
export function makeItem(overrides: Partial<OutboxItem> & { alias?: string } = {}, now = Date.now()): OutboxItem {
  counter += 1;
  const { alias = `alias-${counter}`, ...rest } = overrides;
  const sub = rest.sub ?? `sub-${counter}`;
  return {
    id: outboxId(sub, alias),
    accessToken: newToken(),
    report: { type: 'authentication_performed', alias, time: ORIGINAL_TIME, amr: ['pwd'] },
    sub,
    expiresAt: now + 3_600_000,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
    ...rest,
  };
}

/** Sign `identity` in at the emulator and build the item the middleware would queue for it. */
export async function loginItem(
  emu: Emulator,
  identity: string,
  options: { alias?: string; time?: number; now?: number } = {},
): Promise<OutboxItem> {
  const { accessToken, claims } = await login(emu, identity);
  const sub = claims.sub as string;
  const alias = options.alias ?? `local-${identity}`;
  const now = options.now ?? Date.now();
  return {
    ...makeItem({ sub, alias, accessToken }, now),
    report: { type: 'authentication_performed', alias, time: options.time ?? ORIGINAL_TIME, amr: ['pwd'] },
  };
}

/** Emulator identities `user0` ... `user<n-1>`. */
export function identities(n: number): Array<{ id: string; email: string }> {
  return Array.from({ length: n }, (_, i) => ({ id: `user${i}`, email: `user${i}@example.com` }));
}

/** Accepted reports per BindID user at the emulator. */
export function acceptedPerSub(emu: Emulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of emu.reports()) if (r.accepted && r.sub) counts.set(r.sub, (counts.get(r.sub) ?? 0) + 1);
  return counts;
}

/** An outbox under test. */
export interface OutboxUnderTest {
  outbox: Outbox;
  /** A second handle on the same storage, as another app instance has; omitted where claims are per process. */
  other?: Outbox;
  /** The clock of the outbox (leases), in ms. */
  now(): number;
  /** Let `ms` pass for the outbox and its store. */
  pass(ms: number): Promise<void>;
  close?(): Promise<void>;
}

/** Define the Outbox contract tests for the outbox made by `open` (fresh and empty per test). */
export function describeOutboxContract(name: string, open: () => Promise<OutboxUnderTest>): void {
  describe(`${name}: the Outbox contract`, () => {
    let t: OutboxUnderTest;
    let outbox: Outbox;
    beforeEach(async () => {
      t = await open();
      outbox = t.outbox;
    });
    afterEach(async () => {
      await t.close?.();
    });

    it('keeps an enqueued item as it was given, token included (server-side), with the original time', async () => {
      const item = makeItem({}, t.now());
      expect(await outbox.enqueue(item)).toBe(true);
      expect(await outbox.get(item.id)).toEqual(item);
      expect(await outbox.due(t.now(), 10)).toEqual([item]);
    });

    it('dedupes on (sub, alias): a second item with the same id is refused and the first one kept', async () => {
      const first = makeItem({ sub: 'sub-a', alias: 'alias-a' }, t.now());
      const second = { ...makeItem({ sub: 'sub-a', alias: 'alias-a' }, t.now()), report: { ...first.report, time: 1 } };
      expect(second.id).toBe(first.id);
      expect(await outbox.enqueue(first)).toBe(true);
      expect(await outbox.enqueue(second)).toBe(false);
      expect(await outbox.get(first.id)).toEqual(first);
      const otherAlias = makeItem({ sub: 'sub-a', alias: 'alias-b' }, t.now());
      expect(await outbox.enqueue(otherAlias)).toBe(true);
    });

    it('dedupes concurrent enqueues of one (sub, alias): exactly one wins', async () => {
      const items = Array.from({ length: 20 }, () => makeItem({ sub: 'sub-c', alias: 'alias-c' }, t.now()));
      const results = await Promise.all(items.map((item) => outbox.enqueue(item)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await outbox.get(items[0]?.id as string))?.accessToken).toBe(items[results.indexOf(true)]?.accessToken);
    });

    it('stores only the fields of an item', async () => {
      const item = makeItem({}, t.now());
      const extra = { ...item, password: 'hunter2', report: { ...item.report, note: 'x' } } as unknown as OutboxItem;
      await outbox.enqueue(extra);
      expect(await outbox.get(item.id)).toEqual(item);
    });

    it('due gives items due or expired at now, earliest first, at most limit', async () => {
      const now = t.now();
      const later = makeItem({ nextAttemptAt: now + 60_000 }, now);
      const expiredNotDue = makeItem({ nextAttemptAt: now + 60_000, expiresAt: now - 1 }, now);
      const a = makeItem({ nextAttemptAt: now - 3000 }, now);
      const b = makeItem({ nextAttemptAt: now - 2000 }, now);
      const c = makeItem({ nextAttemptAt: now }, now);
      for (const item of [later, c, a, expiredNotDue, b]) expect(await outbox.enqueue(item)).toBe(true);
      expect((await outbox.due(now, 10)).map((i) => i.id)).toEqual([a.id, b.id, c.id, expiredNotDue.id]);
      expect((await outbox.due(now, 2)).map((i) => i.id)).toEqual([a.id, b.id]);
      expect(await outbox.due(now, 0)).toEqual([]);
      expect((await outbox.due(now + 60_000, 10)).map((i) => i.id)).toContain(later.id);
    });

    it('claim is exclusive while the lease lasts, and free again after it', async () => {
      const item = makeItem({}, t.now());
      await outbox.enqueue(item);
      const first = await outbox.claim(item.id, 300);
      expect(first).toEqual(expect.any(String));
      expect(await outbox.claim(item.id, 300)).toBe(false);
      if (t.other) expect(await t.other.claim(item.id, 300)).toBe(false);
      await t.pass(400);
      const second = await outbox.claim(item.id, 300);
      expect(second).toEqual(expect.any(String));
      expect(second).not.toBe(first); // a token per claim
    });

    it('update stores the new schedule and releases the claim', async () => {
      const item = makeItem({}, t.now());
      await outbox.enqueue(item);
      const lease = await outbox.claim(item.id, 60_000);
      if (!lease) throw new Error('claim failed');
      const next = { ...item, attempts: 1, nextAttemptAt: item.nextAttemptAt + 5000 };
      expect(await outbox.update(next, lease)).toBe(true);
      expect(await outbox.get(item.id)).toEqual(next);
      expect(await outbox.due(item.nextAttemptAt, 10)).toEqual([]);
      expect(await (t.other ?? outbox).claim(item.id, 60_000)).toEqual(expect.any(String));
    });

    it('update never brings back a removed item; remove releases the claim and may be repeated', async () => {
      const item = makeItem({}, t.now());
      await outbox.enqueue(item);
      const lease = await outbox.claim(item.id, 60_000);
      if (!lease) throw new Error('claim failed');
      await (t.other ?? outbox).remove(item.id); // delivered elsewhere (self-heal): the item only
      expect(await outbox.update({ ...item, attempts: 1 }, lease)).toBe(false);
      expect(await outbox.get(item.id)).toBeUndefined();
      expect(await outbox.due(t.now() + 86_400_000, 10)).toEqual([]);
      await expect(outbox.remove(item.id, lease)).resolves.toBeUndefined();
      expect(await outbox.claim(item.id, 60_000)).toEqual(expect.any(String));
      expect(await outbox.enqueue(item)).toBe(true); // a later outage may queue it again
    });

    it('a lease is released only by its owner: once it expired and another claim took the item, the old owner can neither update the item nor free that claim', async () => {
      const item = makeItem({}, t.now());
      await outbox.enqueue(item);
      const other = t.other ?? outbox;
      const old = await outbox.claim(item.id, 300);
      if (!old) throw new Error('claim failed');
      await t.pass(400);
      const current = await other.claim(item.id, 60_000);
      expect(current).toEqual(expect.any(String));
      expect(await outbox.update({ ...item, attempts: 1, nextAttemptAt: item.nextAttemptAt + 5000 }, old)).toBe(false);
      expect(await outbox.get(item.id)).toEqual(item);
      expect(await outbox.claim(item.id, 60_000)).toBe(false);
      await outbox.remove(item.id, old);
      expect(await other.claim(item.id, 60_000)).toBe(false);
      expect(await outbox.claim(item.id, 60_000)).toBe(false);
    });

    it('a second instance sees the same items and the same dedupe', async () => {
      if (!t.other) return;
      const item = makeItem({}, t.now());
      expect(await outbox.enqueue(item)).toBe(true);
      expect(await t.other.enqueue({ ...item, accessToken: 'another-token' })).toBe(false);
      expect(await t.other.get(item.id)).toEqual(item);
      expect(await t.other.due(t.now(), 10)).toEqual([item]);
      await t.other.remove(item.id);
      expect(await outbox.get(item.id)).toBeUndefined();
    });

    it('refuses a malformed item where items enter, at enqueue, with ERR_BINDID_INVALID_ARGUMENT, never repeating the token', async () => {
      const good = makeItem({}, t.now());
      const bad: Array<[string, unknown]> = [
        ['not an object', 'item'],
        ['id not from outboxId', { ...good, id: 'abc' }],
        ['token with a space', { ...good, accessToken: 'secret token' }],
        ['no token', { ...good, accessToken: '' }],
        ['no sub', { ...good, sub: '' }],
        ['no report', { ...good, report: null }],
        ['unknown report type', { ...good, report: { ...good.report, type: 'login' } }],
        ['time in ms as a float', { ...good, report: { ...good.report, time: 1.5 } }],
        ['alias not a string', { ...good, report: { ...good.report, alias: 5 } }],
        ['amr not strings', { ...good, report: { ...good.report, amr: [1] } }],
        ['negative attempts', { ...good, attempts: -1 }],
        ['expiresAt NaN', { ...good, expiresAt: Number.NaN }],
      ];
      for (const [, item] of bad) {
        const err = await rejection(outbox.enqueue(item as OutboxItem));
        expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
        expect(err.message).not.toContain('secret token');
      }
      expect(await outbox.due(t.now() + 86_400_000, 10)).toEqual([]);
    });
  });
}
