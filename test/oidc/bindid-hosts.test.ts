/**
 * The host presets and their documentation cannot drift apart: the table of docs/real-bindid.md
 * ("Pointing at real BindID", moved out of the README) and the evidence table of docs/bindid-hosts.md name exactly the hosts of BINDID_HOSTS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINDID_HOSTS } from '../../src/index.js';

const root = join(__dirname, '..', '..');

/** Table rows (cells) of `markdown` after `heading`, up to the next heading. */
function rowsAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const at = lines.indexOf(heading);
  if (at < 0) throw new Error(`no heading ${heading}`);
  const end = lines.findIndex((line, i) => i > at && line.startsWith('#'));
  return lines
    .slice(at + 1, end < 0 ? undefined : end)
    .filter((line) => line.startsWith('|') && !line.startsWith('|---'))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

const code = (cell: string | undefined): string => /`([^`]+)`/.exec(cell ?? '')?.[1] ?? '';

it('the docs/real-bindid.md table lists each preset with its issuer and apiUrl', () => {
  const rows = rowsAfter(readFileSync(join(root, 'docs', 'real-bindid.md'), 'utf8'), '## Hosts').slice(1);
  const documented = Object.fromEntries(rows.map((r) => [code(r[0]).replace(/^BINDID_HOSTS\./, ''), { issuer: code(r[1]), apiUrl: code(r[2]) }]));
  expect(documented).toEqual(BINDID_HOSTS);
});

it('docs/bindid-hosts.md gives evidence for every host of every preset', () => {
  const rows = rowsAfter(readFileSync(join(root, 'docs', 'bindid-hosts.md'), 'utf8'), '# BindID\'s hosts: the evidence behind `BINDID_HOSTS`').slice(1);
  const documented: Record<string, Record<string, string>> = {};
  for (const r of rows) {
    const preset = code(r[0]);
    documented[preset] = { ...documented[preset], [r[1] === 'sign-in' ? 'issuer' : 'apiUrl']: code(r[2]) };
    expect(r[3]?.length ?? 0).toBeGreaterThan(10);
    expect(['high', 'medium', 'low']).toContain(r[4]);
  }
  expect(documented).toEqual(BINDID_HOSTS);
});
