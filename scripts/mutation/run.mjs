// `npm run test:mutation`: StrykerJS over the defence scope of stryker.config.mjs, then its JSON report
// summarised into reports/mutation/summary.json (committed, read by `npm run test:mutation:check`).
//
//   npm run test:mutation                       the whole scope; incremental: only mutants whose code
//                                               or tests changed since reports/mutation/incremental.json
//   npm run test:mutation -- --files a.ts,b.ts  a calibration run of some files (or `file:from-to`):
//                                               not incremental, prints its summary and writes
//                                               reports/mutation/partial-summary-<mode>.json (git-ignored);
//                                               summary.json and incremental.json stay as they are
//   MUTATION_COVERAGE=off npm run test:mutation -- --files …   the same without coverage analysis
//   npm run test:mutation -- --files … --tests test/session,test/security
//                                               a calibration run with only the suites under those
//                                               paths (jest.mutation.config.js), to compare coverage
//                                               modes over the same tests in minutes, not hours
//   npm run test:mutation -- --concerns N       the first N concerns of the scope only, incremental
//                                               too: a full run in steps on a slow machine (the
//                                               summary then covers those concerns, and the fast
//                                               check fails until the whole scope has run)
//   npm run test:mutation -- --summarise        only summarise the last full report again
//
// It records the run's wall time and the load average beside it (the machine may be shared).
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.chdir(root);

