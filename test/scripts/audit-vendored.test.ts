/**
 * scripts/audit-vendored.mjs (`npm run audit:vendored`): the bundled packages' advisories fail the
 * run, others do not, and a refusal of the audit endpoint is said as "not run", never as a pass.
 * The script reads a saved report here (`--report`): the test needs no registry.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const script = path.join(__dirname, '..', '..', 'scripts', 'audit-vendored.mjs');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'audit-vendored-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(report: unknown): { status: number | null; out: string } {
  const file = path.join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(report));
  const result = spawnSync(process.execPath, [script, '--report', file], { encoding: 'utf8' });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

const advisory = (name: string) => ({
  name,
  severity: 'high',
  range: '<1.0.1',
  via: [{ title: `Something in ${name}`, url: 'https://example.invalid/advisory' }],
});

it.each(['openid-client', 'oauth4webapi', 'jose'])('an advisory on the bundled %s fails the run and names it', (name) => {
  const { status, out } = run({ auditReportVersion: 2, vulnerabilities: { [name]: advisory(name) } });
  expect(status).toBe(1);
  expect(out).toContain(`${name} (high, <1.0.1): Something in ${name}`);
  expect(out).toMatch(/update it in package-lock\.json, rebuild/);
});

it('an advisory on a package that is not bundled does not fail it', () => {
  const { status, out } = run({ auditReportVersion: 2, vulnerabilities: { 'left-pad': advisory('left-pad') } });
  expect(status).toBe(0);
  expect(out).toContain('no advisory names openid-client, oauth4webapi, jose');
});

it('something that is not an audit report is refused, not read as clean', () => {
  const { status, out } = run({ message: '405 Method Not Allowed', error: { summary: '' } });
  expect(status).toBe(2);
  expect(out).toMatch(/not an npm audit --json report/);
});
