/** `POST /bindid/unlink` (`_csrf`, optional `returnTo`): unlink BindID after a fresh BindID sign-in (`flow/unlink.ts`). @module */
import type { RequestHandler } from 'express';
import { signedInUser } from '../flow/unlink.js';
import { assertSameOriginRequest } from '../session/csrf.js';
import { asyncRoute, bodyField, noStore, seeOther } from './route-helpers.js';
import type { RouterContext } from './router-options.js';

export function unlinkRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    noStore(res); // also on errors passed to the app's error handler
    const user = signedInUser<U>(req);
    assertSameOriginRequest(req, bodyField(req, '_csrf'), ctx.flow.appOrigin);
    seeOther(res, await ctx.signIn.startUnlink(req, user, bodyField(req, 'returnTo')));
  });
}
