/**
 * The emulator behaves as BindID documents it, not as an ideal provider (docs/emulator-fidelity.md):
 * `email_verified` only for verified data and `acr_values` verifications, `login_hint`,
 * `ts.bindid.app_bound_cred` per authenticating device, `bindid_info` per device,
 * `bindid_network_info` only with its scope, and the option to refuse a repeated
 * `authentication_performed`.
 */
import type { Emulator } from '../../src/emulator/index.js';
import { authorizeUrl, get, loginWith, report, startEmulator } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({
    identities: [
      { id: 'alice', email: 'alice@example.com', phoneNumber: '+15555550100' },
      { id: 'una', email: 'una@example.com', emailVerified: false, phoneNumber: '+15555550101', phoneNumberVerified: false },
    ],
  });
});
afterAll(() => emu.close());

describe('verified data (acr_values ts.bindid.iac.*)', () => {
  it('an unverified address is sent with email_verified: false; acr_values=ts.bindid.iac.email verifies it for good', async () => {
    const before = (await loginWith(emu, 'una', {})).claims;
    expect(before).toMatchObject({ email: 'una@example.com', email_verified: false });
    expect(before).not.toHaveProperty('acr');

    const verifying = (await loginWith(emu, 'una', { acr_values: 'ts.bindid.iac.email' })).claims;
    expect(verifying).toMatchObject({ email: 'una@example.com', email_verified: true, acr: 'ts.bindid.iac.email' });

    const after = (await loginWith(emu, 'una', {})).claims;
    expect(after).toMatchObject({ email: 'una@example.com', email_verified: true });
    expect(after).not.toHaveProperty('acr');
  });

  it('a phone verification without the phone scope verifies but releases no phone_number (D-VER); with the scope it does; unknown ACR values are ignored', async () => {
    const plain = (await loginWith(emu, 'una', { scope: 'openid' })).claims;
    expect(plain).not.toHaveProperty('phone_number');
    const claims = (await loginWith(emu, 'una', { scope: 'openid', acr_values: 'ts.bindid.iac.phone_number urn:other' }))
      .claims;
    expect(claims).toMatchObject({ acr: 'ts.bindid.iac.phone_number' });
    expect(claims).not.toHaveProperty('phone_number');
    expect(claims).not.toHaveProperty('email');
    const scoped = (await loginWith(emu, 'una', { scope: 'openid phone', acr_values: 'ts.bindid.iac.phone_number' })).claims;
    expect(scoped).toMatchObject({ phone_number: '+15555550101', phone_number_verified: true, acr: 'ts.bindid.iac.phone_number' });
  });

  it('an email verification (acr_values=ts.bindid.iac.email) without the email scope releases no email (D-VER)', async () => {
    const claims = (await loginWith(emu, 'new', { scope: 'openid', acr_values: 'ts.bindid.iac.email' })).claims;
    expect(claims).toMatchObject({ acr: 'ts.bindid.iac.email' });
    expect(claims).not.toHaveProperty('email');
    expect(claims).not.toHaveProperty('email_verified');
  });

  it('a new person has no email unless asked to verify one; login_hint gives the address (unverified until verified)', async () => {
    expect((await loginWith(emu, 'new', {})).claims).not.toHaveProperty('email');

    const verified = (await loginWith(emu, 'new', { acr_values: 'ts.bindid.iac.email' })).claims;
    expect(verified).toMatchObject({ email: expect.stringMatching(/^new-[0-9a-f]{8}@example\.com$/), email_verified: true });

    const hinted = (await loginWith(emu, 'new', { login_hint: 'email:hint@example.com' })).claims;
    expect(hinted).toMatchObject({ email: 'hint@example.com', email_verified: false });

    const both = (await loginWith(emu, 'new', { login_hint: 'email:both@example.com', acr_values: 'ts.bindid.iac.email' }))
      .claims;
    expect(both).toMatchObject({ email: 'both@example.com', email_verified: true, acr: 'ts.bindid.iac.email' });
  });
});

