/** `sendAuthenticationPerformed(options)`: the confirmation middleware, for an app's own confirm route. @module */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { BindIdError } from '../errors.js';
import { logger } from '../internal/log.js';
import { schemaReader } from '../internal/option-schema.js';
import type { OutboxWorker } from '../fail-open/outbox-worker.js';
import { CONFIRM_OPTIONS, readConfirmSettings, type SendAuthenticationPerformedOptions } from './confirm-options.js';
import { confirmPendingLogin } from './confirm-pending-login.js';

const log = logger('confirm');

/**
 * The confirmation middleware: mount it after `passport.authenticate('<local strategy>', { session: false })`. It reports the session's
 * pending BindID login with the alias of `req.user`; once BindID answered 2xx, it clears it, logs the user in and calls `next()`. Failures: `next(err)`.
 *
 * @example
 * ```ts
 * app.post('/bindid/confirm',
 *   passport.authenticate('bindid-local', { session: false, failureRedirect: '/bindid/confirm?failed=1' }),
 *   sendAuthenticationPerformed({ clientSecret: process.env.BINDID_CLIENT_SECRET!, apiUrl: 'https://api.bindid-sandbox.io' }),
 *   (req, res) => res.redirect('/account'));
 * ```
 */
export function sendAuthenticationPerformed<U = Express.User>(
  options: SendAuthenticationPerformedOptions<U>,
): ConfirmMiddleware {
  const settings = readConfirmSettings<U>(schemaReader('sendAuthenticationPerformed', options, CONFIRM_OPTIONS));
  settings.failure.startWorker();

  const middleware = function sendAuthenticationPerformedMiddleware(req: Request, _res: Response, next: NextFunction): void {
    confirmPendingLogin(req, req.user as U, settings).then(
      () => next(),
      (err: unknown) => {
        if (err instanceof BindIdError) log('confirmation failed: %s', err.code);
        next(err);
      },
    );
  };
  return Object.defineProperty(middleware, 'outboxWorker', { value: settings.failure.worker, enumerable: true }) as ConfirmMiddleware;
}

/** The middleware, and the worker of its outbox. */
export type ConfirmMiddleware = RequestHandler & {
  /** The worker of `failureMode: 'open'`, if any: stop it on shutdown (`await middleware.outboxWorker?.stop()`). */
  readonly outboxWorker: OutboxWorker | undefined;
};
