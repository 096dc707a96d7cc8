/**
 * The browser binding of a sign-in: a `__Host-` cookie set when a BindID sign-in starts, whose
 * SHA-256 the session keeps (in the transaction, then in the pending login). The callback and the
 * confirmation require the cookie, so a session cookie planted in another browser (a sibling
 * subdomain can set one; it cannot set a `__Host-` cookie) carries no usable sign-in there.
 *
 * A `__Host-` cookie needs `Secure`, so on plain-http loopback (`http://localhost`, `127.0.0.1`)
 * the session alone decides, as before. Which applies is decided from the app's base URL, never
 * from the request (whose `Host` the client chooses).
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { BindIdArgumentError, BindIdStateError, ErrorCode } from '../errors.js';
import { isLoopback } from '../internal/is-loopback.js';

/** The cookie's name: `__Host-` (Secure, Path=/, no Domain), so only this host over https can set it. */
export const BROWSER_COOKIE = '__Host-bindid-browser';

/** Whether sign-ins of an app at `baseUrl` are bound by the cookie: everywhere but plain-http loopback. */
export function bindsBrowser(baseUrl: string | undefined): boolean {
  if (baseUrl === undefined) return true;
  const url = new URL(baseUrl);
  return !(url.protocol === 'http:' && isLoopback(url.hostname));
}

/**
 * Set a fresh binding cookie on `req`'s response; resolves the SHA-256 (base64url) to keep in the
 * session, or `undefined` on plain-http loopback (`bind` false: the session alone).
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` when `req` has no Express response.
 */
export function bindBrowser(req: Request, bind: boolean): string | undefined {
  if (!bind) return undefined;
  const res = req.res;
  if (!res || typeof res.append !== 'function') {
    throw new BindIdArgumentError(ErrorCode.INVALID_ARGUMENT, 'the request has no Express response (req.res) to set the sign-in cookie on', {
      status: 500,
    });
  }
  const value = randomBytes(32).toString('base64url');
  res.append('Set-Cookie', `${BROWSER_COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax`);
  return digest(value);
}

/**
 * Require this browser's binding cookie when the session kept a `binding` (the SHA-256 of the value
 * set at the start); without one (plain-http loopback) the session alone decides. Constant time.
 *
 * @throws BindIdStateError `ERR_BINDID_LOGIN_STATE_MISSING` (400) when the cookie is missing or another.
 */
export function assertSameBrowser(req: Request, binding: string | undefined): void {
  if (binding === undefined) return;
  const expected = Buffer.from(binding);
  const matches = cookieValues(req.headers.cookie).some((value) => {
    const seen = Buffer.from(digest(value));
    return seen.length === expected.length && timingSafeEqual(seen, expected);
  });
  if (!matches) {
    throw new BindIdStateError(
      ErrorCode.LOGIN_STATE_MISSING,
      'This BindID sign-in was started in another browser, or this browser lost its sign-in cookie. ' +
        'Nothing was changed. Start again from "Sign in with BindID".',
      { status: 400 },
    );
  }
}

/** The values of every binding cookie in a `Cookie` header (at most a few; a long header is bounded by Node). */
function cookieValues(header: string | undefined): string[] {
  if (typeof header !== 'string') return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === BROWSER_COOKIE) values.push(part.slice(at + 1).trim());
  }
  return values.slice(0, 8);
}

function digest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}
