/**
 * `emulator.addIdentity`: a test identity named at run time, signed in with `identity=<id>`.
 */
import type { Emulator } from '../../src/emulator/index.js';
import { authorizeCode, authorizeUrl, get, login, sendFeedback, startEmulator } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());

describe('emulator.addIdentity', () => {
  it('adds an identity that identity=<id> signs in, with its own sub, claims and alias', async () => {
    const sub = emu.addIdentity({ id: 'carol', email: 'carol@example.com', name: 'Carol' });
    expect(sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(emu.subOf('carol')).toBe(sub);
    expect(sub).not.toBe(emu.subOf('alice'));

    const first = await login(emu, 'carol');
    expect(first.claims).toMatchObject({ sub, email: 'carol@example.com' });
    expect(first.claims.bindid_alias).toBeUndefined();
    expect((await sendFeedback(emu, first.accessToken)).status).toBe(200);
    // The same identity again: the same BindID user, now with the alias the report set.
    const again = await login(emu, 'carol');
    expect(again.claims).toMatchObject({ sub, bindid_alias: 'user-1' });
  });

  it('the sign-in page offers it like an identity created by identity=new', async () => {
    emu.addIdentity({ id: 'dave.test' });
    const page = await get(authorizeUrl(emu));
    expect(await page.text()).toContain('dave.test');
    await expect(authorizeCode(emu, { identity: 'dave.test' })).resolves.toEqual(expect.any(String));
  });

  it('refuses a bad or taken id, an unknown property or a non-string field (ERR_BINDID_INVALID_ARGUMENT)', () => {
    const bad: unknown[] = [
      null,
      'erin',
      { id: 'new' },
      { id: 'cancel' },
      { id: '' },
      { id: 'has space' },
      { id: 'x'.repeat(65) },
      { id: 'alice' },
      { id: 'erin', colour: 'blue' },
      { id: 'erin', email: 42 },
    ];
    for (const value of bad) {
      expect(() => emu.addIdentity(value as never)).toThrow(expect.objectContaining({ code: 'ERR_BINDID_INVALID_ARGUMENT' }));
    }
    emu.addIdentity({ id: 'erin' });
    expect(() => emu.addIdentity({ id: 'erin' })).toThrow(/taken/);
  });
});
