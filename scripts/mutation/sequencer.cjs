/**
 * The test sequencer of `npm run test:mutation` (jest.mutation.config.js). While StrykerJS tests a
 * mutant, the test files run most specific first: those that reached the fewest mutants in the dry run
 * (the map of environment.cjs), usually the unit tests of the mutated module. A mutant is killed by
 * its first failing test and the files after it are not loaded (jest-circus-with-bail.cjs), so a
 * killed mutant costs the few files before its killer instead of the app suites that happen to load
 * the module. Otherwise (the dry run, a plain `jest` run, no map) Jest's own order.
 */
'use strict';
const Sequencer = require('@jest/test-sequencer').default;
const { coverageMap } = require('./filter.cjs');
const bail = require('./bail.cjs');

class MutationSequencer extends Sequencer {
  sort(tests) {
    const map = bail.activeMutant() === undefined ? undefined : coverageMap();
    if (map === undefined) return super.sort(tests);
    const reached = new Map(map.testFiles.map((file) => [file, 0]));
    for (const indexes of Object.values(map.mutants)) for (const i of indexes) reached.set(map.testFiles[i], reached.get(map.testFiles[i]) + 1);
    const weight = (test) => reached.get(test.path) ?? Number.MAX_SAFE_INTEGER;
    return [...tests].sort((a, b) => weight(a) - weight(b) || (a.path < b.path ? -1 : 1));
  }
}

module.exports = MutationSequencer;
