/**
 * Checklist F (reliability.md §6): deriving the alias reported to BindID, and recognising returning
 * users by the `bindid_alias` of their verified ID token.
 */
import fc from 'fast-check';
import { defaultAlias } from '../../src/confirm/alias.js';
import { ErrorCode, isBindIdError, opaqueAlias } from '../../src/index.js';
import type { RecognizedEvent } from '../../src/flow/flow-events.js';
import { MIN_ALIAS_SECRET_BYTES } from '../../src/confirm/alias.js';
import { assertAlias } from '../../src/feedback/assert-alias.js';
import { claimsFor, forgedCallback, trustTestKey } from '../helpers/forged-tokens.js';
import {
  bindIdSignIn,
  comparable,
  confirmPage,
  type Flow,
  type FlowOptions,
  freshUser,
  linkAs,
  submitConfirm,
  type TestUser,
  useFlowPerTest,
  whoami,
} from '../helpers/flow.js';

const IDENTITIES = ['alice', 'bob', 'carol'].map((id) => ({ id, email: `${id}@example.com` }));
/** One emulator for the file (with IDENTITIES), reset at each flow; a test that needs other emulator options gets its own. */
const flows = useFlowPerTest({ shareEmulator: { identities: IDENTITIES } });

/** An app user table that can rename, delete and disable users; alias lookups are recorded. */
function userTable() {
  const users = new Map<number, { username: string; password: string; disabled?: boolean }>();
  const lookups: string[] = [];
  for (let i = 0; i < 3; i++) {
    const u = freshUser();
    users.set(u.id, { username: u.username, password: u.password });
  }
  return {
    users,
    lookups,
    ids: [...users.keys()] as [number, number, number],
    verify: (username: string, password: string): TestUser | false => {
      for (const [id, u] of users) if (u.username === username && u.password === password && !u.disabled) return { id, username };
      return false;
    },
    findUserByAlias: (alias: string): TestUser | null => {
      lookups.push(alias);
      const id = Number(alias);
      const u = users.get(id);
      return u && !u.disabled && String(id) === alias ? { id, username: u.username } : null;
    },
  };
}

function start(table: ReturnType<typeof userTable>, options: FlowOptions = {}): Promise<Flow> {
  return flows.start({
    verify: table.verify,
    ...options,
    ...(options.emulator ? { emulator: { identities: IDENTITIES, ...options.emulator } } : {}),
    router: { findUserByAlias: table.findUserByAlias, ...options.router },
  });
}

