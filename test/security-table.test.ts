/**
 * docs/security.md is the checklist of reliability.md §6 as a table: case → requirement → tests →
 * status. This suite keeps it honest: exactly one row for each case 1–120, each naming test files
 * that exist and tests they declare (not skipped), whose titles start with the row's case id; a
 * `design differs` status carries its reason and still names the tests of what the design does.
 *
 * The tests are read from the files without running them (test/helpers/test-titles.ts).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DeclaredTest, declaredTests } from './helpers/test-titles.js';

const ROOT = join(__dirname, '..');
const DOC = join(ROOT, 'docs/security.md');

/** The failure-policy suite: the K rows (99–108), and only they, name tests in it. */
const K_FILE = 'test/security/k-failure-policy.test.ts';

const SECTIONS: ReadonlyArray<readonly [letter: string, first: number, last: number]> = [
  ['A', 1, 9],
  ['B', 10, 15],
  ['C', 16, 28],
  ['D', 29, 38],
  ['E', 39, 50],
  ['F', 51, 56],
  ['G', 57, 60],
  ['H', 61, 68],
  ['I', 69, 78],
  ['J', 79, 98],
  ['K', 99, 108],
  ['L', 109, 115],
  ['M', 116, 120],
  // Cases found after the checklist (issue 12 on): concurrency, the redesign, and what follows.
  ['N', 121, 200],
];

/** The last case: 120, or the highest N case the table has (N cases are numbered on from 121). */
function lastCase(ids: string[]): number {
  return Math.max(120, ...ids.filter((id) => id.startsWith('N')).map((id) => Number(id.slice(1))));
}

/** The case id of case `n`: its section letter and the number (`C22`). */
function caseId(n: number): string {
  const section = SECTIONS.find(([, first, last]) => n >= first && n <= last);
  if (!section) throw new Error(`no section holds case ${n}`);
  return `${section[0]}${n}`;
}

interface TestRef {
  file: string;
  title: string;
  /** `` `K99` … ``: any test whose title starts with `title`. */
  prefix: boolean;
}

interface Row {
  id: string;
  line: number;
  requirement: string;
  refs: TestRef[];
  refErrors: string[];
  status: string;
}

/** Splits a table line on the `|` that are not escaped (`\|` inside a title). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

const REF = /^`([^`]+)` › (`+) ?(.*?) ?\2( …)?$/;

function parseRefs(cell: string): { refs: TestRef[]; errors: string[] } {
  const refs: TestRef[] = [];
  const errors: string[] = [];
  for (const entry of cell.split('<br>').map((e) => e.trim())) {
    const m = REF.exec(entry);
    if (!m) {
      errors.push(`not "\`file\` › \`title\`": ${entry}`);
      continue;
    }
    refs.push({ file: m[1] as string, title: (m[3] as string).replace(/\\\|/g, '|'), prefix: m[4] !== undefined });
  }
  return { refs, errors };
}

async function readTable(): Promise<{ rows: Row[]; header: string[] | undefined }> {
  const lines = (await readFile(DOC, 'utf8')).split('\n');
  const rows: Row[] = [];
  let header: string[] | undefined;
  lines.forEach((line, i) => {
    if (line.startsWith('| Case |')) header = cells(line);
    const m = /^\| ([A-Z]\d+) \|/.exec(line);
    if (!m) return;
    const [id = '', requirement = '', tests = '', status = '', ...rest] = cells(line);
    const { refs, errors } = parseRefs(tests);
    if (rest.length > 0) errors.push(`${rest.length} cell(s) too many`);
    rows.push({ id, line: i + 1, requirement, refs, refErrors: errors, status });
  });
  return { rows, header };
}

const declared = new Map<string, DeclaredTest[]>();
function testsOf(file: string): DeclaredTest[] {
  let tests = declared.get(file);
  if (!tests) {
    tests = declaredTests(join(ROOT, file));
    declared.set(file, tests);
  }
  return tests;
}

/** Why `ref` does not name a test of case `id`, or undefined when it does. */
function problemWith(ref: TestRef, id: string): string | undefined {
  const startsWithId = new RegExp(`^${id}(?![0-9])`);
  if (!startsWithId.test(ref.title)) return `${ref.file} › "${ref.title}": the title does not start with ${id}`;
  if (!existsSync(join(ROOT, ref.file))) return `${ref.file}: no such file`;
  const tests = testsOf(ref.file).filter((t) => t.kind === 'test');
  const named = tests.filter((t) => t.titles.some((title) => (ref.prefix ? title.startsWith(ref.title) : title === ref.title)));
  if (named.length === 0) return `${ref.file} declares no test titled "${ref.title}"${ref.prefix ? ' …' : ''}`;
  if (named.every((t) => t.skipped)) return `${ref.file} › "${ref.title}": skipped (or todo), which defends nothing`;
  return undefined;
}

