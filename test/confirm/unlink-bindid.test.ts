/**
 * `unlinkBindId`: the unlink step for apps with their own BindID callback, against the emulator.
 */
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { ErrorCode, MemoryBindIdStore, SessionFeedbackClient, unlinkBindId } from '../../src/index.js';
import { LinkRegistry } from '../../src/confirm/link-registry.js';
import { UNLINK_MAX_AGE_MS } from '../../src/confirm/unlink-bindid.js';
import { mintLogin } from '../helpers/flow.js';
import { captureDebug } from '../helpers/leaks.js';
import { unlinkRacingRelink } from '../helpers/unlink-race.js';

let emulator: Emulator;
let client: SessionFeedbackClient;

beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: ['http://localhost:4000/bindid/callback'], identities: [{ id: 'gail' }, { id: 'hugo' }] });
  client = new SessionFeedbackClient({ clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl, retries: 0, circuitBreaker: false });
});
afterAll(async () => {
  client.close();
  await emulator.close();
});
beforeEach(() => {
  emulator.clearReports();
  emulator.clearFaults();
});

/** `gail` linked as `alias` at BindID and in a fresh registry; a fresh login of her with that alias. */
async function linked(alias: string) {
  const sub = emulator.subOf('gail') as string;
  emulator.setAlias(sub, alias);
  const store = new MemoryBindIdStore();
  const registry = new LinkRegistry(store);
  await registry.record(alias, sub);
  const startedAt = Date.now(); // the unlink starts, then BindID authenticates gail
  return { sub, store, registry, startedAt, login: await mintLogin(emulator, 'gail') };
}

describe('unlinkBindId', () => {
  it('N158 reports alias_deleted with the fresh access token and forgets the link in the store', async () => {
    for (const _run of [1, 2]) {
      const { sub, store, registry, startedAt, login } = await linked('acct-1');
      const done = await unlinkBindId({
        client,
        store,
        accessToken: login.accessToken,
        claims: login.claims,
        expectedAlias: 'acct-1',
        startedAt,
      });
      expect(done).toMatchObject({ alias: 'acct-1', sub, forgotten: true, result: { status: 200 } });
      expect(await registry.isLinked('acct-1', sub)).toBe(false);
      expect(emulator.aliasOf(sub)).toBeUndefined();
    }
    expect(emulator.reports().map((r) => [r.type, r.alias, r.accepted])).toEqual([
      ['alias_deleted', 'acct-1', true],
      ['alias_deleted', 'acct-1', true],
    ]);
  });

  it('N158 claims of another BindID user (another alias, or none) are ERR_BINDID_UNLINK_MISMATCH before anything is sent', async () => {
    const { sub, store, registry, startedAt, login } = await linked('acct-2');
    const hugo = await mintLogin(emulator, 'hugo');
    for (const claims of [hugo.claims, { ...login.claims, bindid_alias: 'acct-3' }]) {
      await expect(unlinkBindId({ client, store, accessToken: login.accessToken, claims, expectedAlias: 'acct-2', startedAt })).rejects.toMatchObject({
        code: ErrorCode.UNLINK_MISMATCH,
        status: 403,
      });
    }
    expect(emulator.reports()).toEqual([]);
    expect(await registry.isLinked('acct-2', sub)).toBe(true);
  });

  it('N158 BindID unreachable: ERR_BINDID_UNAVAILABLE (503, retryable), nothing forgotten', async () => {
    const { sub, store, registry, startedAt, login } = await linked('acct-4');
    emulator.setFault('session-feedback', { status: 503 });
    await expect(
      unlinkBindId({ client, store, accessToken: login.accessToken, claims: login.claims, expectedAlias: 'acct-4', startedAt }),
    ).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE, status: 503, retryable: true });
    expect(await registry.isLinked('acct-4', sub)).toBe(true);
    expect(emulator.aliasOf(sub)).toBe('acct-4');
  });

  it('refuses bad input with ERR_BINDID_INVALID_ARGUMENT / ERR_BINDID_INVALID_ALIAS before any I/O', async () => {
    const { store, startedAt, login } = await linked('acct-5');
    const base = { client, store, accessToken: login.accessToken, claims: login.claims, expectedAlias: 'acct-5', startedAt };
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ client: {} }, ErrorCode.INVALID_ARGUMENT],
      [{ store: {} }, ErrorCode.INVALID_ARGUMENT],
      [{ claims: null }, ErrorCode.INVALID_ARGUMENT],
      [{ claims: { bindid_alias: 'acct-5' } }, ErrorCode.INVALID_ARGUMENT],
      [{ expectedAlias: ' acct-5 ' }, ErrorCode.INVALID_ALIAS],
      [{ accessToken: 'has space' }, ErrorCode.INVALID_ARGUMENT],
    ];
    for (const [override, code] of bad) {
      await expect(unlinkBindId({ ...base, ...override } as unknown as Parameters<typeof unlinkBindId>[0])).rejects.toMatchObject({ code });
    }
    expect(emulator.reports()).toEqual([]);
  });
});

