/**
 * `confirmPendingLogin`: the confirmation step both entry points run once the app's password check
 * passed. It claims the pending login (single use), reserves the one-to-one link, sends the signed
 * report (or, fail-open, queues it), records the link, and logs the user in.
 *
 * @module
 */
import type { Request } from 'express';
import type {} from 'express-session';
import { BindIdError, BindIdStateError, ErrorCode } from '../errors.js';
import { assertAlias } from '../feedback/assert-alias.js';
import type { FeedbackResult } from '../feedback/session-feedback-client.js';
import type { SessionFeedbackReport } from '../feedback/session-feedback-report.js';
import { publish } from '../internal/diagnostics.js';
import { emit } from '../internal/events.js';
import { type ReportQueuedEvent, writeHealRecord } from '../fail-open/failure-policy.js';
import type { LinkReservation } from './link-registry.js';
import { logger, printable } from '../internal/log.js';
import { itemInfo, newOutboxItem, type Outbox, outboxDiagnostic } from '../fail-open/outbox.js';
import { assertSameBrowser } from '../session/browser-binding.js';
import { clearPendingLogin, type PendingLogin, requirePendingLogin } from '../session/pending-login.js';
import { requirePassport, requireServerSession } from '../session/require-session.js';
import { logIn } from '../session/regenerate-session.js';
import { failClosed } from '../stores/bindid-store.js';
import { cancelledMeanwhile, finishClaim, releaseClaim as giveBackClaim, takeClaim } from './confirm-claim.js';
import type { BindIdRequestState, ConfirmSettings } from './confirm-options.js';

const log = logger('confirm');

/**
 * Confirm the pending BindID login of `req` as `user`: derive and check the alias, send
 * `authentication_performed`, and only after a 2xx clear the pending login and (if `logIn`) log
 * the user in. Throws coded errors; the pending login is kept when the report failed.
 */
export async function confirmPendingLogin<U>(req: Request, user: U, settings: ConfirmSettings<U>): Promise<BindIdRequestState> {
  requireServerSession(req);
  requirePassport(req);
  requireConfirmedUser(user);
  const started = settings.now();
  const pending = requirePendingLogin(req, started);
  assertSameBrowser(req, pending.browser); // a pending login planted in another browser: refused, nothing changed
  const sub = pending.claims.sub;

  const alias = await settings.deriveAlias(user, req);
  assertAlias(alias);

  // Single use across concurrent requests (and instances): only one confirmation may report.
  const claimed = await failClosed(() => takeClaim(settings.store, pending, started));
  if (!claimed) {
    throw new BindIdStateError(ErrorCode.CONFIRM_IN_PROGRESS, 'This BindID sign-in is already being confirmed.', {
      status: 409,
    });
  }
  const releaseClaim = () => giveBackClaim(settings.store, pending).catch(() => log('could not release a claim'));
  // One to one, atomically: reserve the link before reporting it, so that two confirmations of one
  // BindID user (or of one account) at the same moment cannot both report. A refusal (409) keeps the
  // pending login usable, as before anything is sent.
  let reservation: LinkReservation;
  try {
    reservation = await failClosed(() => settings.registry.reserve(alias, sub));
  } catch (err) {
    await releaseClaim();
    throw err;
  }
  const releaseLink = () => settings.registry.release(reservation).catch(() => log('could not release a link reservation'));

  const reportToSend = buildReport(settings, pending, alias, Math.floor(started / 1000));
  const { result, queued, report } = await deliver(req, settings, pending, reportToSend, {
    releaseLink,
    releaseClaim,
  });
  await settings.registry.record(alias, sub).catch(() => log('could not record the link of sub %s', printable(sub)));
  clearPendingLogin(req);
  if (result) log('linked BindID sub %s (HTTP %d, %d attempt(s))', printable(sub), result.status, result.attempts);
  else log('linked BindID sub %s; report %s', printable(sub), report === 'queued' ? 'queued (fail-open)' : report);

  // Events after the pending login (and its token) left the session.
  const linked = () => {
    if (queued) emit('onReportQueued', settings.failure.onReportQueued, { req, ...queued });
    emit('onLinked', settings.onLinked, { req, user, alias, sub, claims: pending.claims, ...(result ? { result } : {}), queued: report === 'queued' });
  };
  if (!(await finishClaim(settings.store, pending, settings.now()))) {
    // A "not me" while BindID was answering: the link stands (the app is told), nobody is signed in.
    linked();
    return cancelledMeanwhile(req, sub);
  }
  if (settings.logIn) await logIn(req, user);
  const state: BindIdRequestState = { alias, sub, claims: pending.claims, report };
  req.bindid = state;
  linked();
  return state;
}

/** How the report went: BindID's answer, or the fail-open queueing, and what `req.bindid.report` says. */
interface Delivery {
  result?: FeedbackResult;
  queued?: Omit<ReportQueuedEvent, 'req'>;
  report: BindIdRequestState['report'];
}

/**
 * Send the report (none for a re-link with an unchanged alias: BindID already holds it), or queue it
 * (fail-open), or take a refusal that followed an unanswered attempt as possibly applied. Any other
 * failure frees the link (and the claim, or the pending login) and is thrown.
 */
