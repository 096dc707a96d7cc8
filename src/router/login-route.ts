/**
 * `GET /login/bindid`: start a BindID sign-in (state, nonce and PKCE kept in the session) and
 * redirect to BindID, with the static `authorizationParams` and this login's `authorizationParamsFor(req)`.
 *
 * @module
 */
import type { RequestHandler } from 'express';
import { requirePassport, requireServerSession } from '../session/require-session.js';
import { saveSession } from '../session/regenerate-session.js';
import { logger } from '../internal/log.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import { asyncRoute, noStore } from './route-helpers.js';
import type { RouterContext } from './router-context.js';

const log = logger('login');

/** The handler of the login path. */
export function loginRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    const session = requireServerSession(req);
    requirePassport(req); // now, not after the user went through BindID
    const returnTo = sanitizeReturnTo(req.query.returnTo, ctx.baseUrl, ctx.defaultReturnTo);
    const params = ctx.authorizationParamsFor ? await ctx.authorizationParamsFor(req) : undefined;
    const { url, transaction } = await ctx.oidcClient.authorizationRequest(returnTo, ctx.settings.now(), params);
    session.bindid = { ...(session.bindid ?? {}), auth: transaction };
    await saveSession(req);
    noStore(res);
    res.redirect(303, url);
    log('sign-in started: to BindID');
  });
}