describe('N187 unlinkBindId needs proof of a fresh authentication: auth_time not before startedAt (issue 23 item 5b)', () => {
  /** `gail` linked as `alias`; her fresh login's claims with `auth_time` set to `authTime` (undefined: none). */
  async function withAuthTime(alias: string, authTime: (startedAt: number) => unknown) {
    const { sub, store, registry, startedAt, login } = await linked(alias);
    const claims: Record<string, unknown> = { ...login.claims, auth_time: authTime(startedAt) };
    if (claims.auth_time === undefined) delete claims.auth_time;
    const input = { client, store, accessToken: login.accessToken, claims, expectedAlias: alias, startedAt };
    return { sub, registry, input };
  }
  const seconds = (ms: number) => Math.floor(ms / 1000);

  it.each([
    ['absent', () => undefined],
    ['a string', (startedAt: number) => String(seconds(startedAt))],
    ['not finite', () => Number.NaN],
    ['31 s before startedAt', (startedAt: number) => seconds(startedAt) - 31],
    ['a day before startedAt', (startedAt: number) => seconds(startedAt) - 86_400],
  ])('N187 auth_time %s: ERR_BINDID_UNLINK_NOT_FRESH (401) before anything is sent; the link stays', async (_name, authTime) => {
    const { sub, registry, input } = await withAuthTime('acct-fresh-1', authTime);
    const refused = await unlinkBindId(input).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: ErrorCode.UNLINK_NOT_FRESH, status: 401, expose: true });
    expect(String((refused as Error).cause)).toMatch(/auth_time/);
    expect(emulator.reports()).toEqual([]);
    expect(await registry.isLinked('acct-fresh-1', sub)).toBe(true);
    expect(emulator.aliasOf(sub)).toBe('acct-fresh-1');
  });

  it('N187 auth_time 30 s before startedAt (the clock tolerance), or after it, is fresh: unlinked', async () => {
    for (const authTime of [(startedAt: number) => seconds(startedAt) - 30, (startedAt: number) => seconds(startedAt) + 5]) {
      const { sub, registry, input } = await withAuthTime('acct-fresh-2', authTime);
      expect(await unlinkBindId(input)).toMatchObject({ forgotten: true, result: { status: 200 } });
      expect(await registry.isLinked('acct-fresh-2', sub)).toBe(false);
    }
    expect(emulator.reports().map((r) => [r.type, r.accepted])).toEqual([
      ['alias_deleted', true],
      ['alias_deleted', true],
    ]);
  });

  it('N187 an own callback cannot skip the check: startedAt missing or not a time is ERR_BINDID_INVALID_ARGUMENT, an unlink started over 10 minutes ago is not fresh; nothing sent', async () => {
    const { input } = await withAuthTime('acct-fresh-3', (startedAt) => seconds(startedAt));
    for (const startedAt of [undefined, '1700000000000', Number.NaN, 0, -1]) {
      await expect(unlinkBindId({ ...input, startedAt } as unknown as Parameters<typeof unlinkBindId>[0])).rejects.toMatchObject({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringContaining('startedAt'),
      });
    }
    // A start long ago (or a made-up one) with an auth_time after it: the unlink is too old.
    const now = () => input.startedAt + UNLINK_MAX_AGE_MS + 1;
    await expect(unlinkBindId({ ...input, now })).rejects.toMatchObject({ code: ErrorCode.UNLINK_NOT_FRESH });
    await expect(unlinkBindId({ ...input, startedAt: 1 })).rejects.toMatchObject({ code: ErrorCode.UNLINK_NOT_FRESH });
    expect(emulator.reports()).toEqual([]);
  });
});