describe('F. Alias derivation and recognition', () => {
  it('F51 a username change after linking keeps the alias; the next BindID sign-in resolves the same user', async () => {
    const table = userTable();
    const recognized: Array<RecognizedEvent<TestUser>> = [];
    const f = await start(table, { router: { onRecognized: (e) => void recognized.push(e) } });
    const [id] = table.ids;
    const user = table.users.get(id) as { username: string; password: string };
    expect((await linkAs(f.agent(), 'carol', user.username, user.password)).status).toBe(303);
    expect(f.emulator.aliasOf(f.emulator.subOf('carol') ?? '')).toBe(String(id));
    user.username = `${user.username}-renamed`;
    const again = f.agent();
    const res = await bindIdSignIn(again, 'carol');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(recognized.map((e) => [e.alias, e.user])).toEqual([[String(id), { id, username: user.username }]]);
    expect(f.emulator.reports()).toHaveLength(1);
  });

  it('F52 a deleted user\'s alias is refused (ERR_BINDID_UNKNOWN_ALIAS): nobody is created, no confirm step, no report', async () => {
    const table = userTable();
    const f = await start(table);
    const [id] = table.ids;
    const user = table.users.get(id) as { username: string; password: string };
    expect((await linkAs(f.agent(), 'carol', user.username, user.password)).status).toBe(303);
    table.users.delete(id);
    const agent = f.agent();
    const res = await bindIdSignIn(agent, 'carol');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(ErrorCode.UNKNOWN_ALIAS);
    const me = await whoami(agent);
    expect(me.user).toBeNull();
    expect(me.session.bindid ?? {}).not.toHaveProperty('pending');
    expect((await confirmPage(agent)).res.status).toBe(400);
    expect(table.lookups).toEqual([String(id)]);
    expect(f.emulator.reports()).toHaveLength(1);
  });

  it('F53 a disabled user\'s alias is refused with exactly the deleted-user answer; a password lockout does not block BindID', async () => {
    const table = userTable();
    const f = await start(table, { router: { attemptLimits: { perAccount: 2, perIp: 1000 } } });
    const [deletedId, disabledId, lockedId] = table.ids;
    const identities = ['alice', 'bob', 'carol'];
    for (const [i, id] of [deletedId, disabledId, lockedId].entries()) {
      const u = table.users.get(id) as { username: string; password: string };
      expect((await linkAs(f.agent(), identities[i] as string, u.username, u.password)).status).toBe(303);
    }
    table.users.delete(deletedId);
    (table.users.get(disabledId) as { disabled?: boolean }).disabled = true;
    const deleted = await bindIdSignIn(f.agent(), 'alice');
    const disabled = await bindIdSignIn(f.agent(), 'bob');
    expect(disabled.status).toBe(403);
    expect(comparable(disabled)).toEqual(comparable(deleted));
    // Password guessing locks the password check of the third account (attempt limiter) ...
    const locked = table.users.get(lockedId) as { username: string; password: string };
    for (let i = 0; i < 2; i++) {
      const agent = f.agent();
      await bindIdSignIn(agent, 'new');
      const { csrf } = await confirmPage(agent);
      expect((await submitConfirm(agent, { _csrf: csrf, username: locked.username, password: 'guess' })).status).toBe(401);
    }
    // ... but not its owner's BindID sign-in (by design: lockout must not become a denial of service).
    const owner = f.agent();
    expect((await bindIdSignIn(owner, 'carol')).status).toBe(303);
    expect((await whoami(owner)).user).toMatchObject({ id: lockedId });
  });

  describe('F54 what the alias reveals', () => {
    const secret = 'an-app-secret-of-at-least-32-bytes!!';

    it('F54 the default alias is String(user.id): the immutable id, never the username or email; bounded and valid', () => {
      expect(defaultAlias({ id: 42, username: 'alice', email: 'alice@example.com' })).toBe('42');
      expect(defaultAlias({ id: 'u_7f3a', username: 'alice' })).toBe('u_7f3a');
      for (const user of [{}, { id: '' }, { id: 1.5 }, { id: Number.MAX_SAFE_INTEGER + 1 }, { id: null }, { username: 'alice' }, null]) {
        let error: unknown;
        try {
          defaultAlias(user);
        } catch (err) {
          error = err;
        }
        expect(isBindIdError(error, ErrorCode.INVALID_ALIAS)).toBe(true);
      }
    });

    it('F54 opaqueAlias: 43 base64url characters, deterministic, no trace of the id, username or email', () => {
      const alias = opaqueAlias(secret);
      const user = { id: 1234567, username: 'alice', email: 'alice@example.com' };
      const value = alias(user);
      expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(() => assertAlias(value)).not.toThrow();
      expect(alias({ ...user, username: 'renamed', email: 'new@example.com' })).toBe(value);
      for (const part of ['1234567', 'alice', 'example']) expect(value.includes(part)).toBe(false);
      expect(opaqueAlias(`${secret}-other`)(user)).not.toBe(value);
      expect(opaqueAlias(Buffer.from(secret))(user)).toBe(value);
    });

    it('F54 opaqueAlias refuses a short secret and a user without an id', () => {
      for (const bad of ['', 'short', 'x'.repeat(MIN_ALIAS_SECRET_BYTES - 1), undefined, 42]) {
        expect(() => opaqueAlias(bad as string)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
      }
      expect(() => opaqueAlias(secret)({ username: 'alice' })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ALIAS }));
    });

    it('F54 with alias: opaqueAlias(secret) the router reports the opaque value and recognises the user by it', async () => {
      const table = userTable();
      const alias = opaqueAlias(secret);
      const byAlias = (value: string) => {
        for (const [id, u] of table.users) if (alias({ id }) === value) return { id, username: u.username };
        return null;
      };
      const f = await start(table, { router: { alias, findUserByAlias: byAlias } });
      const [id] = table.ids;
      const u = table.users.get(id) as { username: string; password: string };
      expect((await linkAs(f.agent(), 'carol', u.username, u.password)).status).toBe(303);
      expect(f.emulator.reports()[0]).toMatchObject({ accepted: true, alias: alias({ id }) });
      const again = f.agent();
      expect((await bindIdSignIn(again, 'carol')).headers.location).toBe('/');
      expect((await whoami(again)).user).toMatchObject({ id });
    });
  });

  describe('F55 aliases are injective and stable', () => {
    const secret = 'property-test-secret-of-32-bytes-or-more';
    const ids = fc.oneof(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.string({ minLength: 1, maxLength: 64 }));

    it('F55 distinct integer ids, or distinct string ids, give distinct aliases (default and opaque)', () => {
      const opaque = opaqueAlias(secret);
      for (const arbitrary of [fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.string({ minLength: 1, maxLength: 64 })]) {
        fc.assert(
          fc.property(fc.uniqueArray(arbitrary as fc.Arbitrary<string | number>, { minLength: 2, maxLength: 50 }), (values) => {
            for (const derive of [defaultAlias, opaque]) {
              const aliases = values.map((id) => derive({ id }));
              expect(new Set(aliases).size).toBe(values.length);
            }
          }),
        );
      }
    });

    it('F55 the same id gives the same alias across restarts (a new alias function with the same secret)', () => {
      fc.assert(
        fc.property(ids, (id) => {
          expect(defaultAlias({ id })).toBe(defaultAlias({ id }));
          expect(opaqueAlias(secret)({ id })).toBe(opaqueAlias(`${secret}`)({ id }));
          expect(opaqueAlias(secret)({ id })).toMatch(/^[A-Za-z0-9_-]{43}$/);
        }),
      );
    });
  });

  describe('F56 a malformed bindid_alias in the verified ID token', () => {
    it.each([
      ['a number', 42],
      ['an object', { id: 1 }],
      ['an array', ['1']],
      ['a boolean', true],
      ['over 256 characters', '1'.repeat(257)],
      ['a control character', '1\n2'],
      ['surrounding whitespace', ' 1 '],
    ])('F56 %s is refused (ERR_BINDID_ALIAS_UNUSABLE, 403) before any lookup; nothing is stored', async (_name, value) => {
      const table = userTable();
      const f = await start(table);
      const forger = await trustTestKey(f.emulator);
      const agent = f.agent();
      const res = await forgedCallback(agent, f.emulator, (ctx) => forger.sign(claimsFor(ctx, { bindid_alias: value })));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe(ErrorCode.ALIAS_UNUSABLE);
      expect(table.lookups).toEqual([]);
      const me = await whoami(agent);
      expect(me.user).toBeNull();
      expect(me.session.bindid ?? {}).not.toHaveProperty('pending');
    });

    it('F56 control: a well-formed alias in the same kind of token is looked up and signs the user in', async () => {
      const table = userTable();
      const f = await start(table);
      const forger = await trustTestKey(f.emulator);
      const [id] = table.ids;
      const agent = f.agent();
      const res = await forgedCallback(agent, f.emulator, (ctx) => forger.sign(claimsFor(ctx, { bindid_alias: String(id) })));
      expect(res.status).toBe(303);
      expect(table.lookups).toEqual([String(id)]);
      expect((await whoami(agent)).user).toMatchObject({ id });
    });
  });
});
