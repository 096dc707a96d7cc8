// `npm run test:mutation:check`: the fast check of the committed mutation report (seconds, no Stryker).
//
// It fails when
//   - a file (or line range) of the defence scope in stryker.config.mjs changed since
//     reports/mutation/summary.json was made (its SHA-256 differs), or the scope has an entry the
//     summary does not (or the other way round): the report no longer says anything about that code;
//   - the overall mutation score of the summary is below THRESHOLD (stryker.config.mjs).
// The cure for the first is to run `npm run test:mutation` (incremental: only the mutants of what
// changed are tested again) and commit reports/mutation/; for the second, to kill the survivors
// (docs/testing.md, "Contributing: mutation testing").
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFENCES, INCREMENTAL_MINUTES, REPORT_DIR, THRESHOLD } from '../../stryker.config.mjs';
import { hashEntry } from './scope.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const summaryFile = join(REPORT_DIR, 'summary.json');
const rerun = `run \`npm run test:mutation\` (incremental: only the changed code's mutants are tested again, about ${INCREMENTAL_MINUTES} minutes on 2 cores, up to 10 on a busy machine) and commit ${REPORT_DIR}/`;

const problems = [];
if (!existsSync(join(root, summaryFile))) {
  problems.push(`${summaryFile} is missing: ${rerun}`);
} else {
  const summary = JSON.parse(readFileSync(join(root, summaryFile), 'utf8'));
  const entries = Object.values(DEFENCES).flat();
  const unmeasured = [];
  for (const entry of entries) {
    const recorded = summary.files?.[entry];
    if (recorded === undefined) {
      unmeasured.push(entry);
      continue;
    }
    let actual;
    try {
      actual = hashEntry(root, entry);
    } catch (err) {
      problems.push(`${entry} cannot be read (${err.code ?? err.message}): fix the scope in stryker.config.mjs, then ${rerun}`);
      continue;
    }
    if (actual !== recorded.sha256) {
      problems.push(`${entry} changed since its mutation score was measured (${summaryFile}): ${rerun}`);
    }
  }
  if (unmeasured.length > 0) {
    problems.push(
      `${unmeasured.join(', ')} ${unmeasured.length === 1 ? 'is' : 'are'} in the mutation scope (stryker.config.mjs) but not in ${summaryFile}: run \`npm run test:mutation\` (it tests the mutants not measured yet; the whole scope takes hours on 2 cores, \`-- --concerns N\` goes in steps) and commit ${REPORT_DIR}/`,
    );
  }
  for (const entry of Object.keys(summary.files ?? {})) {
    if (!entries.includes(entry)) problems.push(`${entry} is in ${summaryFile} but no longer in the mutation scope (stryker.config.mjs): ${rerun}`);
  }
  const overall = summary.overall?.score;
  if (typeof overall !== 'number' || overall < THRESHOLD) {
    const weakest = Object.entries(summary.files ?? {})
      .filter(([, c]) => typeof c.score === 'number' && c.score < THRESHOLD)
      .sort(([, a], [, b]) => a.score - b.score)
      .slice(0, 5)
      .map(([entry, c]) => `${entry} ${c.score} %`);
    problems.push(
      `the mutation score is ${overall ?? 'unknown'} %, below the threshold of ${THRESHOLD} %: kill the survivors (${REPORT_DIR}/survivors.json; docs/testing.md, "Contributing: mutation testing")${weakest.length > 0 ? `; lowest: ${weakest.join(', ')}` : ''}`,
    );
  }
}

if (problems.length > 0) {
  console.error(`test:mutation:check: FAIL\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`test:mutation:check: the report matches the ${Object.values(DEFENCES).flat().length} entries of the scope; score ${JSON.parse(readFileSync(join(root, summaryFile), 'utf8')).overall.score} % (threshold ${THRESHOLD} %)`);
