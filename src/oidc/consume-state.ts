/**
 * `consumeState(store, state)`: mark the `state` of one BindID sign-in as used, atomically in the
 * shared store, before its code is exchanged. The router's callback and `BindIdStrategy` both call
 * it, so a state is single-use whichever of them completes the sign-in.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { BindIdStateError, ErrorCode } from '../errors.js';
import { logger } from '../internal/log.js';
import { type BindIdStore, failClosed } from '../stores/bindid-store.js';

const log = logger('login');

/**
 * How long a used state is remembered: far beyond the lifetime of BindID's authorization code, so a
 * later replay of the same callback fails at the token endpoint anyway.
 */
const USED_STATE_TTL_MS = 60 * 60 * 1000;

/**
 * Only the first caller goes on (`add`, keyed by the state's SHA-256, never the state itself): a
 * concurrent or later second callback with the same state gets `ERR_BINDID_CALLBACK_INVALID` (400).
 * A store failure fails closed (`ERR_BINDID_STORE_UNAVAILABLE`, 503).
 */
export async function consumeState(store: BindIdStore, state: string): Promise<void> {
  const key = `state:${createHash('sha256').update(state, 'utf8').digest('base64url')}`;
  const first = await failClosed(() => store.add(key, '1', USED_STATE_TTL_MS));
  if (!first) {
    log('a callback reused the state of a sign-in already in progress or done: refused');
    throw new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'This BindID sign-in was already used. Start again from "Sign in with BindID".', {
      status: 400,
    });
  }
}
