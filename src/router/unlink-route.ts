/**
 * `POST /bindid/unlink` (form, `_csrf` as on the confirm form, optional `returnTo`): the signed-in
 * user unlinks BindID from their account. The flow starts a fresh BindID sign-in and finishes the
 * unlink on its callback (`src/flow/unlink.ts`).
 *
 * @module
 */
import type { RequestHandler } from 'express';
import type {} from 'express-session';
import { signedInUser } from '../flow/unlink.js';
import { assertSameOriginRequest } from '../session/csrf.js';
import { asyncRoute, bodyField, noStore, seeOther } from './route-helpers.js';
import type { RouterContext } from './router-context.js';

/** The handler of `POST` on the unlink path (after the form parser). */
export function unlinkRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    noStore(res); // also on errors passed to the app's error handler
    const user = signedInUser<U>(req);
    assertSameOriginRequest(req, bodyField(req, '_csrf'), ctx.flow.appOrigin);
    seeOther(res, await ctx.signIn.startUnlink(req, user, bodyField(req, 'returnTo')));
  });
}
