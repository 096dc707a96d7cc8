/** `unlinkBindId`, the unlink step of every door (router, `BindIdStrategy` through `src/flow/unlink.ts`, an app's own callback) and of
 * account deletion. A report needs the user's access token, hence a fresh BindID sign-in (step-up: `prompt=login`, `max_age=0`). @module */
import { BindIdStateError, ErrorCode, invalidArgument, safeCause } from '../errors.js';
import { assertAlias } from '../feedback/assert-alias.js';
import { type FeedbackResult, SessionFeedbackClient } from '../feedback/session-feedback-client.js';
import { CLOCK_TOLERANCE_SECONDS } from '../internal/clock-tolerance.js';
import { logger, printable } from '../internal/log.js';
import { assertClaimsObject, type BindIdClaims } from '../session/pending-login.js';
import { type BindIdStore, failClosed } from '../stores/bindid-store.js';
import { isStore } from './confirm-options.js';
import { LinkRegistry, type SeenLink } from './link-registry.js';

const log = logger('confirm');

/** Longest time from an unlink's start to its report, in ms: as long as the sealed transaction lives (`TRANSACTION_TTL_MS`). */
export const UNLINK_MAX_AGE_MS = 10 * 60 * 1000;

/** Input of {@link unlinkBindId}. */
export interface UnlinkBindIdInput {
  /** The client that sends the `alias_deleted` report. */
  client: SessionFeedbackClient;
  /** The shared store the link registry lives in: the `store` given to the router, the strategy or the middleware. */
  store: BindIdStore;
  /** The access token of the fresh BindID sign-in (from `/token`). */
  accessToken: string;
  /** The verified ID-token claims of the fresh BindID sign-in. */
  claims: BindIdClaims | Record<string, unknown>;
  /** The signed-in app user's alias (what the `alias` option derives from the user). */
  expectedAlias: string;
  /**
   * When your app started this unlink's BindID sign-in, in ms since 1970 (by `now`'s clock): keep it with the sign-in's `state` and
   * `nonce` until the callback. The ID token's `auth_time` must not be earlier (30 s of clock difference tolerated), and the unlink must
   * finish within 10 minutes of it, or nothing is unlinked (`ERR_BINDID_UNLINK_NOT_FRESH`). Send the sign-in with `prompt=login` and
   * `max_age=0`, so that BindID authenticates the person again and says when.
   */
  startedAt: number;
  /** Clock in ms since 1970, for the report's `time` and the age of the unlink. Default `Date.now`. */
  now?: () => number;
}

/** What {@link unlinkBindId} resolves. */
export interface UnlinkResult {
  alias: string;
  sub: string;
  /** How the `alias_deleted` report went. */
  result: FeedbackResult;
  /**
   * True when this unlink removed the link from the registry. False when BindID accepted the report but the registry could not forget
   * the link (it then still refuses a new link of this account), or when the owner linked BindID again meanwhile (`relinked`).
   */
  forgotten: boolean;
  /** The owner linked BindID again while this unlink was reporting: the registry keeps that newer link. */
  relinked: boolean;
}

/**
 * Unlink after a fresh BindID sign-in: check the alias, report `alias_deleted`, forget the link. On any failure nothing is forgotten.
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` / `ERR_BINDID_INVALID_ALIAS` for bad input (nothing sent).
 * @throws BindIdStateError `ERR_BINDID_UNLINK_MISMATCH` (403) when the ID token's `bindid_alias` is not `expectedAlias` (nothing sent).
 * @throws BindIdStateError `ERR_BINDID_UNLINK_NOT_FRESH` (401) when the claims show no authentication since `startedAt` (nothing sent).
 * @throws BindIdFeedbackError when BindID did not accept the report, e.g. `ERR_BINDID_UNAVAILABLE` (503, retryable) when unreachable.
 */