describe('N182 an unlink racing the owner\'s re-link (issue 23 item 5, pentest F7), two instances on one memory store', () => {
  it('N182 the owner links again while the unlink waits for BindID\'s answer: the newer link stays in the registry, as at BindID; this unlink reports it did not remove it', async () => {
    const store = new MemoryBindIdStore();
    const race = await unlinkRacingRelink(emulator, { a: store, b: store }, { identity: 'gail', alias: 'acct-race-1', relink: true });
    expect({ ...race, unlink: { forgotten: race.unlink.forgotten, relinked: race.unlink.relinked } }).toEqual({
      unlink: { forgotten: false, relinked: true },
      atBindId: 'acct-race-1',
      linkedOnA: true,
      linkedOnB: true,
    });
  });

  it('N182 without a re-link the same unlink forgets the pair it saw', async () => {
    const store = new MemoryBindIdStore();
    const race = await unlinkRacingRelink(emulator, { a: store, b: store }, { identity: 'hugo', alias: 'acct-race-2', relink: false });
    expect({ ...race, unlink: { forgotten: race.unlink.forgotten, relinked: race.unlink.relinked } }).toEqual({
      unlink: { forgotten: true, relinked: false },
      atBindId: undefined,
      linkedOnA: false,
      linkedOnB: false,
    });
  });

  it('N182 a store that cannot be read before the report: ERR_BINDID_STORE_UNAVAILABLE, nothing sent', async () => {
    const { startedAt, login } = await linked('acct-race-3');
    const store = new MemoryBindIdStore();
    store.get = () => Promise.reject(new Error('down'));
    await expect(unlinkBindId({ client, store, accessToken: login.accessToken, claims: login.claims, expectedAlias: 'acct-race-3', startedAt })).rejects.toMatchObject({
      code: ErrorCode.STORE_UNAVAILABLE,
    });
    expect(emulator.reports()).toEqual([]);
  });
});

