/**
 * The Jest test runner of `npm run test:mutation` (jest.mutation.config.js): jest-circus, except that
 * once a test killed the mutant Stryker is testing, the remaining test files of that mutant's run are
 * not loaded at all (an empty result). Stryker asks for a bail at the first failure, which its Jest
 * runner cannot give; environment.cjs skips the remaining tests of the file that failed, this skips
 * the files after it. The name contains "jest-circus" because Stryker's per-test coverage accepts
 * only a runner whose name does (it relies on circus's test events).
 */
'use strict';
const { createEmptyTestResult } = require('@jest/test-result');
const circus = require('jest-circus/runner').default;
const bail = require('./bail.cjs');

/**
 * A file not loaded: one skipped placeholder test (Jest reports a result without any test as a suite
 * that failed to run, which Stryker would count as an error instead of a kill).
 */
function notLoaded(testPath) {
  const title = 'not loaded: a test already killed this mutant';
  return {
    ...createEmptyTestResult(),
    testFilePath: testPath,
    numPendingTests: 1,
    testResults: [
      { ancestorTitles: [], duration: 0, failureDetails: [], failureMessages: [], fullName: title, numPassingAsserts: 0, status: 'pending', title },
    ],
  };
}

module.exports = async function jestCircusWithBail(globalConfig, config, environment, runtime, testPath, sendMessageToJest) {
  if (bail.isKilled()) return notLoaded(testPath);
  return circus(globalConfig, config, environment, runtime, testPath, sendMessageToJest);
};