function parseArgs(argv) {
  const args = { files: undefined, summariseOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--files') args.files = argv[++i];
    else if (arg.startsWith('--files=')) args.files = arg.slice('--files='.length);
    else if (arg === '--concerns') args.concerns = argv[++i];
    else if (arg.startsWith('--concerns=')) args.concerns = arg.slice('--concerns='.length);
    else if (arg === '--tests') args.tests = argv[++i];
    else if (arg.startsWith('--tests=')) args.tests = arg.slice('--tests='.length);
    else if (arg === '--summarise') args.summariseOnly = true;
    else {
      console.error(`test:mutation: unknown argument ${arg} (--files a,b | --summarise)`);
      process.exit(2);
    }
  }
  if (args.tests !== undefined && args.files === undefined) {
    console.error('test:mutation: --tests only goes with --files (a calibration run); the whole scope runs every suite');
    process.exit(2);
  }
  if (args.files !== undefined && args.files.trim() === '') {
    console.error('test:mutation: --files takes a comma-separated list of files');
    process.exit(2);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
if (args.files) process.env.MUTATION_FILES = args.files;
if (args.tests) process.env.MUTATION_TESTS = args.tests;
if (args.concerns) process.env.MUTATION_CONCERNS = args.concerns;
// One map per run (environment.cjs → filter.cjs), removed afterwards.
process.env.MUTATION_COVERAGE_MAP = join(tmpdir(), `express-bindid-mutation-${process.pid}.json`);

const { DEFENCES, REPORT_DIR, THRESHOLD, scopeEntries } = await import('../../stryker.config.mjs');
const { summariseReport, rollUp, score } = await import('./scope.mjs');

const fmtLoad = (l) => l.map((x) => x.toFixed(2)).join(' ');

function runStryker() {
  return new Promise((resolve) => {
    const bin = join(root, 'node_modules', '.bin', 'stryker');
    // Its own process group, so that an interrupted run stops Stryker's test runner processes too.
    const child = spawn(bin, ['run', 'stryker.config.mjs'], { stdio: 'inherit', env: process.env, detached: true });
    const forward = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

function table(files) {
  const rows = Object.entries(files).map(([entry, c]) => {
    const cells = [c.killed, c.timeout, c.survived, c.noCoverage, c.errors, c.disabled].map((n) => String(n).padStart(5));
    return `${entry.padEnd(48)} ${cells.join(' ')} ${c.score === null ? '    -' : `${c.score.toFixed(2).padStart(6)} %`}`;
  });
  return [`${'file'.padEnd(48)} ${['kill', 'tout', 'surv', 'nocov', 'err', 'dis'].map((h) => h.padStart(5)).join(' ')}  score`, ...rows].join('\n');
}

let run;
if (!args.summariseOnly) {
  const load = loadavg();
  const started = Date.now();
  console.log(`test:mutation: ${args.files ? `calibration run of ${args.files}${args.tests ? ` with the suites under ${args.tests}` : ''}` : args.concerns ? `the first ${args.concerns} concerns of the defence scope` : 'the defence scope'}, coverage analysis ${process.env.MUTATION_COVERAGE ?? 'perTest'}; load average ${fmtLoad(load)} on ${availableParallelism()} cores`);
  const code = await runStryker();
  rmSync(process.env.MUTATION_COVERAGE_MAP, { force: true });
  rmSync(`${process.env.MUTATION_COVERAGE_MAP}.tmp`, { force: true });
  const wallSeconds = Math.round((Date.now() - started) / 1000);
  run = { wallSeconds, loadAverageAtStart: load.map((x) => Math.round(x * 100) / 100), loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100), cores: availableParallelism() };
  console.log(`test:mutation: Stryker took ${Math.floor(wallSeconds / 60)} min ${wallSeconds % 60} s (load average at the end ${fmtLoad(loadavg())})`);
  if (code !== 0) {
    console.error(`test:mutation: Stryker failed (exit code ${code}); nothing summarised`);
    process.exit(code);
  }
}

const coverageAnalysis = process.env.MUTATION_COVERAGE ?? 'perTest';
const reportFile = join(REPORT_DIR, args.files ? `partial-${coverageAnalysis}.json` : 'mutation.json');
if (!existsSync(reportFile)) {
  console.error(`test:mutation: no report at ${reportFile}: run \`npm run test:mutation\` first`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(reportFile, 'utf8'));
const entries = args.files ? args.files.split(',').map((f) => f.trim()) : scopeEntries();
const { files, survivors, unassigned } = summariseReport(report, entries, root);

if (args.files) {
  const overall = Object.values(files).reduce(
    (sum, c) => {
      for (const k of ['killed', 'timeout', 'survived', 'noCoverage', 'errors', 'disabled', 'mutants']) sum[k] += c[k];
      return sum;
    },
    { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0, disabled: 0, mutants: 0 },
  );
  const partial = { coverageAnalysis, tests: args.tests ?? 'all', run, files: Object.fromEntries(Object.entries(files).map(([e, c]) => [e, { ...c, score: score(c) }])), overall: { ...overall, score: score(overall) }, survivors };
  writeFileSync(join(REPORT_DIR, `partial-summary-${coverageAnalysis}.json`), `${JSON.stringify(partial, null, 2)}\n`);
  console.log(table(partial.files));
  console.log(`\nwritten: ${REPORT_DIR}/partial-summary-${coverageAnalysis}.json (not committed)`);
} else {
  const previous = existsSync(join(REPORT_DIR, 'summary.json')) ? JSON.parse(readFileSync(join(REPORT_DIR, 'summary.json'), 'utf8')) : undefined;
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  // The tree of src/ as committed: the same for every commit that changed only tests, docs or tooling.
  const srcTree = execFileSync('git', ['rev-parse', 'HEAD:src'], { encoding: 'utf8' }).trim();
  const srcDirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() !== '';
  const measured = Object.fromEntries(Object.entries(DEFENCES).filter(([, list]) => list.every((entry) => entries.includes(entry))));
  const rolled = rollUp(measured, files);
  const summary = {
    about: 'npm run test:mutation (scripts/mutation/run.mjs); checked by npm run test:mutation:check. score = (killed + timeout) / (mutants - disabled), per cent.',
    commit,
    srcTree,
    srcDirty,
    coverageAnalysis,
    threshold: THRESHOLD,
    ...(entries.length < Object.values(DEFENCES).flat().length ? { partial: `the first ${Object.keys(measured).length} of ${Object.keys(DEFENCES).length} concerns` } : {}),
    run: run ?? previous?.run,
    overall: rolled.overall,
    concerns: rolled.concerns,
    files: rolled.files,
    unassigned,
  };
  writeFileSync(join(REPORT_DIR, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(REPORT_DIR, 'survivors.json'), `${JSON.stringify(survivors, null, 2)}\n`);
  console.log(table(rolled.files));
  console.log(`\noverall: ${rolled.overall.score} % (threshold ${THRESHOLD} %); ${survivors.length} survived or without coverage`);
  console.log(`written: ${REPORT_DIR}/summary.json (commit it with ${REPORT_DIR}/incremental.json)`);
  if (unassigned > 0) console.warn(`test:mutation: ${unassigned} mutants of the report are in no scope entry`);
}
