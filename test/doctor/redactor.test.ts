/**
 * `Redactor`: a secret is hidden in every form a host could echo it in (raw, percent-encoded as a
 * URL component or a form body, with upper- or lower-case hex, base64 and base64url with or without
 * padding), and values under 4 characters are ignored.
 */
import { Redactor } from '../../src/doctor/redactor.js';
import { echoedForms } from './secret-forms.js';

const SECRET = 's3cr3t VALUE/+~é!?';

it('N190 hides a secret raw, URL-encoded, form-encoded, base64 and base64url, padded or not', () => {
  const forms = echoedForms(SECRET);
  expect(new Set(Object.values(forms)).size).toBe(Object.keys(forms).length); // the secret makes every form distinct
  const redactor = new Redactor();
  redactor.add(SECRET);
  for (const [name, form] of Object.entries(forms)) {
    expect({ name, shown: redactor.clean(`error=${form}; again ${form}.`) }).toEqual({ name, shown: 'error=[redacted]; again [redacted].' });
  }
});

it('hides every value of 4 characters or more, and ignores shorter ones that would hide ordinary words', () => {
  const redactor = new Redactor();
  redactor.add('s3cr3t-value');
  redactor.add('the');
  expect(redactor.clean('the s3cr3t-value and s3cr3t-value again')).toBe('the [redacted] and [redacted] again');
});
