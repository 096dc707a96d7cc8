/** The session steps as promises; a failing one is `ERR_BINDID_LOGIN_FAILED` (500, retryable). @module */
import type { Request } from 'express';
import type {} from 'express-session';
import { BindIdStateError, ErrorCode } from '../errors.js';
import type { BindIdSessionState } from './pending-login.js';

function step(description: string, run: (done: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    run((err?: unknown) => {
      if (!err) return resolve();
      reject(
        new BindIdStateError(ErrorCode.LOGIN_FAILED, `${description} failed (session store error?).`, {
          status: 500,
          retryable: true,
          ...(err instanceof Error ? { cause: err } : {}),
        }),
      );
    });
  });
}

/** Give the browser a new session id, keeping only `carry` as `req.session.bindid` (session fixation). */
export async function regenerateSession(req: Request, carry: BindIdSessionState): Promise<void> {
  await step('Renewing the session', (done) => req.session.regenerate(done));
  req.session.bindid = carry;
}

/** Before a redirect, so the next request sees it. */
export function saveSession(req: Request): Promise<void> {
  return step('Saving the session', (done) => req.session.save(done));
}

/** passport's `req.login`, always with a new session id (passport < 0.6 does not regenerate), keeping `bindid.returnTo`; a failure empties the session. */
export async function logIn(req: Request, user: unknown): Promise<void> {
  const returnTo = req.session.bindid?.returnTo;
  const before = req.sessionID;
  const login = () => step('Signing the user in', (done) => req.login(user as Express.User, done));
  try {
    await login();
    if (req.sessionID === before) {
      await regenerateSession(req, {});
      await login();
    }
  } catch (err) {
    forgetSessionData(req);
    throw err;
  }
  if (typeof returnTo === 'string') req.session.bindid = { ...(req.session.bindid ?? {}), returnTo };
}

/** passport may have stored the user before its `save` failed, and express-session saves again at the end: a recovered store would sign them in. */
function forgetSessionData(req: Request): void {
  const session = req.session as unknown as Record<string, unknown> | undefined;
  // Stryker disable next-line ConditionalExpression: equivalent, logIn runs on a request whose session was required and a failed login leaves it; kept so that a failure never becomes a TypeError
  if (!session) return;
  for (const key of Object.keys(session)) {
    if (key !== 'cookie') delete session[key];
  }
}
