/**
 * A client secret with leading or trailing whitespace, typically the newline at the end of a file
 * it was read from. BindID refuses it (`401 invalid_client`) and the library refuses it at start-up
 * ("trim it"); the doctor names it in the `client-auth` check without showing the secret: it says
 * only which whitespace characters surround it, and checks the rest with the trimmed secret.
 *
 * @module
 */
import type { BindIdSetupCheck } from './types.js';

/** At most this many whitespace characters are shown of each end. */
const SHOWN = 8;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', ' ': ' ' };

/** One whitespace character as it is written in a string literal: `\n`, `\t`, ` `, `\u00a0`. */
function literal(char: string): string {
  return NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `"\n"`, or `4 characters ("    ")`. */
function shown(whitespace: string): string {
  const text = `"${[...whitespace.slice(0, SHOWN)].map(literal).join('')}${whitespace.length > SHOWN ? '…' : ''}"`;
  return whitespace.length === 1 ? text : `${whitespace.length} characters (${text})`;
}

/** What whitespace surrounds `secret` (`trailing whitespace "\n"`), or `undefined` when none. */
export function secretWhitespace(secret: string): string | undefined {
  const leading = secret.slice(0, secret.length - secret.trimStart().length);
  const trailing = leading === secret ? '' : secret.slice(secret.trimEnd().length);
  const parts = [
    ...(leading === '' ? [] : [`leading whitespace ${shown(leading)}`]),
    ...(trailing === '' ? [] : [`trailing whitespace ${shown(trailing)}`]),
  ];
  return parts.length === 0 ? undefined : parts.join(' and ');
}

/** What the trimmed secret gave, for the detail. */
function trimmedOutcome(check: BindIdSetupCheck): string {
  if (check.status === 'pass') return `trimmed, it is accepted: ${check.detail}`;
  if (check.status === 'fail') return `trimmed, it still fails: ${check.detail}`;
  return `the trimmed secret was ${check.detail}`;
}

/**
 * The `client-auth` check for a secret with `whitespace`: a failure whatever the token endpoint said
 * of the trimmed secret (`check`, which the detail reports, and whose fix follows).
 */
export function blameWhitespace(check: BindIdSetupCheck, whitespace: string): BindIdSetupCheck {
  const fix = "trim the secret where it is read (a file usually ends with a newline: read it with .trim(), or write it with printf '%s')";
  return {
    id: 'client-auth',
    status: 'fail',
    detail: `the client secret has ${whitespace}, which BindID refuses (401 invalid_client) and the library refuses at start-up; ${trimmedOutcome(check)}`,
    fix: check.status === 'fail' && check.fix !== undefined ? `${fix}; then ${check.fix}` : fix,
  };
}
