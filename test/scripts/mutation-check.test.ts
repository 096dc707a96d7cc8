/**
 * `npm run test:mutation:check` (scripts/mutation/check.mjs): the fast check of the committed mutation
 * report, run with Node on a copy of its inputs in a temp dir (the config, the two scripts, every file
 * of the defence scope, a summary written here), never on the working tree. The hashes the summary
 * records are computed here, independently of scripts/mutation/scope.mjs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

interface Outcome {
  code: number;
  output: string;
}

async function check(dir: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['scripts/mutation/check.mjs'], { cwd: dir });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

async function scopeOf(dir: string): Promise<{ entries: string[]; threshold: number }> {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', "const c = await import('./stryker.config.mjs'); console.log(JSON.stringify({ entries: Object.values(c.DEFENCES).flat(), threshold: c.THRESHOLD }))"],
    { cwd: dir },
  );
  return JSON.parse(stdout) as { entries: string[]; threshold: number };
}

function sha256Of(dir: string, entry: string): string {
  const range = /^(.*):(\d+)-(\d+)$/.exec(entry);
  const file = range ? (range[1] as string) : entry;
  let text = readFileSync(join(dir, file), 'utf8');
  if (range) text = text.split('\n').slice(Number(range[2]) - 1, Number(range[3])).join('\n');
  return createHash('sha256').update(text).digest('hex');
}

let dir: string;
let entries: string[];
let threshold: number;

function writeSummary(score: number, files: Record<string, { sha256: string; score: number }>): void {
  mkdirSync(join(dir, 'reports', 'mutation'), { recursive: true });
  writeFileSync(join(dir, 'reports', 'mutation', 'summary.json'), JSON.stringify({ overall: { score }, files }));
}

function matchingFiles(): Record<string, { sha256: string; score: number }> {
  return Object.fromEntries(entries.map((entry) => [entry, { sha256: sha256Of(dir, entry), score: 100 }]));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'express-bindid-mutation-check-'));
  for (const file of ['stryker.config.mjs', 'scripts/mutation/check.mjs', 'scripts/mutation/scope.mjs']) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  // package.json makes the copy's .mjs/.js resolution match the repository's ("type": "module").
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  ({ entries, threshold } = await scopeOf(dir));
  for (const file of new Set(entries.map((e) => e.replace(/:\d+-\d+$/, '')))) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
}, 30_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('the scope has whole files and line ranges, and a threshold of 95 %', () => {
  expect(entries).toContain('src/session/csrf.ts');
  expect(entries.some((e) => /:\d+-\d+$/.test(e))).toBe(true);
  expect(threshold).toBe(95);
});

it('passes when every entry of the scope has the hash the summary recorded and the score is at the threshold', async () => {
  writeSummary(threshold, matchingFiles());
  const outcome = await check(dir);
  expect(outcome).toEqual({ code: 0, output: expect.stringContaining('the report matches') });
});

it('fails after a one-line change to a scoped file, naming the file and what to run', async () => {
  writeSummary(99, matchingFiles());
  const file = join(dir, 'src/session/csrf.ts');
  const original = readFileSync(file, 'utf8');
  writeFileSync(file, original.replace('a.length !== b.length', 'a.length > b.length'));
  try {
    const outcome = await check(dir);
    expect(outcome.code).toBe(1);
    expect(outcome.output).toMatch(/src\/session\/csrf\.ts changed since its mutation score was measured/);
    expect(outcome.output).toMatch(/run `npm run test:mutation` \(incremental: .*about \d+ minutes/);
    expect(outcome.output).not.toMatch(/return-to/);
  } finally {
    writeFileSync(file, original);
  }
});

it('fails after a change inside a scoped line range, but not after one outside it', async () => {
  const ranged = entries.find((e) => /:\d+-\d+$/.test(e)) as string;
  const [, path, from] = /^(.*):(\d+)-\d+$/.exec(ranged) as RegExpExecArray;
  const file = join(dir, path as string);
  const original = readFileSync(file, 'utf8');
  const lines = original.split('\n');
  writeSummary(99, matchingFiles());
  try {
    // Outside: a line appended at the end of the file (after every range of that file).
    writeFileSync(file, `${original}\n// a comment after the ranges\n`);
    expect((await check(dir)).code).toBe(0);
    // Inside: the first line of the range.
    lines[Number(from) - 1] = `${lines[Number(from) - 1]} // changed`;
    writeFileSync(file, lines.join('\n'));
    const outcome = await check(dir);
    expect(outcome.code).toBe(1);
    expect(outcome.output).toContain(`${ranged} changed since its mutation score was measured`);
  } finally {
    writeFileSync(file, original);
  }
});

it('fails when the overall score is below the threshold, naming the lowest files', async () => {
  const files = matchingFiles();
  (files['src/session/csrf.ts'] as { score: number }).score = 50;
  writeSummary(threshold - 0.01, files);
  const outcome = await check(dir);
  expect(outcome.code).toBe(1);
  expect(outcome.output).toContain(`below the threshold of ${threshold} %`);
  expect(outcome.output).toContain('src/session/csrf.ts 50 %');
});

it('fails when the scope has an entry the summary lacks, or the summary is missing', async () => {
  const files = matchingFiles();
  delete files['src/session/csrf.ts'];
  writeSummary(99, files);
  const outcome = await check(dir);
  expect(outcome.code).toBe(1);
  expect(outcome.output).toContain('src/session/csrf.ts is in the mutation scope (stryker.config.mjs) but not in');

  rmSync(join(dir, 'reports'), { recursive: true, force: true });
  const missing = await check(dir);
  expect(missing.code).toBe(1);
  expect(missing.output).toContain('summary.json is missing: run `npm run test:mutation`');
});
