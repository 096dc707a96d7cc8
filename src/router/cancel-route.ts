/**
 * `POST /bindid/confirm/cancel`: "not me". Discards the pending login and everything this browser
 * session held for it.
 *
 * @module
 */
import type { RequestHandler } from 'express';
import { emit } from '../internal/events.js';
import { assertSameOriginRequest } from '../session/csrf.js';
import { getPendingLogin } from '../session/pending-login.js';
import { requireServerSession } from '../session/require-session.js';
import { regenerateSession } from '../session/regenerate-session.js';
import { asyncRoute, bodyField, noStore } from './route-helpers.js';
import type { RouterContext } from './router-context.js';

/** The handler of `POST` on the cancel path (after the form parser). */
export function cancelRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    noStore(res); // also on errors passed to the app's error handler
    requireServerSession(req);
    assertSameOriginRequest(req, bodyField(req, '_csrf'), ctx.appOrigin);
    const pending = getPendingLogin(req, ctx.settings.now());
    if (pending) emit('onLinkFailed', ctx.onLinkFailed, { req, reason: 'cancelled', sub: pending.claims.sub });
    // "Not me": drop everything this browser session held (pending login, returnTo, CSRF token).
    await regenerateSession(req, {});
    noStore(res);
    res.redirect(303, ctx.defaultReturnTo);
  });
}
