/** `GET /bindid/callback`: the flow's outcome as the router's answer; every refusal is a coded error for the app's error handler. @module */
import type { RequestHandler } from 'express';
import { logIn } from '../session/regenerate-session.js';
import { asyncRoute, seeOther } from './route-helpers.js';
import type { RouterContext } from './router-options.js';

export function callbackRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    const outcome = await ctx.signIn.complete(req);
    if (outcome.kind === 'pending') return seeOther(res, ctx.paths.confirm);
    if (outcome.kind === 'signed-in') await logIn(req, outcome.user);
    ctx.responses.finishAt(req, res, outcome.returnTo);
  });
}