describe('docs/security.md, the security checklist table', () => {
  let rows: Row[];
  beforeAll(async () => {
    const table = await readTable();
    rows = table.rows;
    expect(table.header).toEqual(['Case', 'Requirement (short)', 'Tests', 'Status']);
  });

  it('has exactly one row for each case 1–120 and each N case after them, in order, each id with its section letter', () => {
    const expected = Array.from({ length: lastCase(rows.map((row) => row.id)) }, (_, i) => caseId(i + 1));
    expect(rows.map((r) => r.id)).toEqual(expected);
  });

  it('states each requirement and gives each row a status: tested, or design differs with a reason', () => {
    const bad = rows.filter((r) => r.requirement.length < 10 || !/^(tested|design differs: \S.{19,})$/.test(r.status));
    expect(bad.map((r) => `line ${r.line} (${r.id}): "${r.status}"`)).toEqual([]);
  });

  it('names at least one test on every row, each written as `file` › `title`', () => {
    const bad = rows.filter((r) => r.refs.length === 0 || r.refErrors.length > 0);
    expect(bad.map((r) => `line ${r.line} (${r.id}): ${r.refErrors.join('; ') || 'no test'}`)).toEqual([]);
  });

  it('every test named exists, is not skipped, and its title starts with the row\'s case id', () => {
    const problems = rows.flatMap((r) => r.refs.flatMap((ref) => problemWith(ref, r.id) ?? []).map((p) => `line ${r.line} (${r.id}): ${p}`));
    expect(problems).toEqual([]);
  });

  it(`only the K rows (99–108) point into ${K_FILE}, and every K row has a test there`, () => {
    const stray = rows.filter((r) => !r.id.startsWith('K') && r.refs.some((ref) => ref.file === K_FILE));
    expect(stray.map((r) => r.id)).toEqual([]);
    const kRows = rows.filter((r) => r.id.startsWith('K'));
    expect(kRows.filter((r) => !r.refs.some((ref) => ref.file === K_FILE)).map((r) => r.id)).toEqual([]);
  });
});

describe('test/helpers/test-titles.ts, the reader behind that check', () => {
  it('reads plain, template and .each titles, expands .each rows, and marks skipped tests', () => {
    const tests = declaredTests(join(ROOT, 'test/fixtures/test-titles.fixture.ts'));
    expect(tests.map((t) => ({ kind: t.kind, titles: t.titles, parents: t.parents, skipped: t.skipped }))).toEqual([
      { kind: 'describe', titles: ['Z1 block'], parents: [], skipped: false },
      { kind: 'test', titles: ['Z2 plain'], parents: ['Z1 block'], skipped: false },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the reader keeps a template title as written.
      { kind: 'test', titles: ['Z3 template ${n}'], parents: ['Z1 block'], skipped: false },
      { kind: 'test', titles: ['%s %d rows', 'Z4 1 rows', 'Z5 2 rows'], parents: ['Z1 block'], skipped: false },
      { kind: 'test', titles: ['Z6 %j from a const', 'Z6 "a" from a const', 'Z6 "b" from a const'], parents: ['Z1 block'], skipped: false },
      { kind: 'test', titles: ['Z7 skipped'], parents: ['Z1 block'], skipped: true },
      { kind: 'test', titles: ['Z8 todo'], parents: ['Z1 block'], skipped: true },
      { kind: 'describe', titles: ['Z9 skipped block'], parents: [], skipped: true },
      { kind: 'test', titles: ['Z10 inside a skipped block'], parents: ['Z9 skipped block'], skipped: true },
    ]);
  });
});
