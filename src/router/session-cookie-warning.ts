/**
 * The production check of the session cookie that carries the pending BindID sign-in.
 *
 * @module
 */
import type { Request } from 'express';
import type {} from 'express-session';
import { printable } from '../internal/log.js';

/** The cookie-name prefix browsers accept only from the host itself, over https, for the whole site. */
const HOST_PREFIX = '__Host-';

/**
 * Once per router, in production: warn (process warning `EXPRESS_BINDID_SESSION_COOKIE`) when the
 * session cookie that will carry the pending BindID sign-in lacks HttpOnly, Secure (on an https
 * site) or an explicit SameSite, or, on an https site, its name lacks the `__Host-` prefix.
 *
 * express-session's `name` option is not on the request (`req.session.cookie` and `req.sessionStore`
 * do not carry it), so the name is read from the `Cookie` header: the cookie whose value is this
 * session's signed id. A first request without the cookie cannot tell the name, so the warning's
 * detail recommends the prefix whatever the name.
 */
export function warnAboutSessionCookie(req: Request, baseUrl: string): string[] {
  if (process.env.NODE_ENV !== 'production') return [];
  const cookie = req.session.cookie as { httpOnly?: boolean; secure?: boolean | 'auto'; sameSite?: unknown };
  const https = baseUrl.startsWith('https:');
  const problems: string[] = [];
  if (cookie.httpOnly === false) problems.push('httpOnly is off');
  if (https && !cookie.secure) problems.push('secure is off on an https site');
  if (cookie.sameSite === undefined || cookie.sameSite === false) problems.push("sameSite is not set (use 'lax')");
  if (cookie.sameSite === 'none' && !cookie.secure) problems.push("sameSite 'none' without secure");
  const name = https ? sentSessionCookieName(req) : undefined;
  if (name !== undefined && !name.startsWith(HOST_PREFIX)) {
    problems.push(`its name "${printable(name, 64)}" lacks the ${HOST_PREFIX} prefix`);
  }
  if (problems.length > 0) {
    process.emitWarning(`express-bindid: the session cookie is weak: ${problems.join('; ')}.`, {
      code: 'EXPRESS_BINDID_SESSION_COOKIE',
      detail:
        'The session holds the pending BindID sign-in. Set cookie: { httpOnly: true, secure: true, sameSite: "lax" } in ' +
        `express-session, and on https name it with the ${HOST_PREFIX} prefix (name: "${HOST_PREFIX}sid", no cookie.domain) so ` +
        'that no sibling subdomain or plain-http page can plant a session, and a pending sign-in, in the browser.',
    });
  }
  return problems;
}

/**
 * The name of the session cookie the browser sent with `req`: the cookie whose value is
 * express-session's signed id of this session (`s:<id>.<signature>`). `undefined` without one.
 */
function sentSessionCookieName(req: Request): string | undefined {
  const header = req.headers?.cookie;
  const id = req.sessionID;
  if (typeof header !== 'string' || typeof id !== 'string' || id === '') return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    if (value.startsWith(`s:${id}.`)) return pair.slice(0, eq).trim();
  }
  return undefined;
}
