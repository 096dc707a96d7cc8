/**
 * The confirm form's cross-site checks, with the headers real browsers send. Chromium posts the
 * confirm page's forms with `Origin: null`, because the page's `Referrer-Policy` is `no-referrer`
 * (found by the browser test, test/e2e).
 */
import type { Request } from 'express';
import { assertSameOriginRequest } from '../../src/session/csrf.js';
import { ErrorCode, isBindIdError } from '../../src/errors.js';

const APP = 'http://localhost:3000';
const TOKEN = 'a'.repeat(43);

function request(headers: Record<string, string>): Request {
  const lower = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { get: (name: string) => lower.get(name.toLowerCase()), session: { bindid: { csrf: TOKEN } } } as unknown as Request;
}

/** `accepted`, or `refused: <message>`. `submitted` is the form's `_csrf` (default: the right token). */
function check(headers: Record<string, string>, submitted: { token: unknown } = { token: TOKEN }): string {
  try {
    assertSameOriginRequest(request(headers), submitted.token, APP);
    return 'accepted';
  } catch (err) {
    if (!isBindIdError(err, ErrorCode.CSRF)) throw err;
    return `refused: ${err.message}`;
  }
}

describe('assertSameOriginRequest', () => {
  it("accepts Chromium's same-origin post from a no-referrer page (Sec-Fetch-Site: same-origin, Origin: null)", () => {
    expect(check({ 'Sec-Fetch-Site': 'same-origin', Origin: 'null' })).toBe('accepted');
  });

  it('accepts a same-origin post with its Origin', () => {
    expect(check({ 'Sec-Fetch-Site': 'same-origin', Origin: APP })).toBe('accepted');
  });

  it('accepts Sec-Fetch-Site: none (a request the user started, such as a reload re-posting the form): the token decides', () => {
    expect(check({ 'Sec-Fetch-Site': 'none' })).toBe('accepted');
    expect(check({ 'Sec-Fetch-Site': 'none' }, { token: 'b'.repeat(43) })).toMatch(/refused: .*token mismatch/);
  });

  it('refuses an unknown Sec-Fetch-Site value without repeating it in the error', () => {
    const refused = check({ 'Sec-Fetch-Site': 'evil-value' });
    expect(refused).toMatch(/refused: .*Sec-Fetch-Site is not same-origin/);
    expect(refused).not.toContain('evil-value');
  });

  it('refuses an opaque origin (sandboxed frame, data: URL) that Fetch Metadata marks cross-site', () => {
    expect(check({ 'Sec-Fetch-Site': 'cross-site', Origin: 'null' })).toMatch(/refused: .*cross-site/);
  });

  it('refuses another origin, with or without Fetch Metadata', () => {
    expect(check({ Origin: 'https://attacker.example' })).toMatch(/refused: .*Origin is another site/);
    expect(check({ 'Sec-Fetch-Site': 'same-site', Origin: 'http://localhost:3001' })).toMatch(/refused: .*same-site/);
  });

  it('without Fetch Metadata, Origin: null falls back to the Referer', () => {
    expect(check({ Origin: 'null', Referer: 'https://attacker.example/page' })).toMatch(/refused: .*Referer/);
    expect(check({ Origin: 'null', Referer: `${APP}/bindid/confirm` })).toBe('accepted');
  });

  it('without any of the three headers, the token alone decides', () => {
    expect(check({ Origin: 'null' })).toBe('accepted');
    expect(check({})).toBe('accepted');
    expect(check({ Origin: 'null' }, { token: 'b'.repeat(43) })).toMatch(/refused: .*token mismatch/);
    expect(check({ 'Sec-Fetch-Site': 'same-origin', Origin: 'null' }, { token: undefined })).toMatch(/refused: .*token missing/);
  });
});
