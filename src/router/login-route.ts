/** `GET /login/bindid`: start a BindID sign-in and redirect to BindID. @module */
import type { RequestHandler } from 'express';
import { asyncRoute, noStore, seeOther } from './route-helpers.js';
import type { RouterContext } from './router-options.js';

export function loginRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    const url = await ctx.signIn.start(req, req.query.returnTo);
    noStore(res);
    seeOther(res, url);
  });
}