describe('N158 unlinkBindId: what an own callback and its user see', () => {
  it('N158 the report carries the unlink\'s time in unix seconds (by the injected clock)', async () => {
    const { store, startedAt, login } = await linked('acct-time-1');
    const at = startedAt + 2_999;
    await unlinkBindId({ client, store, accessToken: login.accessToken, claims: login.claims, expectedAlias: 'acct-time-1', startedAt, now: () => at });
    expect(emulator.reports().map((r) => [r.type, r.time])).toEqual([['alias_deleted', Math.floor(at / 1000)]]);
  });

  it('N158 BindID accepted but the registry cannot forget: resolved, forgotten and relinked both false', async () => {
    const { sub, store, startedAt, login } = await linked('acct-forget-1');
    store.deleteIf = () => Promise.reject(new Error('down'));
    const done = await unlinkBindId({ client, store, accessToken: login.accessToken, claims: login.claims, expectedAlias: 'acct-forget-1', startedAt });
    expect(done).toMatchObject({ alias: 'acct-forget-1', sub, forgotten: false, relinked: false, result: { status: 200 } });
    expect(emulator.aliasOf(sub)).toBeUndefined();
  });

  it('N158 the input itself missing, or a sub that is empty or not a string: ERR_BINDID_INVALID_ARGUMENT naming what is wrong, nothing sent', async () => {
    const { store, startedAt, login } = await linked('acct-input-1');
    for (const input of [null, undefined, 'input']) {
      await expect(unlinkBindId(input as unknown as Parameters<typeof unlinkBindId>[0])).rejects.toMatchObject({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringContaining('input must be an object'),
      });
    }
    const base = { client, store, accessToken: login.accessToken, expectedAlias: 'acct-input-1', startedAt };
    for (const sub of ['', 42]) {
      await expect(unlinkBindId({ ...base, claims: { ...login.claims, sub } })).rejects.toMatchObject({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringContaining('claims.sub must be a non-empty string'),
      });
    }
    await expect(unlinkBindId({ ...base, claims: login.claims, client: {} as SessionFeedbackClient })).rejects.toMatchObject({
      message: expect.stringContaining('client must be a SessionFeedbackClient'),
    });
    await expect(unlinkBindId({ ...base, claims: [] as unknown as Record<string, unknown> })).rejects.toMatchObject({
      message: expect.stringContaining('unlinkBindId(): claims must be an object'),
    });
    await expect(unlinkBindId({ ...base, claims: login.claims, startedAt: Number.POSITIVE_INFINITY })).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringContaining('startedAt'),
    });
    await expect(unlinkBindId({ ...base, claims: login.claims, store: {} as MemoryBindIdStore })).rejects.toMatchObject({
      message: expect.stringContaining('store must be a BindIdStore'),
    });
    expect(emulator.reports()).toEqual([]);
  });

  it('N158 the refusals tell the user what to do: unlink again, and sign in at BindID (with the linked identity)', async () => {
    const { store, startedAt, login } = await linked('acct-words-1');
    const base = { client, store, accessToken: login.accessToken, expectedAlias: 'acct-words-1', startedAt };
    const mismatch = await unlinkBindId({ ...base, claims: { ...login.claims, bindid_alias: 'other' } }).catch((err: Error) => err);
    expect((mismatch as Error).message).toMatch(/another account.*nothing was unlinked.*Unlink again.*identity linked to this account/s);
    const stale = await unlinkBindId({ ...base, claims: { ...login.claims, auth_time: 0 } }).catch((err: Error) => err);
    expect((stale as Error).message).toMatch(/signed in just now.*nothing was unlinked.*Unlink again and sign in at BindID/s);
  });

  it('N158 a refused unlink is logged under express-bindid:confirm (docs/troubleshooting.md)', async () => {
    const { store, startedAt, login } = await linked('acct-log-1');
    const debug = captureDebug();
    try {
      await expect(
        unlinkBindId({ client, store, accessToken: login.accessToken, claims: { ...login.claims, bindid_alias: 'other' }, expectedAlias: 'acct-log-1', startedAt }),
      ).rejects.toMatchObject({ code: ErrorCode.UNLINK_MISMATCH });
    } finally {
      debug.stop();
    }
    expect(debug.entries.filter((entry) => /unlink refused/.test(entry.line)).map((entry) => entry.namespace)).toEqual(['express-bindid:confirm']);
  });
});

describe('N187 unlinkBindId: the 10 minutes of an unlink, to the millisecond', () => {
  it('N187 an unlink reporting exactly UNLINK_MAX_AGE_MS after it started is fresh; one millisecond later it is not, and says why', async () => {
    const { store, startedAt, login } = await linked('acct-age-1');
    const claims = { ...login.claims, auth_time: Math.floor(startedAt / 1000) };
    const input = { client, store, accessToken: login.accessToken, claims, expectedAlias: 'acct-age-1', startedAt };
    const late = await unlinkBindId({ ...input, now: () => startedAt + UNLINK_MAX_AGE_MS + 1 }).catch((err: Error) => err);
    expect(late).toMatchObject({ code: ErrorCode.UNLINK_NOT_FRESH, status: 401 });
    expect(String((late as Error).cause)).toMatch(/over 10 minutes ago/);
    expect(emulator.reports()).toEqual([]);
    await expect(unlinkBindId({ ...input, now: () => startedAt + UNLINK_MAX_AGE_MS })).resolves.toMatchObject({ forgotten: true });
  });

  it('N187 the cause names the problem: no numeric auth_time, or auth_time before the unlink started', async () => {
    const { store, startedAt, login } = await linked('acct-age-2');
    const input = { client, store, accessToken: login.accessToken, expectedAlias: 'acct-age-2', startedAt };
    const none = await unlinkBindId({ ...input, claims: { ...login.claims, auth_time: '1' } }).catch((err: Error) => err);
    expect(String((none as Error).cause)).toMatch(/no numeric auth_time/);
    const early = await unlinkBindId({ ...input, claims: { ...login.claims, auth_time: 1 } }).catch((err: Error) => err);
    expect(String((early as Error).cause)).toMatch(/auth_time before the unlink started/);
  });
});
