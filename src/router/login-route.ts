/** `GET /login/bindid`: start a BindID sign-in and redirect to BindID. @module */
import type { RequestHandler } from 'express';
import { asyncRoute, seeOther } from './route-helpers.js';
import type { RouterContext } from './router-options.js';

export function loginRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    seeOther(res, await ctx.signIn.start(req, req.query.returnTo));
  });
}
