/**
 * `bindIdRouter(options)`: the whole BindID sign-in flow as an Express router.
 *
 * - `GET  /login/bindid`           start (`login-route.ts`).
 * - `GET  /bindid/callback`        code exchange, sign-in by alias or pending login (`callback-route.ts`).
 * - `GET  /bindid/confirm`         the confirm page (`confirm-route.ts`).
 * - `POST /bindid/confirm`         password check, report to BindID, sign-in (`confirm-route.ts`).
 * - `POST /bindid/confirm/cancel`  discard the pending login (`cancel-route.ts`).
 *
 * Mount it at the root of the app, after express-session and passport:
 * `app.use(bindIdRouter({ ... }))`.
 *
 * @module
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type {} from 'express-session';
import { AttemptLimiter } from '../confirm/attempt-limiter.js';
import type { OutboxWorker } from '../fail-open/outbox.js';
import { BindIdOidcClient } from '../oidc/bindid-oidc-client.js';
import { callbackRoute } from './callback-route.js';
import { cancelRoute } from './cancel-route.js';
import { confirmPageRoute, confirmPostRoute } from './confirm-route.js';
import { loginRoute } from './login-route.js';
import type { RouterContext } from './router-context.js';
import { type BindIdRouterOptions, readRouterOptions } from './router-options.js';
import { RouterResponses } from './router-responses.js';
import { warnAboutSessionCookie } from './session-cookie-warning.js';

export {
  type AliasLookup,
  type BindIdRouterOptions,
  type BindIdRouterPaths,
  CONFIRM_AGAIN,
  type LinkFailedEvent,
  type PassportLike,
  type RecognizedEvent,
  ROUTER_OPTION_KEYS,
} from './router-options.js';
export { warnAboutSessionCookie } from './session-cookie-warning.js';

/** What {@link bindIdRouter} returns: the Express router, and the worker of its outbox. */
export type BindIdRouter = Router & {
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
  const { paths, settings } = config;
  const ctx: RouterContext<U> = {
    ...config,
    oidcClient: new BindIdOidcClient({
      issuer: config.issuer,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      redirectUri: `${config.baseUrl}${paths.callback}`,
      scope: config.scope,
      timeoutMs: config.httpTimeoutMs,
    }),
    limiter: new AttemptLimiter(settings.store, config.attemptLimits),
    responses: new RouterResponses(config),
  };

  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  router.get(paths.login, loginRoute(ctx));
  router.get(paths.callback, callbackRoute(ctx));
  router.get(paths.confirm, confirmPageRoute(ctx));
  router.post(paths.confirm, form, confirmPostRoute(ctx));
  router.post(paths.cancel, form, cancelRoute(ctx));

  let cookieChecked = false;
  const ownPaths = new Set(Object.values(paths).map((p) => p.toLowerCase()));
  /** The Router's own dispatch (`handle`: present in Express 4 and 5, not in their types). */
  const withHandle = router as Router & { handle: (req: Request, res: Response, next: NextFunction) => void };
  const dispatch = withHandle.handle.bind(router);
  withHandle.handle = (req: Request, res: Response, next: NextFunction): void => {
    if (!cookieChecked && req.session) {
      cookieChecked = true;
      warnAboutSessionCookie(req, config.baseUrl);
    }
    if (settings.failure.mode === 'open') settings.failure.outboxFor(req);
    if (ownPaths.has(routerPath(req.path))) dispatch(req, res, next);
    else next();
  };

  settings.failure.startWorker(); // last: a factory that throws leaves no timer behind
  return Object.defineProperty(router, 'outboxWorker', { value: settings.failure.worker, enumerable: true }) as BindIdRouter;
}

/** A request path as the router's routes compare it: lower-cased, without one trailing slash. */
function routerPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}
