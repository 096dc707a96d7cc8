/**
 * `GET /bindid/callback`: code exchange and ID-token validation (openid-client); the session is
 * regenerated. A known alias signs the user in (`findUserByAlias` → `req.login` → `returnTo`); no
 * alias keeps a pending login and redirects to the confirm page. The callback of an unlink
 * (`unlink-route.ts`) keeps the session and unlinks instead.
 *
 * A malformed `bindid_alias`: `""` counts as no alias (a new user, who confirms again); anything else
 * `assertAlias` refuses (not a string, over 256 characters, surrounding whitespace, control
 * characters) is never trimmed or "fixed" (another app of the same BindID tenant may have set it, and
 * a fixed alias could map to another user): `ERR_BINDID_ALIAS_UNUSABLE` (403) and `onLinkFailed`
 * with reason `invalid_alias`.
 *
 * @module
 */
import type { Request, RequestHandler, Response } from 'express';
import type {} from 'express-session';
import { BindIdStateError, ErrorCode } from '../errors.js';
import { assertAlias } from '../feedback/assert-alias.js';
import { emit } from '../internal/events.js';
import { logger, printable } from '../internal/log.js';
import type { CallbackResult } from '../oidc/bindid-oidc-client.js';
import { consumeState } from '../oidc/consume-state.js';
import { storePendingLogin } from '../session/pending-login.js';
import { requireAuthTransaction, requirePassport } from '../session/require-session.js';
import { logIn, regenerateSession, saveSession } from '../session/regenerate-session.js';
import { asyncRoute, noStore } from './route-helpers.js';
import type { RouterContext } from './router-context.js';
import { CONFIRM_AGAIN } from './router-options.js';
import { selfHeal } from './self-heal.js';
import { finishUnlink } from './unlink-route.js';

const log = logger('login');

/** The handler of the callback path. */
export function callbackRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    const transaction = requireAuthTransaction(req);
    // The transaction is single-use, across concurrent requests too: each request holds its own copy
    // of the session, so only the shared store can tell the first use of this state from a second.
    await consumeState(ctx.settings.store, transaction.state);
    delete req.session.bindid?.auth;
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const result = await ctx.oidcClient.callback(query, transaction);
    log('callback: token exchange done, ID token valid (sub %s)', printable(result.claims.sub));
    if (transaction.purpose === 'unlink') {
      await finishUnlink(ctx, req, res, result, transaction);
      return;
    }
    // A new session id once BindID vouched for the browser (session fixation); carry over returnTo only.
    await regenerateSession(req, { returnTo: transaction.returnTo });

    const alias = result.claims.bindid_alias;
    if (alias !== undefined && alias !== null && alias !== '') {
      await signInByAlias(ctx, req, res, alias, result, transaction.returnTo);
      return;
    }
    if (ctx.settings.failure.mode === 'open') {
      const healed = await selfHeal(ctx, req, result, ctx.settings.failure.outbox);
      if (healed) {
        await logIn(req, healed.user);
        emit('onRecognized', ctx.onRecognized, { req, user: healed.user, alias: healed.alias, claims: result.claims, healed: true });
        ctx.responses.finishAt(req, res, transaction.returnTo);
        return;
      }
    }
    await keepPendingLogin(ctx, req, res, result, false);
  });
}

/** A returning BindID user: sign in the app user of `alias`, or ask for the password again (link revoked). */
async function signInByAlias<U>(
  ctx: RouterContext<U>,
  req: Request,
  res: Response,
  alias: unknown,
  result: CallbackResult,
  returnTo: string,
): Promise<void> {
  try {
    assertAlias(alias);
  } catch {
    const error = new BindIdStateError(
      ErrorCode.ALIAS_UNUSABLE,
      'Your BindID account carries a link this site cannot use: it was set by another application of the ' +
        "same BindID tenant. Sign in with your password, and contact this site's support to have it fixed.",
      { status: 403 },
    );
    log('the ID token of sub %s carries an unusable bindid_alias: refused, not fixed', printable(result.claims.sub));
    emit('onLinkFailed', ctx.onLinkFailed, { req, reason: 'invalid_alias', sub: result.claims.sub, error });
    throw error;
  }
  const user = await ctx.findUserByAlias(alias, result.claims, req);
  if (user === CONFIRM_AGAIN) {
    // The app revoked this link (e.g. after a password reset): confirm with the password again.
    log('link of alias %s revoked by the app: confirming again', printable(alias));
    await keepPendingLogin(ctx, req, res, result, true);
    return;
  }
  if (!user) {
    log('alias %s maps to no user: sign-in refused', printable(alias));
    throw new BindIdStateError(ErrorCode.UNKNOWN_ALIAS, 'This BindID account is not linked to an active account here.', {
      status: 403,
    });
  }
  requirePassport(req);
  await logIn(req, user);
  emit('onRecognized', ctx.onRecognized, { req, user, alias, claims: result.claims, healed: false });
  ctx.responses.finishAt(req, res, returnTo);
  log('callback: returning user signed in by alias');
}

/** Keep the BindID login pending in the session and send the browser to the confirm page. */
async function keepPendingLogin<U>(ctx: RouterContext<U>, req: Request, res: Response, result: CallbackResult, relink: boolean): Promise<void> {
  storePendingLogin(
    req,
    { accessToken: result.accessToken, expiresIn: result.expiresIn, claims: result.claims },
    { ttlSeconds: ctx.pendingTtlSeconds, now: ctx.settings.now, ...(relink ? { relink: true } : {}) },
  );
  await saveSession(req);
  noStore(res);
  res.redirect(303, ctx.paths.confirm);
  log('callback: %s, pending login stored: to the confirm page', relink ? 'link revoked' : 'new BindID user');
}
