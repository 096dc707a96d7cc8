/** `POST /bindid/unlink` (`_csrf`, optional `returnTo`): unlink BindID after a fresh BindID sign-in (`flow/unlink.ts`). @module */
import type { RequestHandler } from 'express';
import { signedInUser } from '../flow/unlink.js';
import { assertSameOriginRequest } from '../session/csrf.js';
import { asyncRoute, bodyField, seeOther } from './route-helpers.js';
import type { RouterContext } from './router-options.js';

export function unlinkRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    const user = signedInUser<U>(req);
    assertSameOriginRequest(req, bodyField(req, '_csrf'), ctx.flow.appOrigin);
    seeOther(res, await ctx.signIn.startUnlink(req, user, bodyField(req, 'returnTo')));
  });
}
