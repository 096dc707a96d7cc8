/**
 * The doctor's table: one `PASS`/`WARN`/`FAIL` line per check, a `fix:` line under each failure and
 * warning, one `SKIP` line for the checks an earlier failure left unchecked (consecutive ones with the
 * same reason together: `SKIP  issuer, endpoints, jwks, client-auth  not checked: discovery failed`),
 * and a summary line that counts the warnings. Every text is printed with its control characters escaped ({@link shown}).
 *
 * @module
 */
import { printable } from '../internal/log.js';
import type { BindIdSetupCheck, BindIdSetupReport } from './types.js';

/**
 * `text` safe to print on a terminal, whole: control characters (escape sequences, CR/LF that would
 * forge lines) written as `\u001b`-style escapes, as the library's log lines write them.
 */
export function shown(text: string): string {
  return printable(text, Number.POSITIVE_INFINITY);
}

/** The width of the check-id column. */
const ID_WIDTH = 'redirect-uri'.length + 2;

const LABEL: Readonly<Record<BindIdSetupCheck['status'], string>> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skipped: 'SKIP' };

/** Whether `check` is shown on the line of `first`: both skipped, for the same reason. */
function joins(first: BindIdSetupCheck, check: BindIdSetupCheck): boolean {
  return first.status === 'skipped' && check.status === 'skipped' && first.detail === check.detail;
}

/** The checks in groups of one line each: each group's first check, and the ids of the rest. */
function grouped(checks: readonly BindIdSetupCheck[]): Array<{ first: BindIdSetupCheck; ids: string[] }> {
  const groups: Array<{ first: BindIdSetupCheck; ids: string[] }> = [];
  let current: { first: BindIdSetupCheck; ids: string[] } | undefined;
  for (const check of checks) {
    if (current !== undefined && joins(current.first, check)) {
      current.ids.push(check.id);
    } else {
      current = { first: check, ids: [check.id] };
      groups.push(current);
    }
  }
  return groups;
}

/** The lines of one group: its ids, status and detail, then its fix. */
function linesOf({ first, ids: names }: { first: BindIdSetupCheck; ids: string[] }): string[] {
  const ids = names.join(', ');
  const lines = [`${LABEL[first.status]}  ${ids.length < ID_WIDTH ? ids.padEnd(ID_WIDTH) : `${ids}  `}${shown(first.detail)}`];
  if (first.fix !== undefined) lines.push(`${' '.repeat(6 + ID_WIDTH)}fix: ${shown(first.fix)}`);
  return lines;
}

/** The summary line: a warning is counted, and does not make a check fail. */
function summary(checks: readonly BindIdSetupCheck[]): string {
  const count = (status: BindIdSetupCheck['status']): number => checks.filter((check) => check.status === status).length;
  const [failed, warned, skipped] = [count('fail'), count('warn'), count('skipped')];
  const warnings = warned === 0 ? '' : `, ${warned} with a warning`;
  if (failed === 0 && skipped === 0) return `All ${checks.length} checks passed${warnings}.`;
  return `${failed} of ${checks.length} checks failed${warnings}${skipped === 0 ? '' : `, ${skipped} not checked`}.`;
}

/** The report as the CLI prints it (ends with a newline). */
export function formatSetupReport(report: BindIdSetupReport): string {
  const lines = grouped(report.checks).flatMap(linesOf);
  return `${[...lines, '', summary(report.checks)].join('\n')}\n`;
}
