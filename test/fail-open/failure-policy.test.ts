/**
 * Unit tests of src/fail-open/failure-policy.ts: the self-heal records and the worker of a factory whose
 * default outbox (the session store) is not known yet. The behaviour through the router is suite K
 * (test/security/k-failure-policy.test.ts).
 */
import { healKey, readHealRecord, SELF_HEAL_TTL_MS, writeHealRecord } from '../../src/fail-open/failure-policy.js';
import { type BindIdStore, bindIdRouter, MemoryBindIdStore, sendAuthenticationPerformed } from '../../src/index.js';

function failingStore(): BindIdStore {
  const fail = () => Promise.reject(new Error('ECONNREFUSED'));
  return { add: fail, get: fail, set: fail, delete: fail, increment: fail, keys: fail, deleteIf: fail, setIf: fail };
}

describe('self-heal records', () => {
  it('are keyed on a digest of the sub, hold the alias, time and amr, and expire after SELF_HEAL_TTL_MS', async () => {
    let now = 1_000_000;
    const store = new MemoryBindIdStore({ now: () => now });
    await writeHealRecord(store, 'sub-123', { type: 'authentication_performed', alias: '42', time: 1_700_000_000, amr: ['pwd'] });
    expect(healKey('sub-123')).not.toContain('sub-123');
    expect(await store.keys('heal:')).toEqual([healKey('sub-123')]);
    expect(await readHealRecord(store, 'sub-123')).toEqual({ alias: '42', time: 1_700_000_000, amr: ['pwd'] });
    expect(await readHealRecord(store, 'other')).toBeUndefined();
    now += SELF_HEAL_TTL_MS;
    expect(await readHealRecord(store, 'sub-123')).toBeUndefined();
  });

  it('are not written for alias_deleted; a store failure is logged, never thrown', async () => {
    const store = new MemoryBindIdStore();
    await writeHealRecord(store, 's', { type: 'alias_deleted', time: 1 });
    expect(await store.keys('heal:')).toEqual([]);
    await expect(writeHealRecord(failingStore(), 's', { type: 'alias_updated', alias: 'a', time: 1 })).resolves.toBeUndefined();
    await expect(readHealRecord(failingStore(), 's')).resolves.toBeUndefined();
  });

  it('read back as undefined when malformed (bad JSON, bad alias, bad time), ignoring a bad amr', async () => {
    const store = new MemoryBindIdStore();
    for (const raw of ['{', '"x"', JSON.stringify({ alias: '', time: 1 }), JSON.stringify({ alias: 'a', time: 1.5 })]) {
      await store.set(healKey('s'), raw);
      expect(await readHealRecord(store, 's')).toBeUndefined();
    }
    await store.set(healKey('s'), JSON.stringify({ alias: 'a', time: 1, amr: [1] }));
    expect(await readHealRecord(store, 's')).toEqual({ alias: 'a', time: 1 });
  });
});

describe('the worker of a factory in fail-open mode', () => {
  const base = {
    issuer: 'https://signin.bindid-sandbox.io',
    clientId: 'c',
    clientSecret: 's',
    apiUrl: 'https://api.bindid-sandbox.io',
    baseUrl: 'https://app.example.com',
    findUserByAlias: () => null,
  };

  it('finds nothing to do before a request showed it the session store (the default outbox)', async () => {
    const router = bindIdRouter({ ...base, failureMode: 'open', outboxWorker: { start: false } });
    const middleware = sendAuthenticationPerformed({ clientSecret: 's', apiUrl: base.apiUrl, failureMode: 'open', outboxWorker: { start: false } });
    for (const worker of [router.outboxWorker, middleware.outboxWorker]) {
      expect(await worker?.runOnce()).toEqual({ delivered: 0, retried: 0, deadLettered: 0, skipped: 0, failed: 0 });
    }
  });

  it('is started on an unref()ed timer by default, and stops', async () => {
    const router = bindIdRouter({ ...base, failureMode: 'open', outboxWorker: { intervalMs: 10 } });
    const worker = router.outboxWorker;
    expect(worker?.intervalMs).toBe(10);
    const runs = jest.spyOn(worker as NonNullable<typeof worker>, 'runOnce');
    await new Promise((resolve) => setTimeout(resolve, 60));
    await worker?.stop();
    expect(runs.mock.calls.length).toBeGreaterThan(0);
    const after = runs.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(runs.mock.calls.length).toBe(after);
  });
});
