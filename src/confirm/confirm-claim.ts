/**
 * The single-use claim on a pending login, in the shared store: what lets one confirmation report at
 * a time, and a "not me" reach a confirmation still waiting on BindID.
 *
 * The key `claim:<pending id>` holds `held` while a confirmation reports, `done` once it signed the
 * user in, and `cancelled` after a "not me". Each change is atomic (`add`, `setIf`, `deleteIf`), so
 * a cancel and a confirmation that meet decide once: either the confirmation signs in (the cancel came
 * too late), or it does not (the report, already sent, stands: BindID linked the identity).
 *
 * @module
 */
import type { Request } from 'express';
import { BindIdStateError, ErrorCode } from '../errors.js';
import { logger, printable } from '../internal/log.js';
import type { PendingLogin } from '../session/pending-login.js';
import { regenerateSession } from '../session/regenerate-session.js';
import type { BindIdStore } from '../stores/bindid-store.js';

const log = logger('confirm');

const HELD = '1';
const DONE = 'done';
const CANCELLED = 'cancelled';

/** How long a claim lives: as long as the pending login, at least a second. */
function claimTtl(pending: PendingLogin, now: number): number {
  return Math.max(1000, pending.expiresAt - now);
}

/** The store key of the claim on `pending`. */
function claimKey(pending: PendingLogin): string {
  return `claim:${pending.id}`;
}

/** Take the claim before reporting. False when a confirmation holds it, or a cancel or a sign-in ended it. */
export function takeClaim(store: BindIdStore, pending: PendingLogin, now: number): Promise<boolean> {
  return store.add(claimKey(pending), HELD, claimTtl(pending, now));
}

/** Give the claim back after a report that linked nothing (never a cancel's mark). */
export async function releaseClaim(store: BindIdStore, pending: PendingLogin): Promise<void> {
  await store.deleteIf(claimKey(pending), HELD);
}

/**
 * After the report: may the confirmation sign the user in? False when a "not me" marked the claim
 * while BindID was answering. A store that cannot answer does not stop the sign-in (the password was
 * right and the report sent; only a cancel at that very moment is lost).
 */
export async function finishClaim(store: BindIdStore, pending: PendingLogin, now: number): Promise<boolean> {
  return store.setIf(claimKey(pending), HELD, DONE, claimTtl(pending, now)).then(
    (finished) => finished,
    () => true,
  );
}

/**
 * "Not me": end the claim so that no confirmation of `pending` signs anyone in. `idle`: none was
 * reporting (and none can start now); `in-flight`: one is waiting on BindID and will not sign in;
 * `too-late`: one already signed the user in.
 */
export async function cancelClaim(store: BindIdStore, pending: PendingLogin, now: number): Promise<'idle' | 'in-flight' | 'too-late'> {
  const key = claimKey(pending);
  if (await store.add(key, CANCELLED, claimTtl(pending, now))) return 'idle';
  if (await store.setIf(key, HELD, CANCELLED, claimTtl(pending, now))) return 'in-flight';
  const value = await store.get(key);
  if (value === DONE) return 'too-late';
  // Released in between (a report that linked nothing): mark it now.
  if (value === undefined) await store.add(key, CANCELLED, claimTtl(pending, now));
  return 'idle';
}

/**
 * End a confirmation whose sign-in was cancelled while BindID was answering: its report stands (BindID
 * linked the identity), but nobody is signed in, and the session the user abandoned is not saved
 * back (a new, empty one replaces it). Throws `ERR_BINDID_NO_PENDING_LOGIN` (400).
 */
export async function cancelledMeanwhile(req: Request, sub: string): Promise<never> {
  await regenerateSession(req, {});
  log('BindID sub %s linked, but its sign-in was cancelled meanwhile: nobody signed in', printable(sub));
  throw new BindIdStateError(
    ErrorCode.NO_PENDING_LOGIN,
    'This BindID sign-in was cancelled ("not me") while BindID was confirming it: the link was reported, but nobody is signed in.',
    { status: 400 },
  );
}
