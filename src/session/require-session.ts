/** Checks that express-session (server-side) and passport are mounted before this library. @module */
import type { Request } from 'express';
import type {} from 'express-session';
import { BindIdStateError, ErrorCode } from '../errors.js';

/** `req.session`, or `ERR_BINDID_SESSION_MISSING`: none, or a client-side one (cookie-session would put the access token in the browser). */
export function requireServerSession(req: Request): NonNullable<Request['session']> {
  const session = req.session;
  if (!session) {
    throw new BindIdStateError(
      ErrorCode.SESSION_MISSING,
      'express-bindid needs a server-side session, but req.session is missing. Did you forget ' +
        'app.use(session({ ... })) from express-session before this route? (If it is mounted, its store may be ' +
        'disconnected: express-session then skips sessions until the store reconnects.)',
      { status: 503, retryable: true },
    );
  }
  if (typeof session.regenerate !== 'function' || typeof session.save !== 'function') {
    throw new BindIdStateError(
      ErrorCode.SESSION_MISSING,
      'express-bindid needs a server-side express-session session (req.session.regenerate and .save are ' +
        'missing). Client-side sessions such as cookie-session would put the BindID access token in a cookie.',
      { status: 500 },
    );
  }
  if (session.cookie?.secure === true && req.secure !== true && !forwardedAsHttps(req)) {
    // express-session sets no `Secure` cookie on a request it sees as plain http: the user would silently stay signed out.
    throw new BindIdStateError(
      ErrorCode.SESSION_MISSING,
      "The session cookie is set with secure: true, but this request came over plain http, so express-session will " +
        "not send it and the BindID sign-in would be lost. Over http://localhost use cookie: { secure: 'auto' }; behind " +
        "a proxy that terminates TLS, tell Express to trust it: app.set('trust proxy', 1).",
      { status: 500 },
    );
  }
  return session;
}

/** The request says it reached a TLS-terminating proxy as https (express-session's `proxy: true` trusts that). */
function forwardedAsHttps(req: Request): boolean {
  const proto = req.headers?.['x-forwarded-proto'];
  return typeof proto === 'string' && proto.split(',')[0]?.trim().toLowerCase() === 'https';
}

export function requirePassport(req: Request): void {
  if (typeof req.login !== 'function') {
    throw new BindIdStateError(
      ErrorCode.PASSPORT_MISSING,
      'express-bindid needs passport, but req.login is missing. Did you forget app.use(passport.initialize()) ' +
        '(and app.use(passport.session())) after express-session?',
      { status: 500 },
    );
  }
}
