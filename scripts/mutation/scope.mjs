/**
 * What `npm run test:mutation` (run.mjs) and its fast check (check.mjs) share: the scope entries of
 * stryker.config.mjs (`file` or `file:from-to`), the hash of what an entry mutates, and the summary of
 * a Stryker JSON report per entry, per concern and overall.
 *
 * Plain Node (no Stryker, no TypeScript): the check runs in seconds.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `src/a.ts:10-20` → { file: 'src/a.ts', from: 10, to: 20 }; `src/a.ts` → { file, whole file }. */
export function parseEntry(entry) {
  const match = /^(.*?):(\d+)-(\d+)$/.exec(entry);
  if (!match) return { entry, file: entry };
  const from = Number(match[2]);
  const to = Number(match[3]);
  if (from < 1 || to < from) throw new Error(`mutation scope: ${entry} is not a range of lines`);
  return { entry, file: match[1], from, to };
}

/** The SHA-256 of what an entry mutates: the whole file, or its lines from-to (1-based, inclusive). */
export function hashEntry(root, entry) {
  const { file, from, to } = parseEntry(entry);
  const text = readFileSync(join(root, file), 'utf8');
  const content = from === undefined ? text : text.split('\n').slice(from - 1, to).join('\n');
  return createHash('sha256').update(content).digest('hex');
}

/** Stryker's statuses → the summary's counts (Ignored = disabled by a `// Stryker disable` comment). */
const STATUS = {
  Killed: 'killed',
  Timeout: 'timeout',
  Survived: 'survived',
  NoCoverage: 'noCoverage',
  Ignored: 'disabled',
  RuntimeError: 'errors',
  CompileError: 'errors',
};

function emptyCounts() {
  return { killed: 0, timeout: 0, survived: 0, noCoverage: 0, errors: 0, disabled: 0, disabledReasons: {}, mutants: 0 };
}

function add(into, from) {
  for (const key of ['killed', 'timeout', 'survived', 'noCoverage', 'errors', 'disabled', 'mutants']) into[key] += from[key];
  for (const [reason, n] of Object.entries(from.disabledReasons)) into.disabledReasons[reason] = (into.disabledReasons[reason] ?? 0) + n;
}

/** (killed + timed out) / every mutant not disabled, in per cent with two decimals; null without any. */
export function score(counts) {
  const counted = counts.mutants - counts.disabled;
  if (counted === 0) return null;
  return Math.round(((counts.killed + counts.timeout) / counted) * 10000) / 100;
}

function withScore(counts) {
  return { ...counts, score: score(counts) };
}

/**
 * Summarise a Stryker JSON report (mutation-testing-report-schema) over scope entries.
 *
 * @param report the parsed report
 * @param entries the scope entries (`file` or `file:from-to`)
 * @param root the directory the entries are relative to (for the hashes)
 * @returns `{ files: { entry: counts }, survivors: [...], unassigned }`; a mutant outside every entry is
 *   counted in `unassigned` (a sign the config and the report disagree).
 */
export function summariseReport(report, entries, root) {
  const parsed = entries.map(parseEntry);
  const files = {};
  for (const { entry } of parsed) files[entry] = { sha256: hashEntry(root, entry), ...emptyCounts() };
  const survivors = [];
  let unassigned = 0;
  for (const [file, result] of Object.entries(report.files)) {
    const relative = file.replaceAll('\\', '/');
    for (const mutant of result.mutants) {
      const line = mutant.location.start.line;
      const owner = parsed.find((p) => p.file === relative && (p.from === undefined || (line >= p.from && line <= p.to)));
      const key = STATUS[mutant.status];
      if (owner === undefined || key === undefined) {
        unassigned += 1;
        continue;
      }
      const counts = files[owner.entry];
      counts.mutants += 1;
      counts[key] += 1;
      if (key === 'disabled') {
        const reason = mutant.statusReason ?? 'no reason';
        counts.disabledReasons[reason] = (counts.disabledReasons[reason] ?? 0) + 1;
      }
      if (key === 'survived' || key === 'noCoverage') {
        survivors.push({
          entry: owner.entry,
          line,
          column: mutant.location.start.column,
          mutator: mutant.mutatorName,
          status: mutant.status,
          original: result.source
            .split('\n')
            [line - 1]?.trim()
            .slice(0, 160),
          replacement: (mutant.replacement ?? '').replace(/\s+/g, ' ').slice(0, 120),
        });
      }
    }
  }
  return { files, survivors, unassigned };
}

/** Per concern and overall, from per-entry counts. */
export function rollUp(defences, files) {
  const concerns = {};
  const overall = emptyCounts();
  for (const [concern, entries] of Object.entries(defences)) {
    const counts = emptyCounts();
    for (const entry of entries) if (files[entry]) add(counts, files[entry]);
    concerns[concern] = withScore(counts);
    add(overall, counts);
  }
  const scored = {};
  for (const [entry, counts] of Object.entries(files)) scored[entry] = withScore(counts);
  return { overall: withScore(overall), concerns, files: scored };
}
