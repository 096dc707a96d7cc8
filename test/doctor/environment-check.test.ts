/**
 * The doctor's `environment` line: known hosts of two BindID environments fail with the fix; one
 * environment passes; a custom host is not compared. No request is made (the hosts are BindID's
 * real ones, so nothing here may reach them).
 */
import { checkEnvironment } from '../../src/doctor/environment-check.js';
import { formatSetupReport } from '../../src/doctor/format.js';

it('production sign-in with the sandbox API is a FAIL line naming both hosts, with the fix', () => {
  const check = checkEnvironment('https://signin.identity.security', 'https://api.bindid-sandbox.io');
  expect(check.status).toBe('fail');
  expect(formatSetupReport({ ok: false, checks: [check] }).split('\n').slice(0, 2)).toEqual([
    "FAIL  environment   the issuer https://signin.identity.security is BindID's production sign-in host but the apiUrl https://api.bindid-sandbox.io is its sandbox API host: every report would fail with ERR_BINDID_UNAUTHORIZED",
    '                    fix: use the hosts of one environment: issuer https://signin.identity.security with apiUrl https://api.bindid.io (production), or issuer https://signin.bindid-sandbox.io with apiUrl https://api.bindid-sandbox.io (sandbox)',
  ]);
});

it.each([
  ['https://signin.eu.identity.security', 'https://api.bindid.io', 'production EU', 'production'],
  ['https://signin.bindid.io', 'https://api.eu.bindid.io', 'production', 'production EU'],
])('%s with %s fails (%s sign-in, %s API)', (issuer, apiUrl, signIn, api) => {
  const check = checkEnvironment(issuer, apiUrl);
  expect(check.status).toBe('fail');
  expect(check.detail).toContain(`${signIn} sign-in host`);
  expect(check.detail).toContain(`its ${api} API host`);
});

it.each([
  ['https://signin.bindid-sandbox.io', 'https://api.bindid-sandbox.io', "issuer and apiUrl are both BindID's sandbox hosts"],
  ['https://signin.bindid.io', 'https://api.bindid.io', "issuer and apiUrl are both BindID's production hosts"],
  ['https://signin.identity.security', 'https://bindid-api.proxy.example', "not compared: the issuer is BindID's production host, the apiUrl is not a known BindID host"],
  ['https://signin.proxy.example', 'https://api.eu.bindid.io', "not compared: the apiUrl is BindID's production EU host, the issuer is not a known BindID host"],
  ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'not compared: neither is a known BindID host'],
])('%s with %s passes: %s', (issuer, apiUrl, detail) => {
  expect(checkEnvironment(issuer, apiUrl)).toEqual({ id: 'environment', status: 'pass', detail });
});
