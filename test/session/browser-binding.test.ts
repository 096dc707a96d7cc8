/**
 * The browser binding (src/session/browser-binding.ts), unit by unit: which base URLs bind, the
 * `__Host-` cookie set when a sign-in starts, and the check of the callback and the confirm page (a
 * planted session without this browser's cookie is `ERR_BINDID_LOGIN_STATE_MISSING`, 400). The app
 * journeys are in test/security/n-planted-login.test.ts and test/flow/parity.test.ts.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { ErrorCode, isBindIdError } from '../../src/errors.js';
import { BROWSER_COOKIE, assertSameBrowser, bindBrowser, bindsBrowser } from '../../src/session/browser-binding.js';

/** What the session keeps for a cookie value. */
function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** A request with this `Cookie` header (none when undefined), and a response recording what is appended to it. */
function request(cookie?: string): Request & { appended: string[] } {
  const appended: string[] = [];
  const res = { append: (name: string, value: string) => appended.push(`${name}: ${value}`) };
  return { res, headers: cookie === undefined ? {} : { cookie }, appended } as unknown as Request & { appended: string[] };
}

/** `accepted`, or the refusal's code and status. */
function check(cookie: string | undefined, binding: string | undefined): string {
  try {
    assertSameBrowser(request(cookie), binding);
    return 'accepted';
  } catch (err) {
    if (!isBindIdError(err)) throw err;
    return `${err.code} (${err.status})`;
  }
}

const REFUSED = `${ErrorCode.LOGIN_STATE_MISSING} (400)`;
const VALUE = 'v'.repeat(43);

describe('bindsBrowser: the app base URL decides, never the request', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['https://app.example', true],
    ['https://localhost:3000', true],
    ['http://app.example', true],
    ['http://localhost:3000', false],
    ['http://127.0.0.1:3000', false],
    ['http://[::1]:3000', false],
  ])('%s binds: %s', (baseUrl, binds) => {
    expect(bindsBrowser(baseUrl)).toBe(binds);
  });
});

describe('bindBrowser', () => {
  it('sets a fresh __Host- cookie and returns the SHA-256 of its value', () => {
    const req = request();
    const binding = bindBrowser(req, true);
    expect(req.appended).toHaveLength(1);
    const match = /^Set-Cookie: __Host-bindid-browser=([A-Za-z0-9_-]{43}); Path=\/; Secure; HttpOnly; SameSite=Lax$/.exec(req.appended[0] ?? '');
    expect(match).not.toBeNull();
    expect(binding).toBe(sha256(match?.[1] ?? ''));
    const again = request();
    expect(bindBrowser(again, true)).not.toBe(binding);
  });

  it('sets nothing and keeps no binding when the app does not bind (plain-http loopback)', () => {
    const req = request();
    expect(bindBrowser(req, false)).toBeUndefined();
    expect(req.appended).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['no response', undefined],
    ['a response without append', {}],
  ])('refuses a request with %s: ERR_BINDID_INVALID_ARGUMENT (500)', (_name, res) => {
    const req = { headers: {}, res } as unknown as Request;
    let thrown: unknown;
    try {
      bindBrowser(req, true);
    } catch (err) {
      thrown = err;
    }
    expect(isBindIdError(thrown, ErrorCode.INVALID_ARGUMENT) && thrown.status).toBe(500);
  });
});

describe('assertSameBrowser', () => {
  const binding = sha256(VALUE);

  it('accepts anything when the session kept no binding (plain-http loopback)', () => {
    expect(check(undefined, undefined)).toBe('accepted');
  });

  it("accepts this browser's cookie among others, whitespace around it being the header's", () => {
    expect(check(`${BROWSER_COOKIE}=${VALUE}`, binding)).toBe('accepted');
    expect(check(`a=1; ${BROWSER_COOKIE}=${VALUE}; b=2`, binding)).toBe('accepted');
    expect(check(`a=1; ${BROWSER_COOKIE}= ${VALUE} ; b=2`, binding)).toBe('accepted');
    expect(check(`${BROWSER_COOKIE}=${'w'.repeat(43)}; ${BROWSER_COOKIE}=${VALUE}`, binding)).toBe('accepted');
  });

  it('refuses a browser without the cookie, or with another value: ERR_BINDID_LOGIN_STATE_MISSING (400)', () => {
    expect(check(undefined, binding)).toBe(REFUSED);
    expect(check('', binding)).toBe(REFUSED);
    expect(check('a=1; b=2', binding)).toBe(REFUSED);
    expect(check(`${BROWSER_COOKIE}=${'w'.repeat(43)}`, binding)).toBe(REFUSED);
    expect(check(`x${BROWSER_COOKIE}=${VALUE}`, binding)).toBe(REFUSED);
  });

  it('refuses, not crashes, when the kept binding is not a SHA-256 (another length)', () => {
    expect(check(`${BROWSER_COOKIE}=${VALUE}`, 'short')).toBe(REFUSED);
  });

  it('reads only name=value pairs: a pair without "=" is no cookie', () => {
    const bare = `${BROWSER_COOKIE}x`;
    expect(check(bare, sha256(bare))).toBe(REFUSED);
  });

  it('reads at most 8 cookies of that name (the header is bounded, the work too)', () => {
    const others = Array.from({ length: 7 }, (_, i) => `${BROWSER_COOKIE}=${String(i).repeat(43)}`);
    expect(check([...others, `${BROWSER_COOKIE}=${VALUE}`].join('; '), binding)).toBe('accepted');
    expect(check([...others, `${BROWSER_COOKIE}=w`, `${BROWSER_COOKIE}=${VALUE}`].join('; '), binding)).toBe(REFUSED);
  });
});
