/**
 * What BindID accepts as an alias (`bindid_alias`, the `alias` of a report): checked before a report is
 * sent, when an ID token carries one, and when a queued report is read back. How an app derives its
 * aliases is `src/confirm/alias.ts`.
 *
 * @module
 */
import { BindIdArgumentError, BindIdStateError, ErrorCode } from '../errors.js';
import { describeType } from '../internal/describe-type.js';

/** Longest alias accepted, in characters. */
export const MAX_ALIAS_LENGTH = 256;

/**
 * Check an alias: a non-empty string of at most {@link MAX_ALIAS_LENGTH} characters, with no control
 * characters, no unpaired surrogates and no surrounding whitespace.
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ALIAS` (the message never repeats the alias).
 */
export function assertAlias(alias: unknown): asserts alias is string {
  let problem: string | undefined;
  if (typeof alias !== 'string') problem = `must be a string (got ${describeType(alias)})`;
  else if (alias.length === 0) problem = 'must not be empty';
  else if (alias.length > MAX_ALIAS_LENGTH) problem = `must be at most ${MAX_ALIAS_LENGTH} characters long`;
  else if (/\p{Cc}/u.test(alias)) problem = 'must not contain control characters';
  else if (!alias.isWellFormed()) problem = 'must be well-formed Unicode';
  else if (alias.trim() !== alias) problem = 'must not start or end with whitespace';
  if (problem) {
    throw new BindIdArgumentError(ErrorCode.INVALID_ALIAS, `The BindID alias ${problem}`);
  }
}

/**
 * What the `bindid_alias` claim of a verified ID token says, one policy for every door (the router,
 * `BindIdStrategy`, `isNewBindIdUser`): no alias (absent, `null` or `""`) is a BindID user this app
 * has not linked yet; an alias {@link assertAlias} accepts is a linked user; anything else is
 * unusable and is never trimmed or "fixed" (another application of the same BindID tenant may have
 * set it, and a fixed alias could map to another user).
 */
export type AliasClaim = { readonly kind: 'none' } | { readonly kind: 'alias'; readonly alias: string } | { readonly kind: 'unusable' };

/** Read the `bindid_alias` claim of `claims` (see {@link AliasClaim}). */
export function aliasClaim(claims: Readonly<Record<string, unknown>>): AliasClaim {
  const alias = claims.bindid_alias;
  if (alias === undefined || alias === null || alias === '') return { kind: 'none' };
  try {
    assertAlias(alias);
  } catch {
    return { kind: 'unusable' };
  }
  return { kind: 'alias', alias };
}

/** The error for an unusable `bindid_alias` (403): who to contact, and how to sign in meanwhile. */
export function aliasUnusable(): BindIdStateError {
  return new BindIdStateError(
    ErrorCode.ALIAS_UNUSABLE,
    'Your BindID account carries a link this site cannot use: it was set by another application of the ' +
      "same BindID tenant. Sign in with your password, and contact this site's support to have it fixed.",
    { status: 403 },
  );
}
