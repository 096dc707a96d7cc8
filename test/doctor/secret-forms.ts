/**
 * The forms of a secret a hostile or careless host could echo (raw, percent-encoded, base64 and
 * base64url), for the doctor's redaction tests.
 */

/** Every form of a secret a host could echo, by name: what the doctor must never print. */
export function echoedForms(secret: string): Record<string, string> {
  const base64 = Buffer.from(secret).toString('base64');
  return {
    raw: secret,
    'URL-encoded': encodeURIComponent(secret),
    'URL-encoded, lower-case hex': encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    'form-encoded': new URLSearchParams({ s: secret }).toString().slice(2),
    base64,
    'base64 without padding': base64.replace(/=+$/, ''),
    base64url: Buffer.from(secret).toString('base64url'),
    'base64url with padding': base64.replace(/\+/g, '-').replace(/\//g, '_'),
  };
}
