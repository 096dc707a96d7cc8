/**
 * Jest's `filter` for `npm run test:mutation` (jest.mutation.config.js): while StrykerJS tests a
 * mutant, only the test files whose code reached that mutant in the dry run are loaded (the map
 * environment.cjs wrote to MUTATION_COVERAGE_MAP). Stryker's Jest runner would otherwise load every
 * test file of the suite for every mutant (about 30 s each) and select tests by name only.
 *
 * Every file runs when there is no active mutant (the dry run, a plain `jest` run), when the map is
 * missing (`coverageAnalysis: 'off'`), or when the map does not know the mutant: the filter can only
 * make a run cheaper, never leave out a file that could kill the mutant.
 */
'use strict';
const fs = require('node:fs');

let cached;

function coverageMap() {
  const file = process.env.MUTATION_COVERAGE_MAP;
  if (!file || !fs.existsSync(file)) return undefined;
  const mtime = fs.statSync(file).mtimeMs;
  if (cached?.file !== file || cached.mtime !== mtime) {
    cached = { file, mtime, map: JSON.parse(fs.readFileSync(file, 'utf8')) };
  }
  return cached.map;
}

async function filter(testPaths) {
  const active = process.env.__STRYKER_ACTIVE_MUTANT__;
  const map = active === undefined ? undefined : coverageMap();
  const indexes = map?.mutants[active];
  if (indexes === undefined) return { filtered: testPaths };
  const covering = new Set(indexes.map((i) => map.testFiles[i]));
  return { filtered: testPaths.filter((path) => covering.has(path)) };
}

module.exports = filter;
module.exports.coverageMap = coverageMap;
