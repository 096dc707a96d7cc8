/** Fail-open self-heal: an ID token without `bindid_alias` of a user linked in fail-open mode (a self-heal record the registry confirms) re-sends the report. */
import type { Request } from 'express';
import { isOutage } from '../confirm/confirm-pending-login.js';
import { BindIdError } from '../errors.js';
import { enqueueReport, healKey, readHealRecord } from '../fail-open/failure-policy.js';
import { type Outbox, outboxId } from '../fail-open/outbox.js';
import type { SessionFeedbackReport } from '../feedback/session-feedback-report.js';
import { emit } from '../internal/events.js';
import { logger, printable } from '../internal/log.js';
import type { CallbackResult } from '../oidc/bindid-oidc-client.js';
import { requirePassport } from '../session/require-session.js';
import { CONFIRM_AGAIN, type FlowSettings } from './flow-options.js';

const log = logger('login');

/** The user to sign in once BindID accepted the report or, while it is down, it is queued again; else `undefined` (the password is asked). */
export async function selfHeal<U>(
  flow: FlowSettings<U>,
  req: Request,
  result: CallbackResult,
  outbox: Outbox,
): Promise<{ user: U; alias: string } | undefined> {
  const settings = flow.link;
  const sub = result.claims.sub;
  const record = await readHealRecord(settings.store, sub);
  if (!record) return undefined;
  // Stryker disable next-line ArrowFunction: equivalent, undefined is as false as false to the check below
  const linked = await settings.registry.isLinked(record.alias, sub).catch(() => false);
  if (!linked) return undefined;
  const user = await flow.findUserByAlias(record.alias, result.claims, req);
  if (!user || user === CONFIRM_AGAIN) return undefined;
  requirePassport(req);
  const report = {
    type: 'authentication_performed' as const,
    alias: record.alias,
    time: record.time,
    ...(record.amr ? { amr: record.amr } : {}),
  };
  try {
    await settings.client.send(result.accessToken, report);
  } catch (err) {
    if (err instanceof BindIdError && err.possiblyApplied) {
      // Refused after an unanswered attempt: the alias may be set now. Signed in; the record stays,
      // so the next sign-in settles it (its ID token carries the alias, or this runs again).
      log('self-heal of sub %s refused after an unanswered attempt: possibly applied', printable(sub));
      return { user, alias: record.alias };
    }
    if (!(err instanceof BindIdError) || !isOutage(err)) {
      // Stryker disable next-line StringLiteral: debug log text, no one relies on it
      log('self-heal of sub %s failed (%s): asking for the password', printable(sub), err instanceof BindIdError ? err.code : 'error');
      return undefined;
    }
    const queued = await queueAgain(flow, req, outbox, result, report, err);
    return queued ? { user, alias: record.alias } : undefined;
  }
  // Stryker disable next-line StringLiteral: debug log text, no one relies on it (forgetHeal's why)
  await forgetHeal(flow, outbox, sub, record.alias, 'healed');
  log('self-heal of sub %s: report re-sent with the new token', printable(sub));
  return { user, alias: record.alias };
}

/**
 * An ID token carrying the alias a self-heal record waits for: BindID has it, so the record and its queued
 * report go; nothing may send `authentication_performed` again for an alias BindID already returns.
 */
export async function settleHeal<U>(flow: FlowSettings<U>, sub: string, alias: string, outbox: Outbox): Promise<void> {
  const record = await readHealRecord(flow.link.store, sub);
  if (record?.alias !== alias) return;
  // Stryker disable next-line StringLiteral: debug log text, no one relies on it (forgetHeal's why)
  await forgetHeal(flow, outbox, sub, alias, 'settled');
  log('sub %s signed in with the alias its self-heal record waited for: settled, nothing re-sent', printable(sub));
}

async function forgetHeal<U>(flow: FlowSettings<U>, outbox: Outbox, sub: string, alias: string, why: 'healed' | 'settled'): Promise<void> {
  await outbox.remove(outboxId(sub, alias)).catch(() => log('could not remove a %s outbox item', why));
  await flow.link.store.delete(healKey(sub)).catch(() => log('could not remove a %s self-heal record', why));
}

/** Queue the report again with the new token; false when the outbox failed. */
async function queueAgain<U>(
  flow: FlowSettings<U>,
  req: Request,
  outbox: Outbox,
  result: CallbackResult,
  report: SessionFeedbackReport & { alias: string },
  err: BindIdError,
): Promise<boolean> {
  const sub = result.claims.sub;
  const at = flow.link.now();
  const queued = await enqueueReport(outbox, { sub, accessToken: result.accessToken, report, expiresAt: at + result.expiresIn * 1000, now: at }, err);
  if (!queued) {
    log('self-heal of sub %s: BindID down and the outbox failed: asking for the password', printable(sub));
    return false;
  }
  log('self-heal of sub %s: BindID down, report queued again', printable(sub));
  emit('onReportQueued', flow.link.failure.onReportQueued, { req, ...queued });
  return true;
}
