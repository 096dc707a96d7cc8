/**
 * `bindIdRouter(options)`: the whole BindID sign-in flow as one Express request handler.
 *
 * - `GET  /login/bindid`           start (`login-route.ts`).
 * - `GET  /bindid/callback`        code exchange, sign-in by alias or pending login (`callback-route.ts`).
 * - `GET  /bindid/confirm`         the confirm page (`confirm-route.ts`).
 * - `POST /bindid/confirm`         password check, report to BindID, sign-in (`confirm-route.ts`).
 * - `POST /bindid/confirm/cancel`  discard the pending login (`cancel-route.ts`).
 * - `POST /bindid/unlink`          unlink BindID from the signed-in user's account (`unlink-route.ts`).
 *
 * Mount it at the root of the app, after express-session and passport:
 * `app.use(bindIdRouter({ ... }))`. Its paths are absolute app paths: they appear as they are in the
 * redirect URI, the page's form actions and the redirects. Express matches a handler mounted under a
 * prefix (`app.use('/auth', ...)`) on the path after the prefix, so there the paths would be matched
 * as `/auth/login/bindid` and so on but every link would miss the prefix: don't.
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

/**
 * What {@link bindIdRouter} returns: a request handler (not a `Router`: it takes no routes of the
 * app), and the worker of its outbox. It answers its own paths and calls `next()` for every other
 * request.
 */
export type BindIdRouter = RequestHandler & {
  /**
   * The worker delivering reports queued by `failureMode: 'open'` (already started unless
   * `outboxWorker.start` is false); `undefined` in fail-closed mode or with `outboxWorker: false`.
   * Stop it on shutdown: `await router.outboxWorker?.stop()`.
   */
  readonly outboxWorker: OutboxWorker | undefined;
};

/**
 * Build the BindID sign-in router. Options are validated here, once; discovery happens at the first
 * sign-in (and is retried if BindID was unreachable).
 */
export function bindIdRouter<U = Express.User>(options: BindIdRouterOptions<U>): BindIdRouter {
  const config = readRouterOptions(options);
  const { paths, flow } = config;
  const settings = flow.link;
  const ctx: RouterContext<U> = {
    ...config,
    signIn: new SignInFlow(flow),
    responses: new RouterResponses({ ...config, defaultReturnTo: flow.defaultReturnTo, baseUrl: flow.baseUrl }),
    // With the `passport` option the strategy was checked at start-up; the singleton is checked at the first confirm request.
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

  settings.failure.startWorker(); // last: a factory that throws leaves no timer behind
  return Object.defineProperty(handler, 'outboxWorker', { value: settings.failure.worker, enumerable: true }) as BindIdRouter;
}

/** A request path as the router's routes compare it: lower-cased, without one trailing slash. */
function routerPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}
