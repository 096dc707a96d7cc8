/** After the app's password check: claim the pending login, reserve the link, report (fail-open: queue), record the link, log in. @module */
import type { Request } from 'express';
import type {} from 'express-session';
import { BindIdError, BindIdStateError, ErrorCode } from '../errors.js';
import { assertAlias } from '../feedback/assert-alias.js';
import type { FeedbackResult } from '../feedback/session-feedback-client.js';
import type { SessionFeedbackReport } from '../feedback/session-feedback-report.js';
import { emit } from '../internal/events.js';
import { enqueueReport, type ReportQueuedEvent, writeHealRecord } from '../fail-open/failure-policy.js';
import type { LinkReservation } from './link-registry.js';
import { logger, printable } from '../internal/log.js';
import type { Outbox } from '../fail-open/outbox.js';
import { clearPendingLogin, type PendingLogin, requirePendingLogin, unexpired } from '../session/pending-login.js';
import { requirePassport, requireServerSession } from '../session/require-session.js';
import { logIn } from '../session/regenerate-session.js';
import { failClosed } from '../stores/bindid-store.js';
import { cancelledMeanwhile, finishClaim, releaseClaim as giveBackClaim, takeClaim } from './confirm-claim.js';
import type { BindIdRequestState, ConfirmSettings } from './confirm-options.js';

const log = logger('confirm');

/**
 * Confirm the pending BindID login of `req` as `user`; coded errors, a failed report keeps the pending login. `checked`: the pending
 * login the router read for this request, with the session, passport and this browser already checked.
 */
export async function confirmPendingLogin<U>(req: Request, user: U, settings: ConfirmSettings<U>, checked?: PendingLogin): Promise<BindIdRequestState> {
  // Stryker disable next-line ConditionalExpression: equivalent, the router passes `checked` only after its pending login was read from req.session and requirePassport(req) passed, so these two checks pass again
  if (!checked) {
    requireServerSession(req);
    requirePassport(req);
  }
  requireConfirmedUser(user);
  const started = settings.now();
  // Its expiry is checked again: the password check took time. Planted in another browser: refused, nothing changed.
  const pending = checked ? unexpired(req, checked, started) : requirePendingLogin(req, started);
  const sub = pending.claims.sub;

  const alias = await settings.deriveAlias(user, req);
  assertAlias(alias);

  const claimed = await failClosed(() => takeClaim(settings.store, pending, started));
  if (!claimed) {
    throw new BindIdStateError(ErrorCode.CONFIRM_IN_PROGRESS, 'This BindID sign-in is already being confirmed.', {
      status: 409,
    });
  }
  const releaseClaim = () => giveBackClaim(settings.store, pending).catch(() => log('could not release a claim'));
  // Reserved before reporting, so two confirmations of one BindID user (or account) cannot both report; a 409 keeps the pending login.
  let reservation: LinkReservation;
  try {
    reservation = await failClosed(() => settings.registry.reserve(alias, sub));
  } catch (err) {
    await releaseClaim();
    throw err;
  }
  const releaseLink = () => settings.registry.release(reservation).catch(() => log('could not release a link reservation'));

  const reportToSend = buildReport(settings, pending, alias, Math.floor(started / 1000));
  const { result, queued, report } = await deliver(req, settings, pending, reportToSend, { releaseLink, releaseClaim });
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

interface Delivery {
  result?: FeedbackResult;
  queued?: Omit<ReportQueuedEvent, 'req'>;
  report: BindIdRequestState['report'];
}

/** Send the report, or queue it (fail-open); any other failure frees the link (and the claim, or the pending login) and is thrown. */
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
    const queued = isOutage(err) && settings.failure.mode === 'open' ? await queueReport(settings.failure.outbox, settings, pending, reportToSend, err) : undefined;
    if (queued) return { queued, report: 'queued' };
    // A refusal ends the pending login for every door (a retry answers "start again", never "already being confirmed").
    await release.releaseLink();
    if (err.retryable) await release.releaseClaim();
    else clearPendingLogin(req);
    throw err;
  }
}

/** Refused after an unanswered attempt that may have set the alias: signed in; the next ID token settles it (fail-open: self-heal record). */
async function possiblyApplied<U>(settings: ConfirmSettings<U>, sub: string, report: SessionFeedbackReport): Promise<Delivery> {
  log('report for sub %s refused after an unanswered attempt: possibly applied, signing in', printable(sub));
  if (settings.failure.mode === 'open') await writeHealRecord(settings.store, sub, report);
  return { report: 'possibly-applied' };
}

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

/** The failures fail-open queues: BindID unreachable or too slow (an open circuit included). */
export function isOutage(err: BindIdError): boolean {
  return err.retryable && (err.code === ErrorCode.UNAVAILABLE || err.code === ErrorCode.TIMEOUT);
}

/** Persist the report in `outbox` and write the self-heal record: the `onReportQueued` event (without `req`), or `undefined` when it failed (fail closed). */
async function queueReport<U>(
  outbox: Outbox,
  settings: ConfirmSettings<U>,
  pending: PendingLogin,
  report: SessionFeedbackReport,
  cause: BindIdError,
): Promise<Omit<ReportQueuedEvent, 'req'> | undefined> {
  const sub = pending.claims.sub;
  const item = { sub, accessToken: pending.accessToken, report: { ...report, alias: report.alias as string }, expiresAt: pending.tokenExpiresAt, now: settings.now() };
  const queued = await enqueueReport(outbox, item, cause);
  if (!queued) {
    log('fail-open: the outbox could not persist the report; failing closed');
    return undefined;
  }
  await writeHealRecord(settings.store, sub, report);
  // Stryker disable next-line StringLiteral: the words of a debug line's argument, no one relies on them (whether it was new is onReportQueued's `added`)
  log('fail-open: report for sub %s queued (%s)', printable(sub), queued.added ? 'new' : 'already queued');
  return queued;
}

/**
 * `authentication_performed` for a user without an alias (BindID sets an alias once with it); `alias_updated` for a re-link to another
 * alias; none for the same alias (whether BindID accepts a no-op `alias_updated` is not documented: docs/aliases.md).
 */
function buildReport<U>(settings: ConfirmSettings<U>, pending: PendingLogin, alias: string, time: number): SessionFeedbackReport | undefined {
  const previous = pending.claims.bindid_alias;
  if (previous === alias) return undefined;
  if (typeof previous === 'string' && previous !== '') return { type: 'alias_updated', alias, time };
  return { type: 'authentication_performed', alias, time, ...(settings.amr ? { amr: [...settings.amr] } : {}) };
}
