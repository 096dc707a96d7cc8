/** A `__Host-` cookie set when a sign-in starts, its SHA-256 kept in the session and required later, so a session cookie planted from a
 * sibling subdomain (which cannot set a `__Host-` cookie) carries no usable sign-in. It needs `Secure`: on plain-http loopback the
 * session alone decides, as told by the app's base URL, never by the request (whose `Host` the client chooses). @module */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { BindIdArgumentError, BindIdStateError, ErrorCode } from '../errors.js';
import { isLoopback } from '../internal/is-loopback.js';

export const BROWSER_COOKIE = '__Host-bindid-browser';

export function bindsBrowser(baseUrl: string | undefined): boolean {
  if (baseUrl === undefined) return true;
  const url = new URL(baseUrl);
  return !(url.protocol === 'http:' && isLoopback(url.hostname));
}

/** Set a fresh binding cookie on `req.res`; returns its SHA-256 to keep in the session (none when `bind` is false). */
export function bindBrowser(req: Request, bind: boolean): string | undefined {
  if (!bind) return undefined;
  const res = req.res;
  if (!res || typeof res.append !== 'function') {
    // Stryker disable next-line StringLiteral,ObjectLiteral: text of an error message no one relies on (its code and status are tested); { status: 500 } is the default
    throw new BindIdArgumentError(ErrorCode.INVALID_ARGUMENT, 'the request has no Express response (req.res) to set the sign-in cookie on', {
      status: 500,
    });
  }
  const value = randomBytes(32).toString('base64url');
  res.append('Set-Cookie', `${BROWSER_COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax`);
  return digest(value);
}

/** Require this browser's binding cookie when the session kept a `binding`: else `ERR_BINDID_LOGIN_STATE_MISSING` (400). */
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
      // Stryker disable next-line StringLiteral: text of an error message no one relies on (its code and status are tested)
      'This BindID sign-in was started in another browser, or this browser lost its sign-in cookie. ' +
        // Stryker disable next-line StringLiteral: text of an error message no one relies on (its code and status are tested)
        'Nothing was changed. Start again from "Sign in with BindID".',
      { status: 400 },
    );
  }
}

/** At most a few (Node bounds the header). */
function cookieValues(header: string | undefined): string[] {
  // Stryker disable next-line ArrayDeclaration: equivalent, a made-up cookie value's SHA-256 is no binding (the digest of 32 random bytes)
  if (typeof header !== 'string') return [];
  // Stryker disable next-line ArrayDeclaration: equivalent, a made-up cookie value's SHA-256 is no binding (the digest of 32 random bytes)
  const values: string[] = [];
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === BROWSER_COOKIE) values.push(part.slice(at + 1).trim());
  }
  return values.slice(0, 8);
}

function digest(value: string): string {
  // Stryker disable next-line StringLiteral: equivalent, Node hashes a string without an encoding as UTF-8
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}
