/**
 * The production check of the session cookie that carries the pending BindID sign-in.
 *
 * @module
 */
import type { Request } from 'express';
import type {} from 'express-session';

/**
 * Once per router, in production: warn (process warning `EXPRESS_BINDID_SESSION_COOKIE`) when the
 * session cookie that will carry the pending BindID sign-in lacks HttpOnly, Secure (on an https
 * site) or an explicit SameSite.
 */
export function warnAboutSessionCookie(req: Request, baseUrl: string): string[] {
  if (process.env.NODE_ENV !== 'production') return [];
  const cookie = req.session.cookie as { httpOnly?: boolean; secure?: boolean | 'auto'; sameSite?: unknown };
  const problems: string[] = [];
  if (cookie.httpOnly === false) problems.push('httpOnly is off');
  if (baseUrl.startsWith('https:') && !cookie.secure) problems.push('secure is off on an https site');
  if (cookie.sameSite === undefined || cookie.sameSite === false) problems.push("sameSite is not set (use 'lax')");
  if (cookie.sameSite === 'none' && !cookie.secure) problems.push("sameSite 'none' without secure");
  if (problems.length > 0) {
    process.emitWarning(`express-bindid: the session cookie is weak: ${problems.join('; ')}.`, {
      code: 'EXPRESS_BINDID_SESSION_COOKIE',
      detail: 'The session holds the pending BindID sign-in. Set cookie: { httpOnly: true, secure: true, sameSite: "lax" } in express-session.',
    });
  }
  return problems;
}