async function deliver<U>(
  req: Request,
  settings: ConfirmSettings<U>,
  pending: PendingLogin,
  reportToSend: SessionFeedbackReport | undefined,
  release: { releaseLink: () => Promise<unknown>; releaseClaim: () => Promise<unknown> },
): Promise<Delivery> {
  const sub = pending.claims.sub;
  if (!reportToSend) {
    log('re-link of sub %s with its unchanged alias: nothing sent to BindID', printable(sub));
    return { report: 'unchanged' };
  }
  try {
    return { result: await settings.client.send(pending.accessToken, reportToSend), report: 'sent' };
  } catch (err) {
    if (!(err instanceof BindIdError)) {
      await release.releaseLink();
      throw err;
    }
    emit('onFeedbackError', settings.onFeedbackError, { req, error: err, sub });
    if (err.possiblyApplied) return possiblyApplied(settings, sub, reportToSend);
    // Fail-open: BindID is down, so persist the report and sign the user in. Only when it is persisted.
    const queued = isOutage(err) && settings.failure.mode === 'open' ? await queueReport(settings.failure.outbox, settings, pending, reportToSend, err) : undefined;
    if (queued) return { queued, report: 'queued' };
    // Nothing was linked: free the link for any pair, this one's next try included. A retryable
    // failure leaves the pending login usable for another try; a refusal ends it here, for every
    // door alike (a retry then answers "start again", never "already being confirmed" until expiry).
    await release.releaseLink();
    if (err.retryable) await release.releaseClaim();
    else clearPendingLogin(req);
    throw err;
  }
}

/**
 * BindID refused the report after an attempt that went unanswered: that attempt may have set the
 * alias. The user is signed in (the `onFeedbackError` event carries `possiblyApplied`); the next
 * sign-in's ID token settles it: with `bindid_alias` it is a returning user, without it the user
 * confirms again, or (fail-open) self-heals from the record written here.
 */
async function possiblyApplied<U>(settings: ConfirmSettings<U>, sub: string, report: SessionFeedbackReport): Promise<Delivery> {
  log('report for sub %s refused after an unanswered attempt: possibly applied, signing in', printable(sub));
  if (settings.failure.mode === 'open') await writeHealRecord(settings.store, sub, report);
  return { report: 'possibly-applied' };
}

/** The password check confirmed a user (the middleware is mounted after it). */
function requireConfirmedUser(user: unknown): void {
  if (user === undefined || user === null) {
    throw new BindIdStateError(
      ErrorCode.NOT_AUTHENTICATED,
      'No confirmed user (req.user is empty): mount this middleware after ' +
        "passport.authenticate('<your local strategy>', { session: false }).",
      { status: 401 },
    );
  }
}

/** BindID could not be reached or did not answer in time (an open circuit included): the failures fail-open queues. */
export function isOutage(err: BindIdError): boolean {
  return err.retryable && (err.code === ErrorCode.UNAVAILABLE || err.code === ErrorCode.TIMEOUT);
}

/**
 * Persist the report of `pending` in `outbox` (fail-open). Resolves the `onReportQueued` event
 * (without `req`) when it is persisted (now, or already by an earlier attempt for the same
 * (sub, alias)); `undefined` when the outbox failed: the caller then fails closed.
 */
async function queueReport<U>(
  outbox: Outbox,
  settings: ConfirmSettings<U>,
  pending: PendingLogin,
  report: SessionFeedbackReport,
  cause: BindIdError,
): Promise<Omit<ReportQueuedEvent, 'req'> | undefined> {
  const sub = pending.claims.sub;
  const alias = report.alias as string;
  const now = settings.now();
  const item = newOutboxItem({
    sub,
    accessToken: pending.accessToken,
    report: { ...report, alias },
    expiresAt: pending.tokenExpiresAt,
    now,
  });
  let added: boolean;
  try {
    added = await outbox.enqueue(item);
  } catch {
    log('fail-open: the outbox could not persist the report; failing closed');
    return undefined;
  }
  publish('outboxEnqueue', () => outboxDiagnostic(item));
  await writeHealRecord(settings.store, sub, report);
  log('fail-open: report for sub %s queued (%s)', printable(sub), added ? 'new' : 'already queued');
  return { item: itemInfo(item), sub, alias, code: cause.code, added };
}

/**
 * The report to send: `authentication_performed` for a BindID user without an alias (or with `""`);
 * `alias_updated` for one whose ID token carries another alias (a re-link, `CONFIRM_AGAIN`): BindID
 * sets an alias once per user and app with `authentication_performed`. None (`undefined`) for a
 * re-link whose ID token already carries this alias: nothing would change at BindID, and whether it
 * accepts a no-op `alias_updated` is not documented (docs/aliases.md).
 */
function buildReport<U>(settings: ConfirmSettings<U>, pending: PendingLogin, alias: string, time: number): SessionFeedbackReport | undefined {
  const previous = pending.claims.bindid_alias;
  if (previous === alias) return undefined;
  if (typeof previous === 'string' && previous !== '') return { type: 'alias_updated', alias, time };
  return { type: 'authentication_performed', alias, time, ...(settings.amr ? { amr: [...settings.amr] } : {}) };
}
