/** A sign-in's `state`: matched against this browser's transaction, then used once (atomically, in the shared store) before the code exchange. @module */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BindIdStateError, ErrorCode, safeCause } from '../errors.js';
import { logger } from '../internal/log.js';
import type { AuthTransaction } from '../session/pending-login.js';
import { type BindIdStore, failClosed } from '../stores/bindid-store.js';
import { TRANSACTION_TTL_MS } from './transaction-cookie.js';

const log = logger('login');

/**
 * Only the first caller goes on (`add`), a second gets `ERR_BINDID_CALLBACK_INVALID` (400); the key lives as long as the transaction could.
 * Only after {@link matchState}, so only this browser's own sign-in writes a key. A store failure fails closed.
 */
export async function consumeState(store: BindIdStore, transaction: AuthTransaction, now: number): Promise<void> {
  const key = `state:${sha256(transaction.state).toString('base64url')}`;
  const ttlMs = Math.max(1, transaction.createdAt + TRANSACTION_TTL_MS - now);
  // Stryker disable next-line StringLiteral: equivalent, only the key's presence is ever read, never its value
  const first = await failClosed(() => store.add(key, '1', ttlMs));
  if (!first) {
    log('a callback reused the state of a sign-in already in progress or done: refused');
    throw new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'This BindID sign-in was already used. Start again from "Sign in with BindID".', {
      status: 400,
    });
  }
}

/**
 * Before anything is consumed, so a callback for another state (stale tab, cross-site link) leaves the sign-in in progress alone. BindID's
 * `access_denied` without `state` is `ERR_BINDID_ACCESS_DENIED` (403); any other missing or foreign state `ERR_BINDID_CALLBACK_INVALID` (400).
 */
export function matchState(query: URLSearchParams, transaction: AuthTransaction): void {
  const state = query.get('state');
  if (state === null && query.get('error') === 'access_denied') {
    log('callback: BindID answered access_denied without a state: cancelled at BindID');
    throw new BindIdStateError(ErrorCode.ACCESS_DENIED, 'The BindID sign-in was cancelled at BindID. Start again to sign in.', {
      status: 403,
      cause: safeCause(undefined, 'access_denied'),
    });
  }
  if (state === null || !timingSafeEqual(sha256(state), sha256(transaction.state))) {
    log('callback: its state is not this session’s sign-in: refused, the sign-in in progress kept');
    throw new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'This BindID sign-in does not belong to this browser session. Start again from "Sign in with BindID".', {
      status: 400,
    });
  }
}

/** A state's SHA-256: its store key (never the state itself), and equal-length input for a constant-time comparison. */
function sha256(value: string): Buffer {
  // Stryker disable next-line StringLiteral: equivalent, Node hashes a string given without an encoding as UTF-8 (an empty algorithm name throws on every call, which every test sees)
  return createHash('sha256').update(value, 'utf8').digest();
}
