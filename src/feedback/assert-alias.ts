/**
 * What BindID accepts as an alias (`bindid_alias`, the `alias` of a report): checked before a report is
 * sent, when an ID token carries one, and when a queued report is read back. How an app derives its
 * aliases is `src/confirm/alias.ts`.
 *
 * @module
 */
import { BindIdArgumentError, ErrorCode } from '../errors.js';
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
