/**
 * The app's side of the one-to-one link between BindID users (`sub`) and app users (alias), kept in
 * a {@link BindIdStore}: a second BindID user cannot confirm an account that is already linked, and
 * one BindID user cannot link a second account, so no alias is ever reported for two people.
 * BindID itself refuses one alias for two users; this check refuses before anything is sent.
 *
 * Keys hold SHA-256 digests, not the alias or `sub` themselves.
 *
 * A confirmation first {@link LinkRegistry.reserve | reserves} the link (both keys, created
 * atomically if absent and expiring), then sends the report, then {@link LinkRegistry.record |
 * records} it (for good) or {@link LinkRegistry.release | releases} the reservation. Two
 * confirmations that would break one-to-one (one BindID user and two accounts, or two BindID users
 * and one account) cannot both reserve, even at the same moment on two instances sharing the store:
 * one gets `ERR_BINDID_ALREADY_LINKED` before anything is sent. A reservation holds a value distinct
 * from a recorded link, so {@link LinkRegistry.isLinked} (self-heal) never takes one for a link.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { BindIdStateError, ErrorCode } from '../errors.js';
import type { BindIdStore } from '../stores/bindid-store.js';

/** How long a link reservation lasts by default: longer than any report can take. 10 minutes. */
export const LINK_RESERVATION_TTL_MS = 600_000;

/** Prefix of the value of a reserved (not yet recorded) link key. */
const RESERVED = 'reserved:';

/** Separates a recorded link's other side from the nonce of that recording (a re-link writes another). */
const RECORDING = '~';

/**
 * The link keys of one pair as an unlink saw them before reporting `alias_deleted`: what
 * {@link LinkRegistry.forgetSeen} may delete (a value `undefined`: the key held nothing).
 */
export interface SeenLink {
  readonly keys: ReadonlyArray<readonly [key: string, value: string | undefined]>;
}

/** A reserved link: the keys this reservation created (and so releases), with their values. */
export interface LinkReservation {
  readonly created: ReadonlyArray<readonly [key: string, value: string]>;
}

/** The link registry on a {@link BindIdStore}. */
export class LinkRegistry {
  constructor(private readonly store: BindIdStore) {}

  /**
   * Reserve the link of `alias` and `sub` for `ttlMs`, atomically: each key is created only if
   * absent. Resolves when both keys are free, reserved for this same pair, or already hold this
   * link; rejects with `ERR_BINDID_ALREADY_LINKED` (409), having released what it created, when
   * either belongs to another pair (linked or being linked). Store errors reject as they are.
   */
  async reserve(alias: string, sub: string, ttlMs = LINK_RESERVATION_TTL_MS): Promise<LinkReservation> {
    const created: Array<readonly [string, string]> = [];
    try {
      // The sub first: two accounts for one BindID user collide on it before either alias is touched.
      for (const [key, other] of [
        [subKey(sub), digest(alias)],
        [aliasKey(alias), digest(sub)],
      ] as const) {
        const value = RESERVED + other;
        if (await this.#reserveKey(key, value, other, ttlMs)) created.push([key, value]);
      }
    } catch (err) {
      await this.release({ created }).catch(() => undefined); // the first error is the one to report
      throw err;
    }
    return { created };
  }

  /** Release a reservation whose report failed: only the keys it created, and only while they still hold its value. */
  async release(reservation: LinkReservation): Promise<void> {
    await Promise.all(reservation.created.map(([key, value]) => this.store.deleteIf(key, value)));
  }

  /** Create `key` with `value` if absent (true), accept it if it holds this pair (false), else refuse. */
  async #reserveKey(key: string, value: string, other: string, ttlMs: number): Promise<boolean> {
    for (let tries = 0; tries < 3; tries++) {
      if (await this.store.add(key, value, ttlMs)) return true;
      const held = await this.store.get(key);
      if (held === undefined) continue; // expired or released since the add: try again
      if (samePair(held, other)) return false;
      throw alreadyLinked();
    }
    throw alreadyLinked();
  }

  /**
   * Record the link once BindID accepted it (or its report was queued): for good, over the
   * reservation. Each recording carries its own nonce, so an unlink that saw an earlier recording of
   * the same pair does not forget this one ({@link LinkRegistry.forgetSeen}).
   */
  async record(alias: string, sub: string): Promise<void> {
    const nonce = RECORDING + randomBytes(9).toString('base64url');
    await Promise.all([this.store.set(aliasKey(alias), digest(sub) + nonce), this.store.set(subKey(sub), digest(alias) + nonce)]);
  }

  /** Whether this BindID user is linked to `alias` here. */
  async isLinked(alias: string, sub: string): Promise<boolean> {
    return linkedTo(await this.store.get(aliasKey(alias))) === digest(sub);
  }

  /** Forget the link of `alias` and `sub`, whatever it holds (the app revoked it: a password reset, a deleted account). */
  async forget(alias: string, sub: string): Promise<void> {
    await Promise.all([this.store.delete(aliasKey(alias)), this.store.delete(subKey(sub))]);
  }

  /** The link keys of `alias` and `sub` as they are now: read by an unlink before it reports `alias_deleted`. */
  async see(alias: string, sub: string): Promise<SeenLink> {
    const keys = [aliasKey(alias), subKey(sub)];
    const values = await Promise.all(keys.map((key) => this.store.get(key)));
    return { keys: keys.map((key, i) => [key, values[i]] as const) };
  }

  /**
   * Forget the link an unlink saw (the user unlinked BindID at BindID): each key is deleted only
   * while it still holds the value seen (`deleteIf`), so a re-link recorded meanwhile (the owner's
   * own, in another browser) stays. Resolves true when nothing but what was seen was there (this
   * unlink removed it), false when a key had changed since (it was left alone).
   */
  async forgetSeen(seen: SeenLink): Promise<boolean> {
    const kept = await Promise.all(
      seen.keys.map(async ([key, value]) => (value === undefined ? (await this.store.get(key)) !== undefined : !(await this.store.deleteIf(key, value)))),
    );
    return !kept.includes(true);
  }
}

/** The other side of a recorded link value (without its recording nonce, or a value recorded before nonces). */
function linkedTo(held: string | undefined): string | undefined {
  if (held === undefined || held.startsWith(RESERVED)) return undefined;
  const at = held.indexOf(RECORDING);
  return at === -1 ? held : held.slice(0, at);
}

/** Whether a key's value is free (`undefined`), or the link or reservation of the pair whose other side is `other`. */
function samePair(held: string | undefined, other: string): boolean {
  return held === undefined || linkedTo(held) === other || held === RESERVED + other;
}

function alreadyLinked(): BindIdStateError {
  return new BindIdStateError(
    ErrorCode.ALREADY_LINKED,
    'This account is already linked to another BindID identity (or this BindID identity to another account).',
    { status: 409 },
  );
}

/** SHA-256, base64url: how the store's keys name what they count or link. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function aliasKey(alias: string): string {
  return `link:alias:${digest(alias)}`;
}

function subKey(sub: string): string {
  return `link:sub:${digest(sub)}`;
}
