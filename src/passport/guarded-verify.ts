/** The attempt guard around the app's password check: a refused attempt never reaches `verify`, and without a pending BindID login
 * nothing is checked (the form is no password oracle). Settings: the router's for this request, else the strategy's own. @module */
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
import { clearPendingLogin, type PendingLogin, requirePendingLogin } from '../session/pending-login.js';

// Stryker disable next-line StringLiteral: the debug namespace, like the text of debug log lines no one relies on
const log = logger('confirm');

export type StrategyDone = (err: unknown, user?: unknown, info?: { message?: string }) => void;
/** Run the app's check; `finish` is called once, with an error or the user (falsy: no match). */
export type RunVerify = (req: Request, username: string, password: string, finish: (err: unknown, user?: unknown) => void) => void;

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
      // None, expired or planted in another browser: refused before anything is counted (the router hands over the one it checked).
      pending = context?.pending ?? requirePendingLogin(req, settings.now());
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
