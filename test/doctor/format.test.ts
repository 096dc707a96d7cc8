/**
 * The printed table: PASS/FAIL lines with a fix under each failure; consecutive checks skipped for
 * the same reason on one SKIP line; the summary counts failed and skipped checks; and no control
 * character reaches the terminal, even from a report built by hand.
 */
import { formatSetupReport } from '../../src/doctor/format.js';
import type { BindIdSetupCheck } from '../../src/doctor/types.js';

it('collapses the checks that discovery\'s failure left unchecked into one SKIP line, and counts them apart', () => {
  const checks: BindIdSetupCheck[] = [
    { id: 'discovery', status: 'fail', detail: 'https://x/.well-known/openid-configuration answered 404', fix: 'set issuer' },
    { id: 'issuer', status: 'skipped', detail: 'not checked: discovery failed' },
    { id: 'endpoints', status: 'skipped', detail: 'not checked: discovery failed' },
    { id: 'jwks', status: 'skipped', detail: 'not checked: discovery failed' },
    { id: 'client-auth', status: 'skipped', detail: 'not checked: discovery failed' },
    { id: 'api-host', status: 'pass', detail: 'https://api/session-feedback answered 401' },
    { id: 'redirect-uri', status: 'pass', detail: 'https://app/bindid/callback' },
    { id: 'clock', status: 'skipped', detail: 'not checked: no answer carried a Date header' },
  ];
  expect(formatSetupReport({ ok: false, checks })).toBe(
    [
      'FAIL  discovery     https://x/.well-known/openid-configuration answered 404',
      '                    fix: set issuer',
      'SKIP  issuer, endpoints, jwks, client-auth  not checked: discovery failed',
      'PASS  api-host      https://api/session-feedback answered 401',
      'PASS  redirect-uri  https://app/bindid/callback',
      'SKIP  clock         not checked: no answer carried a Date header',
      '',
      '1 of 8 checks failed, 5 not checked.',
      '',
    ].join('\n'),
  );
});

it('N191 escapes control characters in details and fixes: an issuer with ESC sequences and CR/LF stays on its own line', () => {
  const forged = 'x\u001b[2J\u001b[1;32mPASS  client-auth   all good\u001b[0m\r\nPASS  fake';
  const text = formatSetupReport({
    ok: false,
    checks: [{ id: 'issuer', status: 'fail', detail: `the discovery document says "${forged}"`, fix: `set issuer to "${forged}"` }],
  });
  expect(text.split('\n').filter((line) => /\p{Cc}/u.test(line))).toEqual([]);
  expect(text.split('\n').filter((line) => line.startsWith('PASS'))).toEqual([]);
  expect(text).toContain('says "x\\u001b[2J\\u001b[1;32mPASS  client-auth   all good\\u001b[0m\\u000d\\u000aPASS  fake"');
});

it('a WARN line carries its fix; warnings are counted in the summary and never as failures', () => {
  const warn: BindIdSetupCheck = { id: 'pkce', status: 'warn', detail: 'the answers differ', fix: 'set pkce: false' };
  const pass: BindIdSetupCheck = { id: 'clock', status: 'pass', detail: 'in step' };
  expect(formatSetupReport({ ok: true, checks: [warn, pass] })).toBe(
    ['WARN  pkce          the answers differ', '                    fix: set pkce: false', 'PASS  clock         in step', '', 'All 2 checks passed, 1 with a warning.', ''].join('\n'),
  );
  const failed: BindIdSetupCheck = { id: 'authorize', status: 'fail', detail: 'an error page', fix: 'register it' };
  const skipped: BindIdSetupCheck = { id: 'jwks', status: 'skipped', detail: 'not checked' };
  expect(formatSetupReport({ ok: false, checks: [warn, failed, skipped] }).split('\n').at(-2)).toBe('1 of 3 checks failed, 1 with a warning, 1 not checked.');
});