describe('login_hint', () => {
  it('the sign-in page offers the identity the hint names first', async () => {
    const plain = await (await get(authorizeUrl(emu))).text();
    expect(plain.indexOf('value="alice"')).toBeLessThan(plain.indexOf('value="una"'));
    expect(plain).not.toContain('login_hint');

    const html = await (await get(authorizeUrl(emu, { login_hint: 'email:una@example.com' }))).text();
    expect(html).toContain('<button type="submit" name="identity" value="una">Sign in (login_hint) as');
    expect(html.indexOf('value="una"')).toBeLessThan(html.indexOf('value="alice"'));
  });
});

describe('ts.bindid.app_bound_cred and bindid_info are per authenticating device', () => {
  it('a report binds the device of its login only; another device of the same person is not app-bound', async () => {
    const first = await loginWith(emu, 'alice', { device: 'phone' });
    expect(first.claims).not.toHaveProperty('acr');
    expect(await report(emu, first.accessToken, 'authentication_performed', 'user-alice')).toBe(200);

    const phone = (await loginWith(emu, 'alice', { device: 'phone' })).claims;
    expect(phone).toMatchObject({ bindid_alias: 'user-alice', acr: 'ts.bindid.app_bound_cred' });

    const laptop = (await loginWith(emu, 'alice', { device: 'laptop' })).claims;
    expect(laptop.bindid_alias).toBe('user-alice');
    expect(laptop).not.toHaveProperty('acr');
    const info = laptop.bindid_info as Record<string, number>;
    expect(info.capp_first_login_from_authenticating_device).toBe(laptop.auth_time);
    expect(info.capp_first_login).toBeLessThanOrEqual(first.claims.auth_time as number);
    expect(info.capp_first_confirmed_login).toEqual(expect.any(Number));

    // Deleting the alias unbinds every device.
    const again = await loginWith(emu, 'alice', { device: 'phone' });
    expect(await report(emu, again.accessToken, 'alias_deleted')).toBe(200);
    expect((await loginWith(emu, 'alice', { device: 'phone' })).claims).not.toHaveProperty('acr');
  });

  it('an invalid device id → 400 page', async () => {
    const res = await get(authorizeUrl(emu, { identity: 'alice', device: 'a b' }));
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Invalid device/);
  });
});

describe('bindid_network_info', () => {
  it('only with the bindid_network_info scope: ISO times as strings, counts as integers', async () => {
    expect((await loginWith(emu, 'alice', {})).claims).not.toHaveProperty('bindid_network_info');
    const { claims } = await loginWith(emu, 'alice', { scope: 'openid bindid_network_info', device: 'tablet' });
    const info = claims.bindid_network_info as Record<string, unknown>;
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
    expect(info).toEqual({
      user_registration_time: expect.stringMatching(iso),
      user_last_seen: expect.stringMatching(iso),
      authenticating_device_registration_time: expect.stringMatching(iso),
      authenticating_device_last_seen: expect.stringMatching(iso),
      confirmed_capp_count: 1,
      device_count: 4, // phone and laptop (above), device-1 (the default, just now) and tablet
    });
    expect(Date.parse(info.authenticating_device_registration_time as string) / 1000).toBe(claims.auth_time);
  });
});

describe('repeatedAuthenticationPerformed', () => {
  it("'reject': a second authentication_performed for a user with an alias → 400 invalid_request; alias_updated still works; 'accept' (the default) sets it again", async () => {
    const { accessToken: una } = await loginWith(emu, 'una', {});
    expect(await report(emu, una, 'authentication_performed', 'user-una')).toBe(200);
    expect(await report(emu, una, 'authentication_performed', 'user-una')).toBe(200);

    const strict = await startEmulator({ repeatedAuthenticationPerformed: 'reject' });
    try {
      const { accessToken } = await loginWith(strict, 'bob', {});
      expect(await report(strict, accessToken, 'authentication_performed', 'user-bob')).toBe(200);
      for (const alias of ['user-bob', 'user-bob-2']) {
        expect(await report(strict, accessToken, 'authentication_performed', alias)).toBe(400);
        const last = strict.reports().at(-1);
        expect(last).toMatchObject({ status: 400, accepted: false, error: expect.stringMatching(/alias_updated/) });
      }
      expect(await report(strict, accessToken, 'alias_updated', 'user-bob-2')).toBe(200);
      expect(strict.aliasOf(strict.subOf('bob') as string)).toBe('user-bob-2');
    } finally {
      await strict.close();
    }
  });
});
