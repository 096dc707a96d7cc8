/**
 * The state the Jest environment (environment.cjs), the test runner (jest-circus-with-bail.cjs) and
 * the sequencer (sequencer.cjs) of `npm run test:mutation` share in a Stryker test runner process: the
 * mutant a failing test already killed, and the test files that killed the latest mutants. All three
 * are loaded with Node's own `require` outside the tests' sandboxes, so they get this same module.
 */
'use strict';

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
let killed;
/** The test files that killed the latest mutants, latest first (a few). */
const killers = [];
const KILLERS_KEPT = 6;

module.exports = {
  /** The mutant Stryker is testing in this process, or `undefined` (the dry run, a plain `jest` run). */
  activeMutant() {
    return process.env[ACTIVE_MUTANT];
  },
  /** A test of `testPath` failed with the active mutant: it is killed, and its remaining tests need not run. */
  markKilled(testPath) {
    killed = process.env[ACTIVE_MUTANT];
    const at = killers.indexOf(testPath);
    if (at !== -1) killers.splice(at, 1);
    killers.unshift(testPath);
    killers.length = Math.min(killers.length, KILLERS_KEPT);
  },
  /**
   * The files that killed the latest mutants, latest first. Stryker tests mutants in the order of
   * the source, so the next mutant is often in the same function and dies in the same file.
   */
  recentKillers() {
    return killers;
  },
  isKilled() {
    const active = process.env[ACTIVE_MUTANT];
    return active !== undefined && killed === active;
  },
};
