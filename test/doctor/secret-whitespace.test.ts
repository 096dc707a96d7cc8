/**
 * A client secret with leading or trailing whitespace is described by the whitespace alone (escaped,
 * at most 8 characters of each end), never by the secret; the client-auth check then fails, saying
 * what the trimmed secret gave.
 */
import { blameWhitespace, secretWhitespace } from '../../src/doctor/secret-whitespace.js';

it('names the whitespace at each end, escaped and cut short, and nothing for a trimmed secret or inner spaces', () => {
  expect(secretWhitespace('s3cr3t\n')).toBe('trailing whitespace "\\n"');
  expect(secretWhitespace(' s3cr3t\r\n')).toBe('leading whitespace " " and trailing whitespace 2 characters ("\\r\\n")');
  expect(secretWhitespace(`s3cr3t${' '.repeat(12)}`)).toBe('trailing whitespace 12 characters ("        …")');
  expect(secretWhitespace('\u00a0s3cr3t')).toBe('leading whitespace "\\u00a0"');
  expect(secretWhitespace('  ')).toBe('leading whitespace 2 characters ("  ")'); // counted once
  expect(secretWhitespace('s3 cr3t')).toBeUndefined();
});

it('client-auth fails whatever the trimmed secret gave, with that outcome in the detail and its fix after the trim', () => {
  const passed = blameWhitespace({ id: 'client-auth', status: 'pass', detail: 'accepted (400 invalid_grant)' }, 'trailing whitespace "\\n"');
  expect(passed).toEqual({
    id: 'client-auth',
    status: 'fail',
    detail:
      'the client secret has trailing whitespace "\\n", which BindID refuses (401 invalid_client) and the library refuses at start-up; trimmed, it is accepted: accepted (400 invalid_grant)',
    fix: "trim the secret where it is read (a file usually ends with a newline: read it with .trim(), or write it with printf '%s')",
  });
  const failed = blameWhitespace({ id: 'client-auth', status: 'fail', detail: 'refused (401)', fix: 'check clientId' }, 'x');
  expect(failed.detail).toMatch(/; trimmed, it still fails: refused \(401\)$/);
  expect(failed.fix).toMatch(/printf '%s'\); then check clientId$/);
  const unchecked = blameWhitespace({ id: 'client-auth', status: 'skipped', detail: 'not checked: discovery failed' }, 'x');
  expect(unchecked).toMatchObject({ status: 'fail', detail: expect.stringMatching(/; the trimmed secret was not checked: discovery failed$/) });
});
