/**
 * `POST /bindid/confirm/cancel`: "not me". A confirmation still waiting on BindID then signs nobody in
 * (its report, already sent, stands); one that already signed in is not undone. @module
 */
import type { RequestHandler } from 'express';
import { cancelClaim } from '../confirm/confirm-claim.js';
import { emit } from '../internal/events.js';
import { logger } from '../internal/log.js';
import { assertSameOriginRequest } from '../session/csrf.js';
import { getPendingLogin } from '../session/pending-login.js';
import { requireServerSession } from '../session/require-session.js';
import { regenerateSession } from '../session/regenerate-session.js';
import { asyncRoute, bodyField, seeOther } from './route-helpers.js';
import type { RouterContext } from './router-options.js';

const log = logger('login');

export function cancelRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    requireServerSession(req);
    assertSameOriginRequest(req, bodyField(req, '_csrf'), ctx.flow.appOrigin);
    const now = ctx.flow.link.now();
    const pending = getPendingLogin(req, now);
    if (pending) {
      // A confirmation of it may be waiting on BindID, in another request with its own copy of the session: end its claim.
      const outcome = await cancelClaim(ctx.flow.link.store, pending, now).catch(() => 'unknown' as const);
      log('pending login cancelled ("not me"); confirmation: %s', outcome);
      emit('onLinkFailed', ctx.flow.onLinkFailed, { req, reason: 'cancelled', sub: pending.claims.sub });
    }
    // "Not me": drop everything this browser session held (pending login, returnTo, CSRF token).
    await regenerateSession(req, {});
    seeOther(res, ctx.flow.defaultReturnTo);
  });
}
