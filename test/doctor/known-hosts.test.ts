/**
 * The doctor's copy of BindID's hosts (the doctor may not import oidc/) holds every preset of
 * `BINDID_HOSTS` in the same environment, plus the older production sign-in host; and the host tests
 * compare origins.
 */
import { isKnownApiHost, isKnownSignInHost, KNOWN_ENVIRONMENTS } from '../../src/doctor/known-hosts.js';
import { BINDID_HOSTS } from '../../src/oidc/bindid-hosts.js';

it('every BINDID_HOSTS preset is in the doctor\'s table, sign-in host and API host in the same environment', () => {
  for (const preset of Object.values(BINDID_HOSTS)) {
    const environment = KNOWN_ENVIRONMENTS.find((known) => known.apiUrl === preset.apiUrl);
    expect(environment?.issuers).toContain(preset.issuer);
  }
  expect(KNOWN_ENVIRONMENTS).toHaveLength(Object.keys(BINDID_HOSTS).length);
  expect(KNOWN_ENVIRONMENTS.flatMap((known) => known.issuers)).toContain('https://signin.bindid.io');
});

it('a URL is on a known host by its origin: path and trailing slash aside, not another scheme, nor a non-URL', () => {
  expect(isKnownSignInHost('https://signin.bindid-sandbox.io/')).toBe(true);
  expect(isKnownApiHost('https://api.eu.bindid.io/session-feedback')).toBe(true);
  expect(isKnownApiHost('http://api.bindid.io')).toBe(false);
  expect(isKnownSignInHost('https://api.bindid.io')).toBe(false);
  expect(isKnownSignInHost('signin.bindid.io')).toBe(false);
});
