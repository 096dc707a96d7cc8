/**
 * The one piece of state the Jest environment (environment.cjs) and the test runner
 * (jest-circus-with-bail.cjs) of `npm run test:mutation` share in a Stryker test runner process: the
 * mutant a failing test already killed. Both are loaded with Node's own `require` outside the tests'
 * sandboxes, so they get this same module.
 */
'use strict';

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
let killed;

module.exports = {
  /** The mutant Stryker is testing in this process, or `undefined` (the dry run, a plain `jest` run). */
  activeMutant() {
    return process.env[ACTIVE_MUTANT];
  },
  /** A test failed with the active mutant: it is killed, and its remaining tests need not run. */
  markKilled() {
    killed = process.env[ACTIVE_MUTANT];
  },
  isKilled() {
    const active = process.env[ACTIVE_MUTANT];
    return active !== undefined && killed === active;
  },
};
