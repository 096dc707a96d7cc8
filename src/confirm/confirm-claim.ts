/** Single-use claim on a pending login: `claim:<pending id>` is `HELD` while a confirmation reports, `DONE` once it signed in, `CANCELLED`
 * after a "not me". Each change is atomic (`add`, `setIf`, `deleteIf`), so a cancel and a confirmation that meet decide once. @module */
import type { Request } from 'express';
import { BindIdStateError, ErrorCode } from '../errors.js';
import { logger, printable } from '../internal/log.js';
import type { PendingLogin } from '../session/pending-login.js';
import { regenerateSession } from '../session/regenerate-session.js';
import type { BindIdStore } from '../stores/bindid-store.js';

const log = logger('confirm');

// Stryker disable next-line StringLiteral: equivalent, any value distinct from the other two marks
const HELD = '1';
// Stryker disable next-line StringLiteral: equivalent, any value distinct from the other two marks
const DONE = 'done';
// Stryker disable next-line StringLiteral: equivalent, any value distinct from the other two marks
const CANCELLED = 'cancelled';

function claimTtl(pending: PendingLogin, now: number): number {
  return Math.max(1000, pending.expiresAt - now);
}

function claimKey(pending: PendingLogin): string {
  return `claim:${pending.id}`;
}

/** False when a confirmation holds it, or a cancel or a sign-in ended it. */
export function takeClaim(store: BindIdStore, pending: PendingLogin, now: number): Promise<boolean> {
  return store.add(claimKey(pending), HELD, claimTtl(pending, now));
}

/** Give the claim back after a report that linked nothing (never a cancel's mark). */
export async function releaseClaim(store: BindIdStore, pending: PendingLogin): Promise<void> {
  await store.deleteIf(claimKey(pending), HELD);
}

/** After the report: false when a "not me" came meanwhile. A store failure does not stop the sign-in (only a cancel at that moment is lost). */
export async function finishClaim(store: BindIdStore, pending: PendingLogin, now: number): Promise<boolean> {
  return store.setIf(claimKey(pending), HELD, DONE, claimTtl(pending, now)).then(
    (finished) => finished,
    () => true,
  );
}

/** "Not me": no confirmation of `pending` signs anyone in from now on (`too-late`: one already did). */
export async function cancelClaim(store: BindIdStore, pending: PendingLogin, now: number): Promise<'idle' | 'in-flight' | 'too-late'> {
  const key = claimKey(pending);
  // Stryker disable next-line ConditionalExpression: equivalent, the add wrote the mark, which the steps below then find and answer 'idle' too
  if (await store.add(key, CANCELLED, claimTtl(pending, now))) return 'idle';
  if (await store.setIf(key, HELD, CANCELLED, claimTtl(pending, now))) return 'in-flight';
  const value = await store.get(key);
  if (value === DONE) return 'too-late';
  // Released in between (a report that linked nothing): mark it now.
  // Stryker disable next-line ConditionalExpression: equivalent, an add over a key that holds a value changes nothing
  if (value === undefined) await store.add(key, CANCELLED, claimTtl(pending, now));
  return 'idle';
}

/** Cancelled while BindID was answering: the report stands, nobody is signed in, a new empty session replaces this one. */
export async function cancelledMeanwhile(req: Request, sub: string): Promise<never> {
  await regenerateSession(req, {});
  log('BindID sub %s linked, but its sign-in was cancelled meanwhile: nobody signed in', printable(sub));
  throw new BindIdStateError(
    ErrorCode.NO_PENDING_LOGIN,
    'This BindID sign-in was cancelled ("not me") while BindID was confirming it: the link was reported, but nobody is signed in.',
    { status: 400 },
  );
}
