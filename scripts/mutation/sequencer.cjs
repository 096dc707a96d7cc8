/**
 * The test sequencer of `npm run test:mutation` (jest.mutation.config.js). While StrykerJS tests a
 * mutant, the test files that reached it run quickest first (their times in the dry run, from the map
 * of environment.cjs), except that the files that killed the latest mutants in this process go first
 * (bail.cjs): a mutant is killed by its first failing test and the files after it are not loaded
 * (jest-circus-with-bail.cjs), so a killed mutant usually costs its unit suite, or the one app suite
 * that killed its neighbours, not every app suite that happens to reach it. With `coverageAnalysis:
 * 'off'` (no map) every file runs, quickest first by Jest's own timings. Outside a mutant run (the dry
 * run, a plain `jest` run), Jest's own order.
 */
'use strict';
const Sequencer = require('@jest/test-sequencer').default;
const { coverageMap } = require('./filter.cjs');
const bail = require('./bail.cjs');

class MutationSequencer extends Sequencer {
  sort(tests) {
    if (bail.activeMutant() === undefined) return super.sort(tests);
    const map = coverageMap();
    // Without a map (`coverageAnalysis: 'off'`): every file, quickest first by Jest's own timings.
    const took =
      map === undefined
        ? new Map(tests.map((test) => [test.path, this.time(test) ?? Number.MAX_SAFE_INTEGER]))
        : new Map(map.testFiles.map((file, i) => [file, map.durations?.[i] ?? Number.MAX_SAFE_INTEGER]));
    const weight = (test) => took.get(test.path) ?? Number.MAX_SAFE_INTEGER;
    // The files that killed the latest mutants first (latest first), then the quickest.
    const killers = bail.recentKillers();
    const rank = (test) => {
      const at = killers.indexOf(test.path);
      return at === -1 ? killers.length : at;
    };
    return [...tests].sort((a, b) => rank(a) - rank(b) || weight(a) - weight(b) || (a.path < b.path ? -1 : 1));
  }
}

module.exports = MutationSequencer;
