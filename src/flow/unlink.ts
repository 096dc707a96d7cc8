/**
 * Unlinking BindID from the signed-in user's account, for every door: a fresh BindID sign-in marked
 * `purpose: 'unlink'` whose callback runs `unlinkBindId` (the alias still the signed-in user's, a fresh
 * `auth_time`, then `alias_deleted` and the link forgotten; docs/security.md). It never queues.
 * The session is not regenerated: unlinking raises no privilege and the session id is already the
 * authenticated one; the sealed transaction cookie ties the callback to this browser, its state single use.
 */
import type { Request } from 'express';
import { unlinkBindId, unlinkMismatch } from '../confirm/unlink-bindid.js';
import { BindIdStateError, ErrorCode } from '../errors.js';
import { assertAlias } from '../feedback/assert-alias.js';
import { emit } from '../internal/events.js';
import type { CallbackResult } from '../oidc/bindid-oidc-client.js';
import type { AuthTransaction } from '../session/pending-login.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import type { FlowSettings } from './flow-options.js';
import type { SignInOutcome } from './sign-in-flow.js';

/** The authorization request of an unlink by the signed-in `user`, and its transaction. */
export async function unlinkTransaction<U>(
  settings: FlowSettings<U>,
  req: Request,
  user: U,
  returnTo: unknown,
): Promise<{ url: string; transaction: AuthTransaction }> {
  const alias = await settings.link.deriveAlias(user, req);
  assertAlias(alias);
  const path = sanitizeReturnTo(returnTo, settings.baseUrl, settings.defaultReturnTo);
  // The transaction's createdAt is the unlink's start, which the ID token's auth_time must not precede.
  const { url, transaction } = await settings.oidc.authorizationRequest(path, settings.link.now(), undefined, { freshAuthentication: true });
  return { url, transaction: { ...transaction, purpose: 'unlink', unlinkAlias: alias } };
}

/** The callback of an unlink transaction (state consumed, code exchanged); the session is kept (see above). */
export async function finishUnlink<U>(
  settings: FlowSettings<U>,
  req: Request,
  result: CallbackResult,
  transaction: AuthTransaction,
): Promise<SignInOutcome<U>> {
  const user = signedInUser<U>(req);
  const expected = transaction.unlinkAlias;
  // The user signed in at the start must still be the one signed in (not another account since).
  // Stryker disable next-line ConditionalExpression: equivalent, an unlink transaction always holds the alias (asserted at the start, sealed in the cookie)
  if (typeof expected !== 'string' || (await settings.link.deriveAlias(user, req)) !== expected) throw unlinkMismatch();
  const done = await unlinkBindId({
    client: settings.link.client,
    store: settings.link.store,
    accessToken: result.accessToken,
    claims: result.claims,
    expectedAlias: expected,
    startedAt: transaction.createdAt,
    now: settings.link.now,
  });
  // Only when this unlink removed the link: a re-link by the owner meanwhile (another browser) stands.
  if (done.forgotten) emit('onUnlinked', settings.onUnlinked, { req, user, alias: done.alias, sub: done.sub, result: done.result });
  return { kind: 'unlinked', returnTo: transaction.returnTo };
}

/** The signed-in user, or `ERR_BINDID_NOT_AUTHENTICATED` (401). */
export function signedInUser<U>(req: Request): U {
  // Stryker disable next-line ConditionalExpression: equivalent, `req.user !== undefined` forced true changes nothing (the check below refuses an undefined user)
  const authenticated = typeof req.isAuthenticated === 'function' ? req.isAuthenticated() : req.user !== undefined;
  if (!authenticated || req.user === undefined || req.user === null) {
    // Stryker disable next-line StringLiteral: text of an error message no one relies on (its code and status are tested)
    throw new BindIdStateError(ErrorCode.NOT_AUTHENTICATED, 'Sign in first: only a signed-in user can unlink BindID from their account.', {
      status: 401,
    });
  }
  return req.user as U;
}
