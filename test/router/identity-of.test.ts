/**
 * What the confirm page shows of the BindID identity being linked: the verified email, else the
 * verified phone number, in full (a stranger's address must look like one); an unverified one never
 * (issue 23 item 3); and a line saying BindID gave none when the ID token has neither.
 */
import { identityOf, renderDefaultConfirmPage } from '../../src/router/confirm-page.js';
import { confirmPageModel } from '../helpers/confirm-page-model.js';
import { clientKey } from '../../src/confirm/attempt-guard.js';

describe('identityOf', () => {
  it('N123 the email in full, whatever its length', () => {
    expect(identityOf({ sub: 's', email: 'alice@example.com', email_verified: true })).toBe('alice@example.com');
    expect(identityOf({ sub: 's', email: 'a@example.com', email_verified: true })).toBe('a@example.com');
  });

  it('N123 without an email, the phone number in full', () => {
    expect(identityOf({ sub: 's', phone_number: '+1 (555) 010-0189', phone_number_verified: true })).toBe('+1 (555) 010-0189');
  });

  it.each<[string, Record<string, unknown>]>([
    ['an email without email_verified', { email: 'carol@victim.example' }],
    ['an email with email_verified false', { email: 'carol@victim.example', email_verified: false }],
    ['an email with email_verified "true" (a string)', { email: 'carol@victim.example', email_verified: 'true' }],
    ['a phone number without phone_number_verified', { phone_number: '+15550100189' }],
    ['a phone number with phone_number_verified false', { phone_number: '+15550100189', phone_number_verified: false }],
  ])('N180 %s is never shown (whatever was typed at BindID, login_hint included)', (_what, claims) => {
    expect(identityOf({ sub: 's', ...claims })).toBeUndefined();
  });

  it('N180 an unverified email falls back to a verified phone number', () => {
    expect(identityOf({ sub: 's', email: 'carol@victim.example', phone_number: '+15550100189', phone_number_verified: true })).toBe('+15550100189');
  });

  it('an email without a local part or domain, or longer than an address can be, is not shown; the phone number is used instead', () => {
    const verified = { email_verified: true, phone_number_verified: true };
    expect(identityOf({ sub: 's', ...verified, email: '@example.com', phone_number: '+15550100189' })).toBe('+15550100189');
    expect(identityOf({ sub: 's', ...verified, email: 'alice@' })).toBeUndefined();
    expect(identityOf({ sub: 's', ...verified, email: `${'a'.repeat(250)}@example.com` })).toBeUndefined();
  });

  it('a phone number that is not one (letters, markup) is not shown', () => {
    expect(identityOf({ sub: 's', phone_number: '<b>12345</b>', phone_number_verified: true })).toBeUndefined();
  });

  it('N180 without a verified email or phone number: nothing, and the page says BindID gave none', () => {
    expect(identityOf({ sub: 's' })).toBeUndefined();
    const model = confirmPageModel({ identity: undefined });
    delete model.identity;
    const page = renderDefaultConfirmPage(model);
    expect(page).toContain('<p class="identity">BindID gave no verified email or phone number for this sign-in');
    expect(page).not.toContain('BindID account:');
  });
});

describe('clientKey, the per-IP attempt key', () => {
  it('loopback and other addresses that start with :: are keyed by their /64 like any IPv6 address', () => {
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::2')).toBe(clientKey('::1'));
  });

  it('what is not an IP address at all is kept as it is (one bucket per value)', () => {
    expect(clientKey('unknown')).toBe('unknown');
  });

  it('the groups :: stands for are counted from both sides: 2001::1:2:3:4:5 is in 2001:0:0:1::/64', () => {
    expect(clientKey('2001::1:2:3:4:5')).toBe('2001:0:0:1::/64');
  });

  it('only a whole IPv4-mapped address (::ffff:a.b.c.d) is keyed as its IPv4 address', () => {
    expect(clientKey('::ffff:192.0.2.10')).toBe('192.0.2.10');
    expect(clientKey('2001:db8::ffff:192.0.2.1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::ffff:192.0.2.1x')).toBe('::ffff:192.0.2.1x');
  });
});
