/** What BindID accepts as an alias (`bindid_alias`, a report's `alias`). */
import { BindIdArgumentError, BindIdStateError, ErrorCode } from '../errors.js';
import { describeType } from '../internal/describe-type.js';

export const MAX_ALIAS_LENGTH = 256;

/** `ERR_BINDID_INVALID_ALIAS` unless a non-empty, well-formed string within the bound, without controls or surrounding whitespace. */
export function assertAlias(alias: unknown): asserts alias is string {
  let problem: string | undefined;
  if (typeof alias !== 'string') problem = `must be a string (got ${describeType(alias)})`;
  else if (alias.length === 0) problem = 'must not be empty';
  else if (alias.length > MAX_ALIAS_LENGTH) problem = `must be at most ${MAX_ALIAS_LENGTH} characters long`;
  else if (/\p{Cc}/u.test(alias)) problem = 'must not contain control characters';
  else if (!alias.isWellFormed()) problem = 'must be well-formed Unicode';
  else if (alias.trim() !== alias) problem = 'must not start or end with whitespace';
  if (problem) throw new BindIdArgumentError(ErrorCode.INVALID_ALIAS, `The BindID alias ${problem}`);
}

/**
 * The `bindid_alias` claim, one policy for every door: none (absent, `null` or `""`) is not linked yet; anything {@link assertAlias}
 * refuses is unusable, never trimmed or "fixed" (another application of the BindID tenant may have set it; a fixed alias could map to another user).
 */
export type AliasClaim = { readonly kind: 'none' } | { readonly kind: 'alias'; readonly alias: string } | { readonly kind: 'unusable' };

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

export function aliasUnusable(): BindIdStateError {
  return new BindIdStateError(
    ErrorCode.ALIAS_UNUSABLE,
    'Your BindID account carries a link this site cannot use: it was set by another application of the ' +
      "same BindID tenant. Sign in with your password, and contact this site's support to have it fixed.",
    { status: 403 },
  );
}