export async function unlinkBindId(input: UnlinkBindIdInput): Promise<UnlinkResult> {
  if (input === null || typeof input !== 'object') throw invalidArgument('unlinkBindId() input must be an object');
  const { client, accessToken, claims, expectedAlias } = input;
  if (!(client instanceof SessionFeedbackClient)) throw invalidArgument('unlinkBindId(): client must be a SessionFeedbackClient');
  const registry = toRegistry(input.store);
  assertClaimsObject(claims, 'unlinkBindId(): claims');
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') throw invalidArgument('unlinkBindId(): claims.sub must be a non-empty string');
  assertAlias(expectedAlias);
  const startedAt = readStartedAt(input.startedAt);
  if (claims.bindid_alias !== expectedAlias) {
    log('unlink refused: BindID signed in another user than the one unlinking (sub %s)', printable(sub));
    throw unlinkMismatch();
  }
  const now = input.now ?? Date.now;
  assertFreshAuthentication(claims, startedAt, now(), sub);
  // The pair as it is before BindID deletes the alias: only that is forgotten afterwards.
  const seen = await failClosed(() => registry.see(expectedAlias, sub));
  const result = await client.send(accessToken, { type: 'alias_deleted', alias: expectedAlias, time: Math.floor(now() / 1000) });
  const forgotten = await forgetSeen(registry, seen, sub);
  log('unlinked BindID sub %s (HTTP %d)', printable(sub), result.status);
  return { alias: expectedAlias, sub, result, forgotten: forgotten === 'forgotten', relinked: forgotten === 'relinked' };
}

/** Forget what the unlink saw: `relinked` when the owner linked again meanwhile (that link stays), `failed` on a store error. */
async function forgetSeen(registry: LinkRegistry, seen: SeenLink, sub: string): Promise<'forgotten' | 'relinked' | 'failed'> {
  try {
    if (await registry.forgetSeen(seen)) return 'forgotten';
    log('BindID deleted the alias of sub %s, but it was linked again meanwhile: that link is kept', printable(sub));
    return 'relinked';
  } /* Stryker disable next-line BlockStatement: equivalent, an empty catch returns undefined, which is neither 'forgotten' nor 'relinked' either */ catch {
    log('BindID deleted the alias of sub %s, but the link registry could not forget it', printable(sub));
    // Stryker disable next-line StringLiteral: equivalent, the result is only compared with 'forgotten' and 'relinked'
    return 'failed';
  }
}

function readStartedAt(value: unknown): number {
  // Stryker disable next-line ConditionalExpression: equivalent, Number.isFinite is false for every non-number, so the typeof check forced true changes nothing
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  throw invalidArgument(
    "unlinkBindId(): startedAt must be when the unlink's BindID sign-in started, in ms since 1970 (keep Date.now() with its state and nonce)",
  );
}

/** The step-up check: `auth_time` (unix seconds) not before `startedAt` less the clock tolerance, within {@link UNLINK_MAX_AGE_MS}. */
function assertFreshAuthentication(claims: Record<string, unknown>, startedAt: number, now: number, sub: string): void {
  const authTime = claims.auth_time;
  const problem =
    // Stryker disable next-line ConditionalExpression: equivalent, Number.isFinite is false for every non-number, so the typeof check forced false changes nothing
    typeof authTime !== 'number' || !Number.isFinite(authTime)
      ? 'no numeric auth_time'
      : authTime < Math.floor(startedAt / 1000) - CLOCK_TOLERANCE_SECONDS
        ? 'auth_time before the unlink started'
        : now - startedAt > UNLINK_MAX_AGE_MS
          ? 'the unlink started over 10 minutes ago'
          : undefined;
  if (problem === undefined) return;
  log('unlink refused: the ID token of sub %s is no proof of a fresh authentication (%s)', printable(sub), problem);
  throw new BindIdStateError(
    ErrorCode.UNLINK_NOT_FRESH,
    'BindID did not confirm that you signed in just now, so nothing was unlinked. Unlink again and sign in at BindID when asked.',
    { status: 401, cause: safeCause(undefined, problem) },
  );
}

/** The error for a fresh sign-in of another BindID user than the signed-in one. */
export function unlinkMismatch(): BindIdStateError {
  return new BindIdStateError(
    ErrorCode.UNLINK_MISMATCH,
    'BindID signed in another account than the one you are signed in with here, so nothing was unlinked. ' +
      'Unlink again and sign in at BindID with the identity linked to this account.',
    { status: 403 },
  );
}

function toRegistry(value: unknown): LinkRegistry {
  if (isStore(value)) return new LinkRegistry(value);
  throw invalidArgument('unlinkBindId(): store must be a BindIdStore (the store given to the router, the strategy or the middleware)');
}
