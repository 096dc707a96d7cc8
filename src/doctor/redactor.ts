/**
 * `Redactor`: replaces the secrets of a run (the client secret, the dummy access token, the HMAC) in
 * text about to be shown. A host can echo a secret in another form than it received it, so each
 * value is hidden raw, percent-encoded (as `encodeURIComponent` and as a form body encode it, with
 * upper- or lower-case hex), base64 and base64url (with or without padding).
 *
 * @module
 */

/** The forms of `value` a host could echo. */
function formsOf(value: string): string[] {
  const percent = [encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)];
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  const base64url = base64.replace(/\+/g, '-').replace(/\//g, '_');
  return [
    value,
    ...percent,
    ...percent.map((form) => form.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())),
    ...[base64, base64url].flatMap((form) => [form, form.replace(/=+$/, '')]),
  ];
}

/** Replaces secrets in text about to be shown. */
export class Redactor {
  private readonly secrets = new Set<string>();

  /**
   * Never show `value`, in any of its forms (ignored when shorter than 4 characters, which could
   * hide ordinary words).
   */
  add(value: string): void {
    if (value.length < 4) return;
    for (const form of formsOf(value)) this.secrets.add(form);
  }

  /** `text` with every form of every secret replaced by `[redacted]`, the longest first. */
  clean(text: string): string {
    const longestFirst = [...this.secrets].sort((a, b) => b.length - a.length);
    return longestFirst.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  }
}
