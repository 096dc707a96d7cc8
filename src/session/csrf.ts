/** CSRF: a session token and Fetch Metadata / Origin (OWASP), both must pass; without `Sec-Fetch-Site`, `Origin` and `Referer` the token
 * alone decides. `Origin: null` counts as none: browsers send it for a same-origin form on a `no-referrer` page (Fetch, "serializing a
 * request origin"), the confirm page's policy, and for opaque origins, which Fetch Metadata marks `cross-site` anyway. @module */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { BindIdStateError, ErrorCode } from '../errors.js';
import { requireServerSession } from './require-session.js';

/** The CSRF token of this session, created on first use (32 random bytes, base64url). */
export function csrfToken(req: Request): string {
  const session = requireServerSession(req);
  const state = session.bindid ?? {};
  let token = state.csrf;
  if (typeof token !== 'string' || token.length !== 43) {
    token = randomBytes(32).toString('base64url');
    session.bindid = { ...state, csrf: token };
  }
  return token;
}

/** Check a state-changing request: the session's token (constant time), and not cross-site by Fetch Metadata, `Origin` or `Referer`.
 * Throws `ERR_BINDID_CSRF` (403). */
export function assertSameOriginRequest(req: Request, submitted: unknown, appOrigin: string): void {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw csrfError(`Sec-Fetch-Site is ${site === 'same-site' || site === 'cross-site' ? site : 'not same-origin'}`);
  }
  const origin = req.get('origin');
  if (origin !== undefined && origin !== 'null') {
    if (origin !== appOrigin) throw csrfError('Origin is another site');
  } else {
    const referer = req.get('referer');
    if (referer !== undefined && originOf(referer) !== appOrigin) throw csrfError('Referer is another site');
  }
  const expected = req.session?.bindid?.csrf;
  if (typeof expected !== 'string' || typeof submitted !== 'string') throw csrfError('token missing');
  const a = Buffer.from(submitted);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw csrfError('token mismatch');
}

function originOf(url: string): string | undefined {
  return URL.canParse(url) ? new URL(url).origin : undefined;
}

function csrfError(reason: string): BindIdStateError {
  return new BindIdStateError(
    ErrorCode.CSRF,
    `The form was not accepted (${reason}). It may be out of date: start the sign-in again.`,
    { status: 403 },
  );
}
