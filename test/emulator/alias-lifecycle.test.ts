/**
 * Session feedback changes what later logins see: `authentication_performed` sets the alias and
 * binds the user (`bindid_alias`, `ts.bindid.app_bound_cred`, `capp_first_confirmed_login`),
 * `alias_updated` replaces it, `alias_deleted` removes it; two users cannot share an alias unless
 * `aliasConflict: 'allow'`.
 */
import type { Emulator } from '../../src/emulator/index.js';
import { login, report, startEmulator } from './helpers.js';

describe('alias lifecycle (aliasConflict: reject, the default)', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());

  it('a new user has no alias, is not app-bound and not confirmed', async () => {
    const { claims } = await login(emu, 'new');
    expect(claims).not.toHaveProperty('bindid_alias');
    expect(claims).not.toHaveProperty('acr');
    expect(claims.bindid_info).not.toHaveProperty('capp_first_confirmed_login');
  });

  it('authentication_performed → the next login carries bindid_alias, app_bound_cred and capp_first_confirmed_login', async () => {
    const first = await login(emu, 'alice');
    expect(await report(emu, first.accessToken, 'authentication_performed', 'user-alice')).toBe(200);
    expect(emu.aliasOf(first.claims.sub as string)).toBe('user-alice');

    const second = await login(emu, 'alice');
    expect(second.claims.sub).toBe(first.claims.sub);
    expect(second.claims.bindid_alias).toBe('user-alice');
    expect(second.claims.acr).toBe('ts.bindid.app_bound_cred');
    const info = second.claims.bindid_info as Record<string, number>;
    expect(info.capp_first_confirmed_login).toBeGreaterThanOrEqual(info.capp_first_login as number);
  });

  it('alias_updated → the next login carries the new alias', async () => {
    const { accessToken } = await login(emu, 'alice');
    expect(await report(emu, accessToken, 'alias_updated', 'user-alice-2')).toBe(200);
    expect((await login(emu, 'alice')).claims.bindid_alias).toBe('user-alice-2');
  });

  it('alias_deleted (no alias in the report) → the next login has no alias and is not app-bound', async () => {
    const { accessToken } = await login(emu, 'alice');
    expect(await report(emu, accessToken, 'alias_deleted')).toBe(200);
    const { claims } = await login(emu, 'alice');
    expect(claims).not.toHaveProperty('bindid_alias');
    expect(claims).not.toHaveProperty('acr');
    expect(emu.aliasOf(claims.sub as string)).toBeUndefined();
  });

  it('a deleted alias is free for another user again', async () => {
    const alice = await login(emu, 'alice');
    const bob = await login(emu, 'bob');
    expect(await report(emu, alice.accessToken, 'authentication_performed', 'shared')).toBe(200);
    expect(await report(emu, bob.accessToken, 'authentication_performed', 'shared')).toBe(409);
    expect(await report(emu, alice.accessToken, 'alias_deleted', 'shared')).toBe(200);
    expect(await report(emu, bob.accessToken, 'authentication_performed', 'shared')).toBe(200);
  });

  it('setAlias() seeds state that the next ID token reflects', async () => {
    const sub = emu.subOf('bob') as string;
    emu.setAlias(sub, 'seeded-bob');
    expect((await login(emu, 'bob')).claims.bindid_alias).toBe('seeded-bob');
    emu.setAlias(sub, undefined);
    expect((await login(emu, 'bob')).claims).not.toHaveProperty('bindid_alias');
    expect(() => emu.setAlias('no-such-sub', 'x')).toThrow(/unknown sub/);
  });

  it("aliasConflict 'reject' (default): another user's alias → 409, alias unchanged", async () => {
    emu.clearReports();
    const first = await login(emu, 'new');
    const second = await login(emu, 'new');
    expect(await report(emu, first.accessToken, 'authentication_performed', 'taken')).toBe(200);
    expect(await report(emu, second.accessToken, 'authentication_performed', 'taken')).toBe(409);
    expect(await report(emu, second.accessToken, 'alias_updated', 'taken')).toBe(409);
    expect(emu.aliasOf(second.claims.sub as string)).toBeUndefined();
    expect(emu.reports().map((r) => [r.status, r.accepted])).toEqual([
      [200, true],
      [409, false],
      [409, false],
    ]);
    // The holder itself may report its own alias again.
    expect(await report(emu, first.accessToken, 'authentication_performed', 'taken')).toBe(200);
  });
});

describe('alias_updated with the alias the user already has (unchangedAliasUpdated)', () => {
  it("'accept' (default): 200, the alias unchanged", async () => {
    const emu = await startEmulator();
    try {
      const first = await login(emu, 'alice');
      expect(await report(emu, first.accessToken, 'authentication_performed', 'same')).toBe(200);
      const again = await login(emu, 'alice');
      expect(await report(emu, again.accessToken, 'alias_updated', 'same')).toBe(200);
      expect(emu.aliasOf(first.claims.sub as string)).toBe('same');
    } finally {
      await emu.close();
    }
  });

  it("'reject': 400 invalid_request for the same alias; a new alias is still accepted", async () => {
    const emu = await startEmulator({ unchangedAliasUpdated: 'reject' });
    try {
      const first = await login(emu, 'alice');
      expect(await report(emu, first.accessToken, 'authentication_performed', 'same')).toBe(200);
      const again = await login(emu, 'alice');
      expect(await report(emu, again.accessToken, 'alias_updated', 'same')).toBe(400);
      expect(emu.reports().at(-1)?.error).toMatch(/unchanged/);
      expect(await report(emu, again.accessToken, 'alias_updated', 'other')).toBe(200);
      expect(emu.aliasOf(first.claims.sub as string)).toBe('other');
    } finally {
      await emu.close();
    }
  });
});

describe('aliasConflict: allow', () => {
  it("aliasConflict 'allow': two users may hold the same alias", async () => {
    const emu = await startEmulator({ aliasConflict: 'allow' });
    try {
      const alice = await login(emu, 'alice');
      const bob = await login(emu, 'bob');
      expect(await report(emu, alice.accessToken, 'authentication_performed', 'taken')).toBe(200);
      expect(await report(emu, bob.accessToken, 'authentication_performed', 'taken')).toBe(200);
      expect((await login(emu, 'bob')).claims.bindid_alias).toBe('taken');
    } finally {
      await emu.close();
    }
  });
});
