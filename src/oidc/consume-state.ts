/**
 * `consumeState(store, state)`: mark the `state` of one BindID sign-in as used, atomically in the
 * shared store, before its code is exchanged. The router's callback and `BindIdStrategy` both call
 * it, so a state is single-use whichever of them completes the sign-in.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BindIdStateError, ErrorCode, safeCause } from '../errors.js';
import { logger } from '../internal/log.js';
import type { AuthTransaction } from '../session/pending-login.js';
import { type BindIdStore, failClosed } from '../stores/bindid-store.js';
import { TRANSACTION_TTL_MS } from './transaction-cookie.js';

const log = logger('login');

/**
 * Only the first caller goes on (`add`, keyed by the state's SHA-256, never the state itself): a
 * concurrent or later second callback with the same state gets `ERR_BINDID_CALLBACK_INVALID` (400).
 * The used state is remembered until the transaction would have expired (`TRANSACTION_TTL_MS` after
 * it started): after that its cookie is refused anyway, so the key never outlives its use. Called
 * only after {@link matchState}, so only a callback of this browser's own sign-in writes a key.
 * A store failure fails closed (`ERR_BINDID_STORE_UNAVAILABLE` or `ERR_BINDID_STORE_FULL`, 503).
 */
export async function consumeState(store: BindIdStore, transaction: AuthTransaction, now: number): Promise<void> {
  const key = `state:${sha256(transaction.state).toString('base64url')}`;
  const ttlMs = Math.max(1, transaction.createdAt + TRANSACTION_TTL_MS - now);
  const first = await failClosed(() => store.add(key, '1', ttlMs));
  if (!first) {
    log('a callback reused the state of a sign-in already in progress or done: refused');
    throw new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'This BindID sign-in was already used. Start again from "Sign in with BindID".', {
      status: 400,
    });
  }
}

/**
 * Check the callback's `state` against this browser's transaction (its cookie) before anything is consumed or
 * exchanged, so that a callback for another state (a stale tab, a cross-site link to
 * `/bindid/callback?x`) leaves the sign-in in progress alone and writes nothing to the store. BindID's
 * error redirect without `state` (the user cancelled at BindID before a state could be echoed) is
 * "cancelled at BindID".
 *
 * @throws BindIdStateError `ERR_BINDID_ACCESS_DENIED` (403) for `error=access_denied` without
 *   `state`; `ERR_BINDID_CALLBACK_INVALID` (400) for any other callback whose `state` is missing or
 *   another.
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
  return createHash('sha256').update(value, 'utf8').digest();
}
