/** The production check of the session cookie that carries the pending BindID sign-in. @module */
import type { Request } from 'express';
import type {} from 'express-session';
import { printable } from '../internal/log.js';

/** The cookie-name prefix browsers accept only from the host itself, over https, for the whole site. */
const HOST_PREFIX = '__Host-';

/**
 * Once per router, in production: warn `EXPRESS_BINDID_SESSION_COOKIE` when the cookie lacks HttpOnly, Secure (https), SameSite
 * or (https) the `__Host-` prefix. express-session keeps the name to itself, so it is read from the `Cookie` header, when sent.
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

/** The name of the cookie whose value is express-session's signed id of this session (`s:<id>.<signature>`). */
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
