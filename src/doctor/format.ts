/**
 * The doctor's table: one `PASS`/`FAIL` line per check, a `fix:` line under each failure, and a
 * summary line.
 *
 * @module
 */
import type { BindIdSetupReport } from './types.js';

/** The width of the check-id column. */
const ID_WIDTH = 'redirect-uri'.length + 2;

/** The report as the CLI prints it (ends with a newline). */
export function formatSetupReport(report: BindIdSetupReport): string {
  const lines: string[] = [];
  for (const check of report.checks) {
    lines.push(`${check.status === 'pass' ? 'PASS' : 'FAIL'}  ${check.id.padEnd(ID_WIDTH)}${check.detail}`);
    if (check.fix !== undefined) lines.push(`${' '.repeat(6 + ID_WIDTH)}fix: ${check.fix}`);
  }
  const failed = report.checks.filter((check) => check.status === 'fail').length;
  lines.push('');
  lines.push(
    failed === 0
      ? `All ${report.checks.length} checks passed.`
      : `${failed} of ${report.checks.length} checks failed.`,
  );
  return `${lines.join('\n')}\n`;
}
