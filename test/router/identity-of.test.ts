/**
 * What the confirm page shows of the BindID identity being linked: the email, else the phone number,
 * in full (a stranger's address must look like one), and nothing at all when the ID token has neither.
 */
import { identityOf, renderDefaultConfirmPage } from '../../src/router/confirm-page.js';
import { confirmPageModel } from '../helpers/confirm-page-model.js';
import { clientKey } from '../../src/confirm/attempt-guard.js';

describe('identityOf', () => {
  it('N123 the email in full, whatever its length', () => {
    expect(identityOf({ sub: 's', email: 'alice@example.com' })).toBe('alice@example.com');
    expect(identityOf({ sub: 's', email: 'a@example.com' })).toBe('a@example.com');
  });

  it('N123 without an email, the phone number in full', () => {
    expect(identityOf({ sub: 's', phone_number: '+1 (555) 010-0189' })).toBe('+1 (555) 010-0189');
  });

  it('an email without a local part or domain, or longer than an address can be, is not shown; the phone number is used instead', () => {
    expect(identityOf({ sub: 's', email: '@example.com', phone_number: '+15550100189' })).toBe('+15550100189');
    expect(identityOf({ sub: 's', email: 'alice@' })).toBeUndefined();
    expect(identityOf({ sub: 's', email: `${'a'.repeat(250)}@example.com` })).toBeUndefined();
  });

  it('a phone number that is not one (letters, markup) is not shown', () => {
    expect(identityOf({ sub: 's', phone_number: '<b>12345</b>' })).toBeUndefined();
  });

  it('without email or phone number: nothing, and the page has no identity line', () => {
    expect(identityOf({ sub: 's' })).toBeUndefined();
    const model = confirmPageModel({ identity: undefined });
    delete model.identity;
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
