/**
 * What the confirm page shows of the BindID identity being linked (checklist E47 shows it through
 * the router): enough for the owner to spot a sign-in that is not theirs, never the whole address or
 * number, and nothing at all when the ID token has neither.
 */
import { type ConfirmPageModel, DEFAULT_CONFIRM_MESSAGES, maskIdentity, renderDefaultConfirmPage } from '../../src/router/confirm-page.js';
import { clientKey } from '../../src/confirm/attempt-guard.js';

describe('maskIdentity', () => {
  it('keeps the first and last character of the local part and the whole domain', () => {
    expect(maskIdentity({ sub: 's', email: 'alice@example.com' })).toBe('a•••e@example.com');
  });

  it('a local part of one or two characters shows only its first character', () => {
    expect(maskIdentity({ sub: 's', email: 'al@example.com' })).toBe('a•••@example.com');
    expect(maskIdentity({ sub: 's', email: 'a@example.com' })).toBe('a•••@example.com');
  });

  it('a phone number shows its last two digits only', () => {
    expect(maskIdentity({ sub: 's', phone_number: '+1 (555) 010-0189' })).toBe('•••••••••89');
  });

  it('an email without a local part or domain is not shown; the phone number is used instead', () => {
    expect(maskIdentity({ sub: 's', email: '@example.com', phone_number: '+15550100189' })).toBe('•••••••••89');
    expect(maskIdentity({ sub: 's', email: 'alice@' })).toBeUndefined();
  });

  it('a phone number that is not one (letters, markup) is not shown', () => {
    expect(maskIdentity({ sub: 's', phone_number: '<b>12345</b>' })).toBeUndefined();
  });

  it('without email or phone number: nothing, and the page has no identity line', () => {
    expect(maskIdentity({ sub: 's' })).toBeUndefined();
    const model: ConfirmPageModel = {
      view: 'confirm',
      status: 200,
      messages: { ...DEFAULT_CONFIRM_MESSAGES },
      action: '/bindid/confirm',
      cancelAction: '/bindid/confirm/cancel',
      startOverUrl: '/login/bindid',
      csrfToken: 'c'.repeat(43),
    };
    expect(renderDefaultConfirmPage(model)).not.toContain('class="identity"');
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
});
