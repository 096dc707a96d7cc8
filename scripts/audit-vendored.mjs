// `npm run audit:vendored`: `npm audit` over the packages bundled into dist/cjs/vendor (openid-client,
// oauth4webapi, jose), which an app's own `npm audit` cannot see (docs/architecture.md, "Module
// format"). It audits the lock file (they are dev dependencies here) and fails when an advisory names
// one of them. When the registry's audit endpoint cannot be reached or refuses the request (some
// mirrors answer 405), it says so on stderr and exits 0: the audit did not run, which is not a pass,
// and the line says it. `node scripts/audit-vendored.mjs --report FILE` reads a saved
// `npm audit --json` report instead (the tests use it).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const VENDORED = ['openid-client', 'oauth4webapi', 'jose'];

/** The advisories of `report` (npm audit --json, v2) that name a vendored package, as printable lines. */
export function vendoredFindings(report) {
  const vulnerabilities = report?.vulnerabilities ?? {};
  return Object.values(vulnerabilities)
    .filter((v) => VENDORED.includes(v.name))
    .map((v) => `${v.name} (${v.severity}${v.range ? `, ${v.range}` : ''}): ${describeVia(v.via)}`);
}

function describeVia(via) {
  const titles = (via ?? []).map((item) => (typeof item === 'string' ? `through ${item}` : (item.title ?? item.url ?? 'advisory')));
  return titles.join('; ') || 'advisory';
}

function runAudit() {
  const run = spawnSync('npm', ['audit', '--json', '--package-lock-only'], { encoding: 'utf8', timeout: 120_000 });
  try {
    const report = JSON.parse(run.stdout);
    // A report has its version and its vulnerabilities; anything else is the endpoint's refusal.
    if (report.auditReportVersion !== 2 || typeof report.vulnerabilities !== 'object') {
      return { unavailable: report.message || report.error?.summary || 'the audit endpoint gave no report' };
    }
    return { report };
  } catch {
    return { unavailable: (run.stderr || run.error?.message || 'no answer').split('\n').find((l) => l.trim()) ?? 'no answer' };
  }
}

function main(argv) {
  const at = argv.indexOf('--report');
  const { report, unavailable } = at >= 0 ? { report: JSON.parse(readFileSync(argv[at + 1], 'utf8')) } : runAudit();
  if (!unavailable && (report?.auditReportVersion !== 2 || typeof report.vulnerabilities !== 'object')) {
    console.error('audit:vendored: not an npm audit --json report (auditReportVersion 2).');
    return 2;
  }
  if (unavailable) {
    console.error(`audit:vendored NOT RUN: npm audit could not reach the advisory database (${unavailable.trim()}). Run it where the registry's audit endpoint answers.`);
    return 0;
  }
  const findings = vendoredFindings(report);
  for (const line of findings) console.error(`audit:vendored: ${line}`);
  if (findings.length > 0) {
    console.error('A bundled package has an advisory: update it in package-lock.json, rebuild (npm run build) and release.');
    return 1;
  }
  console.log(`audit:vendored: no advisory names ${VENDORED.join(', ')}.`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
