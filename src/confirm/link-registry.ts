/**
 * The app's side of the one-to-one link between BindID users (`sub`) and app users (alias), kept in
 * a {@link BindIdStore}: a second BindID user cannot confirm an account that is already linked, and
 * one BindID user cannot link a second account, so no alias is ever reported for two people.
 * BindID itself refuses one alias for two users; this check refuses before anything is sent.
 *
 * Keys hold SHA-256 digests, not the alias or `sub` themselves.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { BindIdStateError, ErrorCode } from '../errors.js';
import type { BindIdStore } from '../stores/bindid-store.js';

export class LinkRegistry {
  constructor(private readonly store: BindIdStore) {}

  /**
   * Refuse a link that would break one-to-one: the alias already belongs to another BindID user, or
   * this BindID user already has another alias. Rejects with `ERR_BINDID_ALREADY_LINKED` (409).
   */
  async assertCanLink(alias: string, sub: string): Promise<void> {
    const [subOfAlias, aliasOfSub] = await Promise.all([this.store.get(aliasKey(alias)), this.store.get(subKey(sub))]);
    if ((subOfAlias !== undefined && subOfAlias !== digest(sub)) || (aliasOfSub !== undefined && aliasOfSub !== digest(alias))) {
      throw new BindIdStateError(
        ErrorCode.ALREADY_LINKED,
        'This account is already linked to another BindID identity (or this BindID identity to another account).',
        { status: 409 },
      );
    }
  }

  /** Record the link once BindID accepted it. */
  async record(alias: string, sub: string): Promise<void> {
    await Promise.all([this.store.set(aliasKey(alias), digest(sub)), this.store.set(subKey(sub), digest(alias))]);
  }

  /** Whether this BindID user is linked to `alias` here. */
  async isLinked(alias: string, sub: string): Promise<boolean> {
    return (await this.store.get(aliasKey(alias))) === digest(sub);
  }

  /** Forget the link of `alias` (the user unlinked BindID, or the account was deleted). */
  async forget(alias: string, sub: string): Promise<void> {
    await Promise.all([this.store.delete(aliasKey(alias)), this.store.delete(subKey(sub))]);
  }
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function aliasKey(alias: string): string {
  return `link:alias:${digest(alias)}`;
}

function subKey(sub: string): string {
  return `link:sub:${digest(sub)}`;
}
