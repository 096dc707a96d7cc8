/** One BindID user (`sub`) ↔ one alias, as SHA-256 digests in the shared store, refused before anything is sent. A confirmation reserves
 * both keys (atomic add, expiring), reports, then records or releases, so two that would break one-to-one cannot both reserve, even
 * on two instances. A reservation's value differs from a link's, so `isLinked` (self-heal) never takes one for a link. @module */
import { createHash, randomBytes } from 'node:crypto';
import { BindIdStateError, ErrorCode } from '../errors.js';
import type { BindIdStore } from '../stores/bindid-store.js';

/** Longer than any report can take. */
export const LINK_RESERVATION_TTL_MS = 600_000;

const RESERVED = 'reserved:';

/** Separates a recorded link's other side from the nonce of that recording (a re-link writes another). */
const RECORDING = '~';

/** The link keys of one pair as an unlink saw them before reporting `alias_deleted` (`undefined`: nothing held). */
export interface SeenLink {
  readonly keys: ReadonlyArray<readonly [key: string, value: string | undefined]>;
}

/** The keys this reservation created (and so releases), with their values. */
export interface LinkReservation {
  readonly created: ReadonlyArray<readonly [key: string, value: string]>;
}

export class LinkRegistry {
  constructor(private readonly store: BindIdStore) {}

  /** Resolves when both keys are free or hold this pair; `ERR_BINDID_ALREADY_LINKED` (409), released, when either is another pair's. */
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

  /** Only the keys it created, and only while they still hold its value. */
  async release(reservation: LinkReservation): Promise<void> {
    await Promise.all(reservation.created.map(([key, value]) => this.store.deleteIf(key, value)));
  }

  /** True: created; false: it holds this pair already; else refused. */
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

  /** Once BindID accepted (or it was queued). Each recording has its own nonce, so an unlink that saw an earlier one keeps this one. */
  async record(alias: string, sub: string): Promise<void> {
    const nonce = RECORDING + randomBytes(9).toString('base64url');
    await Promise.all([this.store.set(aliasKey(alias), digest(sub) + nonce), this.store.set(subKey(sub), digest(alias) + nonce)]);
  }

  async isLinked(alias: string, sub: string): Promise<boolean> {
    return linkedTo(await this.store.get(aliasKey(alias))) === digest(sub);
  }

  /** Whatever it holds (the app revoked it). */
  async forget(alias: string, sub: string): Promise<void> {
    await Promise.all([this.store.delete(aliasKey(alias)), this.store.delete(subKey(sub))]);
  }

  async see(alias: string, sub: string): Promise<SeenLink> {
    const keys = [aliasKey(alias), subKey(sub)];
    const values = await Promise.all(keys.map((key) => this.store.get(key)));
    return { keys: keys.map((key, i) => [key, values[i]] as const) };
  }

  /** Each key only while it holds what was seen, so a re-link recorded meanwhile stays (then false). */
  async forgetSeen(seen: SeenLink): Promise<boolean> {
    const kept = await Promise.all(
      // Stryker disable next-line ConditionalExpression: equivalent on MemoryBindIdStore, whose deleteIf of a missing key against undefined answers true as the get does; the check keeps other stores from comparing with undefined
      seen.keys.map(async ([key, value]) => (value === undefined ? (await this.store.get(key)) !== undefined : !(await this.store.deleteIf(key, value)))),
    );
    return !kept.includes(true);
  }
}

/** The other side of a recorded link, `<digest>~<nonce>` (base64url digests hold no `~`). */
function linkedTo(held: string | undefined): string | undefined {
  // Stryker disable next-line MethodExpression: equivalent, a reservation's value (a prefix, then a digest) never equals a bare digest, so what linkedTo answers for it matches nothing either way
  if (held === undefined || held.startsWith(RESERVED)) return undefined;
  return held.split(RECORDING)[0];
}

function samePair(held: string, other: string): boolean {
  return linkedTo(held) === other || held === RESERVED + other;
}

function alreadyLinked(): BindIdStateError {
  return new BindIdStateError(
    ErrorCode.ALREADY_LINKED,
    'This account is already linked to another BindID identity (or this BindID identity to another account).',
    { status: 409 },
  );
}

export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function aliasKey(alias: string): string {
  return `link:alias:${digest(alias)}`;
}

function subKey(sub: string): string {
  return `link:sub:${digest(sub)}`;
}
