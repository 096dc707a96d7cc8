/**
 * Checks that the middleware this library needs is mounted before it: a server-side
 * express-session session ({@link requireServerSession}) and passport ({@link requirePassport}).
 *
 * @module
 */
import type { Request } from 'express';
import type {} from 'express-session';
import { BindIdStateError, ErrorCode } from '../errors.js';
import type { AuthTransaction } from './pending-login.js';

/**
 * `req.session`, checked to be a server-side express-session session.
 *
 * @throws BindIdStateError `ERR_BINDID_SESSION_MISSING` when there is none, or when it lacks
 *   `regenerate`/`save` (cookie-session keeps data in the browser, where an access token must never go).
 */
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
  return session;
}

/**
 * Check that passport is mounted (`req.login` exists).
 *
 * @throws BindIdStateError `ERR_BINDID_PASSPORT_MISSING`.
 */
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

/**
 * The BindID sign-in this browser session started (state, nonce, PKCE verifier, returnTo), which the
 * callback must match: the router's callback and `BindIdStrategy` read it here.
 *
 * @throws BindIdStateError `ERR_BINDID_SESSION_MISSING` without a server-side session;
 *   `ERR_BINDID_LOGIN_STATE_MISSING` (400) when this session started no sign-in.
 */
export function requireAuthTransaction(req: Request): AuthTransaction {
  const transaction = requireServerSession(req).bindid?.auth;
  if (!transaction) {
    throw new BindIdStateError(
      ErrorCode.LOGIN_STATE_MISSING,
      'This BindID sign-in was not started from this browser session (the session cookie was lost, or the ' +
        'callback was opened directly). Start again from "Sign in with BindID". If it keeps happening, check ' +
        'that the session cookie survives the redirect back from BindID (SameSite=Lax, Secure on https).',
      { status: 400 },
    );
  }
  return transaction;
}
