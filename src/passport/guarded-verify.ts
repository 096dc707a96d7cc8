/**
 * `guardedVerify(...)`: the attempt guard around the app's password check, as the verify function
 * `createLocalStrategy` hands to passport-local.
 *
 * Before the check it reserves one attempt per pending login, account and client in the shared
 * store ({@link reserveAttempt}); a refused attempt never reaches the app's `verify`. Without a
 * pending BindID login in the session nothing is checked (the form is no password oracle without a
 * BindID sign-in): the strategy errors with `ERR_BINDID_NO_PENDING_LOGIN` or
 * `ERR_BINDID_PENDING_LOGIN_EXPIRED` (400), as `sendAuthenticationPerformed` would. A failure that
 * uses up the pending login's attempts removes it; a right password resets the account's counter
 * and gives the client's slot back. The settings are the router's when
 * it handed them over for this request ({@link attemptGuardContext}), else the strategy's own.
 *
 * @module
 */
import type { Request } from 'express';
import {
  type AttemptGuardContext,
  type AttemptGuardSettings,
  attemptGuardContext,
  type LinkOutcome,
  releaseAttempt,
  reserveAttempt,
  VerifyTiming,
} from '../confirm/attempt-guard.js';
import { logger } from '../internal/log.js';
import { assertSameBrowser } from '../session/browser-binding.js';
import { clearPendingLogin, type PendingLogin, requirePendingLogin } from '../session/pending-login.js';

const log = logger('confirm');

/** passport-local's `done`. */
export type StrategyDone = (err: unknown, user?: unknown, info?: { message?: string }) => void;
/** Run the app's check once; `finish` is called exactly once with an error, or the user (falsy: no match). */
export type RunVerify = (req: Request, username: string, password: string, finish: (err: unknown, user?: unknown) => void) => void;

/** Build the guarded verify function of one strategy (it keeps its own timing of the app's checks). */
export function guardedVerify(
  own: AttemptGuardSettings,
  message: string,
  runVerify: RunVerify,
): (req: Request, username: string, password: string, done: StrategyDone) => void {
  const timing = new VerifyTiming();
  return (req, username, password, done) => {
    const context = attemptGuardContext(req);
    const settings = context?.settings ?? own;
    const fail = () => done(null, false, { message });
    let pending: PendingLogin;
    try {
      // None (or expired): the 400 errors of sendAuthenticationPerformed, before any check.
      pending = requirePendingLogin(req, settings.now());
      // Planted in another browser: refused before any attempt is counted or password checked.
      assertSameBrowser(req, pending.browser);
    } catch (err) {
      done(err);
      return;
    }
    /** A failed or refused attempt: when it used the pending login's last attempt, the login ends. */
    const failed = (linkCount: number) => {
      if (linkCount >= settings.maxAttempts) endLink(req, context, linkCount === settings.maxAttempts ? 'exhausted' : 'refused');
      fail();
    };
    reserveAttempt(settings, req, username, pending).then(
      (reservation) => {
        if (reservation.refused && reservation.reason === 'link') {
          log('confirm attempt refused: this sign-in has no attempt left, password not checked');
          failed(reservation.linkCount);
          return;
        }
        if (reservation.refused) {
          // Locked: no check, but about as slow as one, so the answer does not stand out (C17).
          log('confirm attempt refused: account or client over its attempt limit, password not checked');
          setTimeout(() => failed(reservation.linkCount), timing.typical());
          return;
        }
        const started = performance.now();
        runVerify(req, username, password, (err, user) => {
          timing.record(performance.now() - started);
          if (err) done(err);
          else if (user === undefined || user === null || user === false) {
            log('confirm attempt refused: wrong username or password (attempt %d of %d for this sign-in)', reservation.linkCount, settings.maxAttempts);
            failed(reservation.linkCount);
          } else {
            log('confirm attempt accepted: password checked');
            void releaseAttempt(settings, req, username).then(() => done(null, user));
          }
        });
      },
      (err: unknown) => done(err),
    );
  };
}

function endLink(req: Request, context: AttemptGuardContext | undefined, outcome: LinkOutcome): void {
  clearPendingLogin(req);
  if (context) context.link = outcome;
}
