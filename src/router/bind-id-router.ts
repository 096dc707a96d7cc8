/**
 * `bindIdRouter(options)`. Mount it at the app's root: its paths are absolute (redirect URI, form actions,
 * redirects), so under `app.use('/auth', ...)` Express would match `/auth/login/bindid` while every link missed the prefix. @module
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type {} from 'express-session';
import type { OutboxWorker } from '../fail-open/outbox-worker.js';
import { SignInFlow } from '../flow/sign-in-flow.js';
import { callbackRoute } from './callback-route.js';
import { cancelRoute } from './cancel-route.js';
import { confirmPageRoute, confirmPostRoute } from './confirm-route.js';
import { formBodyParser } from './form-body-parser.js';
import { loginRoute } from './login-route.js';
import { type BindIdRouterOptions, type RouterContext, readRouterOptions } from './router-options.js';
import { RouterResponses } from './router-responses.js';
import { unlinkRoute } from './unlink-route.js';
import { warnAboutSessionCookie } from './session-cookie-warning.js';
import { singletonStrategyCheck } from './strategy-check.js';

export type { BindIdRouterOptions } from './router-options.js';

/** What {@link bindIdRouter} returns: a request handler that answers its own paths and calls `next()` for any other, and its outbox worker. */
export type BindIdRouter = RequestHandler & {
  /**
   * The worker delivering reports queued by `failureMode: 'open'`, started unless `outboxWorker.start` is false;
   * `undefined` when fail-closed or `outboxWorker: false`. Stop it on shutdown: `await router.outboxWorker?.stop()`.
   */
  readonly outboxWorker: OutboxWorker | undefined;
};

/** Build the BindID sign-in router. Options are checked here, once; discovery happens at the first sign-in (retried while BindID is unreachable). */
export function bindIdRouter<U = Express.User>(options: BindIdRouterOptions<U>): BindIdRouter {
  const config = readRouterOptions(options);
  const { paths, flow } = config;
  const ctx: RouterContext<U> = {
    ...config,
    signIn: new SignInFlow(flow),
    responses: new RouterResponses({ ...config, defaultReturnTo: flow.defaultReturnTo, baseUrl: flow.baseUrl }),
    checkStrategy: config.passportGiven ? () => {} : singletonStrategyCheck(config.passport, config.strategy),
  };

  const router = express.Router();
  const form = formBodyParser();
  router.get(paths.login, loginRoute(ctx));
  router.get(paths.callback, callbackRoute(ctx));
  router.get(paths.confirm, confirmPageRoute(ctx));
  router.post(paths.confirm, form, confirmPostRoute(ctx));
  router.post(paths.cancel, form, cancelRoute(ctx));
  router.post(paths.unlink, form, unlinkRoute(ctx));

  let cookieChecked = false;
  const ownPaths = new Set(Object.values(paths).map((p) => p.toLowerCase()));
  // Most requests are for none of the router's paths: they skip the Router's walk over its layers
  // (BENCHMARKS.md, pass-through). Matched as the Router does: case-insensitive, one optional trailing slash.
  const handler = function bindIdRouter(req: Request, res: Response, next: NextFunction): void {
    if (!cookieChecked && req.session) {
      cookieChecked = true;
      warnAboutSessionCookie(req, flow.baseUrl);
    }
    const path = req.path.toLowerCase();
    if (ownPaths.has(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path)) router(req, res, next);
    else next();
  };

  flow.link.failure.startWorker(); // last: a factory that throws leaves no timer behind
  return Object.defineProperty(handler, 'outboxWorker', { value: flow.link.failure.worker, enumerable: true }) as BindIdRouter;
}
