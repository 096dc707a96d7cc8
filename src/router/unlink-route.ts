/**
 * Unlinking BindID from the signed-in user's account (also the first step of deleting an account).
 *
 * - `POST /bindid/unlink` (form, `_csrf` as on the confirm form, optional `returnTo`): only for the
 *   signed-in user; starts a fresh BindID sign-in (`prompt=login`), the transaction marked
 *   `purpose: 'unlink'` with the user's alias.
 * - Its callback (`GET /bindid/callback`, see `callback-route.ts`): the ID token's `bindid_alias` must
 *   be that alias and still the signed-in user's; then `alias_deleted` is reported with the fresh
 *   access token, the link forgotten (`unlinkBindId`), `onUnlinked` emitted, and the browser sent to
 *   `returnTo`. Another BindID user is `ERR_BINDID_UNLINK_MISMATCH` (403); BindID down is
 *   `ERR_BINDID_UNAVAILABLE` (503): nothing is forgotten. Unlinking never queues (fail-open or not).
 *
 * The session is not regenerated: unlinking raises no privilege (the same user stays signed in, with
 * one way fewer to sign in), and the session id was already the authenticated one; the state that
 * ties the callback to this session is single use, as for a sign-in.
 *
 * @module
 */
import type { Request, RequestHandler, Response } from 'express';
import type {} from 'express-session';
import { unlinkBindId, unlinkMismatch } from '../confirm/unlink-bindid.js';
import { BindIdStateError, ErrorCode } from '../errors.js';
import { assertAlias } from '../feedback/assert-alias.js';
import { emit } from '../internal/events.js';
import type { CallbackResult } from '../oidc/bindid-oidc-client.js';
import { assertSameOriginRequest } from '../session/csrf.js';
import type { AuthTransaction } from '../session/pending-login.js';
import { requirePassport, requireServerSession } from '../session/require-session.js';
import { saveSession } from '../session/regenerate-session.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import { asyncRoute, bodyField, noStore } from './route-helpers.js';
import type { RouterContext } from './router-context.js';

/** The handler of `POST` on the unlink path (after the form parser). */
export function unlinkRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    noStore(res); // also on errors passed to the app's error handler
    const session = requireServerSession(req);
    requirePassport(req);
    const user = signedInUser<U>(req);
    assertSameOriginRequest(req, bodyField(req, '_csrf'), ctx.appOrigin);
    const alias = await ctx.settings.deriveAlias(user, req);
    assertAlias(alias);
    const returnTo = sanitizeReturnTo(bodyField(req, 'returnTo'), ctx.baseUrl, ctx.defaultReturnTo);
    const { url, transaction } = await ctx.oidcClient.authorizationRequest(returnTo, ctx.settings.now(), { prompt: 'login' });
    session.bindid = { ...(session.bindid ?? {}), auth: { ...transaction, purpose: 'unlink', unlinkAlias: alias } };
    await saveSession(req);
    res.redirect(303, url);
  });
}

/**
 * The callback of an unlink transaction, once its state was consumed and the code exchanged: the
 * session is kept as it is (see the module comment).
 */
export async function finishUnlink<U>(
  ctx: RouterContext<U>,
  req: Request,
  res: Response,
  result: CallbackResult,
  transaction: AuthTransaction,
): Promise<void> {
  await saveSession(req); // the transaction is gone from the session, whatever happens next
  const user = signedInUser<U>(req);
  const expected = transaction.unlinkAlias;
  // The user signed in at the start must still be the one signed in (not another account since).
  if (typeof expected !== 'string' || (await ctx.settings.deriveAlias(user, req)) !== expected) throw unlinkMismatch();
  const done = await unlinkBindId({
    client: ctx.settings.client,
    registry: ctx.settings.registry,
    accessToken: result.accessToken,
    claims: result.claims,
    expectedAlias: expected,
    now: ctx.settings.now,
  });
  emit('onUnlinked', ctx.onUnlinked, { req, user, alias: done.alias, sub: done.sub, result: done.result });
  ctx.responses.finishAt(req, res, transaction.returnTo);
}

/** The signed-in user, or `ERR_BINDID_NOT_AUTHENTICATED` (401). */
function signedInUser<U>(req: Request): U {
  const authenticated = typeof req.isAuthenticated === 'function' ? req.isAuthenticated() : req.user !== undefined;
  if (!authenticated || req.user === undefined || req.user === null) {
    throw new BindIdStateError(ErrorCode.NOT_AUTHENTICATED, 'Sign in first: only a signed-in user can unlink BindID from their account.', {
      status: 401,
    });
  }
  return req.user as U;
}
