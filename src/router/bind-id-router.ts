/**
 * `bindIdRouter(options)`: the whole BindID sign-in flow as one Express request handler, one file per
 * route. Mount it at the app's root, after express-session and passport: its paths are absolute (the
 * redirect URI, the form actions and the redirects use them as they are), so under a prefix
 * (`app.use('/auth', ...)`) Express would match `/auth/login/bindid` while every link missed the prefix.
 *
 * @module
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
import type { RouterContext } from './router-context.js';
import { type BindIdRouterOptions, readRouterOptions } from './router-options.js';
import { RouterResponses } from './router-responses.js';
import { unlinkRoute } from './unlink-route.js';
import { warnAboutSessionCookie } from './session-cookie-warning.js';
import { singletonStrategyCheck } from './strategy-check.js';

export type { LinkFailedEvent } from '../flow/flow-events.js';
export type { BindIdRouterOptions } from './router-options.js';
export { warnAboutSessionCookie } from './session-cookie-warning.js';

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
  // Every request of the app passes here, most for none of the router's paths: those go straight on,
  // without the Router's walk over its layers (BENCHMARKS.md, pass-through). The paths are matched as
  // the Router matches them (case-insensitive, one optional trailing slash), on `req.path`.
  const handler = function bindIdRouter(req: Request, res: Response, next: NextFunction): void {
    if (!cookieChecked && req.session) {
      cookieChecked = true;
      warnAboutSessionCookie(req, flow.baseUrl);
    }
    if (ownPaths.has(routerPath(req.path))) router(req, res, next);
    else next();
  };

  flow.link.failure.startWorker(); // last: a factory that throws leaves no timer behind
  return Object.defineProperty(handler, 'outboxWorker', { value: flow.link.failure.worker, enumerable: true }) as BindIdRouter;
}

/** A request path as the router's routes compare it: lower-cased, without one trailing slash. */
function routerPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}
