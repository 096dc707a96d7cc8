/**
 * `sendAuthenticationPerformed(options)`: the confirmation middleware.
 *
 * Mount it on the confirm route after `passport.authenticate('<local strategy>', { session: false })`
 * (which sets `req.user` after the app's own password check). It reads the pending BindID login from
 * the session, derives the alias from `req.user`, sends the signed `authentication_performed`
 * report and, only once BindID answered 2xx, clears the pending login, logs the user in (regenerating
 * the session) and calls `next()`. Every failure goes to `next(err)` exactly once.
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type {} from 'express-session';
import { BindIdError } from '../errors.js';
import { logger } from '../internal/log.js';
import { schemaReader } from '../internal/option-schema.js';
import type { OutboxWorker } from '../fail-open/outbox-worker.js';
import { CONFIRM_OPTIONS, readConfirmSettings, type SendAuthenticationPerformedOptions } from './confirm-options.js';
import { confirmPendingLogin } from './confirm-pending-login.js';

const log = logger('confirm');

/**
 * Build the confirmation middleware. Options are checked here, once.
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
    let called = false;
    const done = (err?: unknown) => {
      if (called) return;
      called = true;
      next(err);
    };
    confirmPendingLogin(req, req.user as U, settings).then(
      () => done(),
      (err: unknown) => {
        if (err instanceof BindIdError) log('confirmation failed: %s', err.code);
        done(err);
      },
    );
  };
  return Object.defineProperty(middleware, 'outboxWorker', { value: settings.failure.worker, enumerable: true }) as ConfirmMiddleware;
}

/** What {@link sendAuthenticationPerformed} returns: the middleware, and the worker of its outbox. */
export type ConfirmMiddleware = RequestHandler & {
  /**
   * The worker delivering reports queued by `failureMode: 'open'` (already started unless
   * `outboxWorker.start` is false); `undefined` in fail-closed mode or with `outboxWorker: false`.
   * Stop it on shutdown: `await middleware.outboxWorker?.stop()`.
   */
  readonly outboxWorker: OutboxWorker | undefined;
};
