/**
 * The Jest configuration StrykerJS runs (`npm run test:mutation`, stryker.config.mjs): jest.config.js
 * without the suites that test the built package or spawn it in another process (dist/ is built from
 * the unmutated sources, and a child process is out of Stryker's reach: such a suite can never kill a
 * mutant, it only fails in Stryker's sandbox, which has no dist/).
 *
 * Additions for Stryker (scripts/mutation/): a test environment that charges the code run while
 * a file loads or in a `beforeAll` to the tests that depend on it, and skips a mutant's remaining
 * tests once one killed it (environment.cjs); a filter that, while a mutant is tested, loads only the
 * test files that reached it in the dry run (filter.cjs); a sequencer that runs the most specific of
 * them first (sequencer.cjs); and jest-circus wrapped so that the files after a killing one are not
 * loaded (jest-circus-with-bail.cjs). Outside Stryker they change nothing: `npx jest -c
 * jest.mutation.config.js` runs these suites as `npm test` does. MUTATION_TESTS (run.mjs --tests)
 * narrows the suites for a calibration run.
 *
 * @type {import('jest').Config}
 */
import { fileURLToPath } from 'node:url';
import express5 from './jest.config.js';

const { collectCoverageFrom: _c, coverageThreshold: _t, ...base } = express5;

/** Suites that run dist/ or a child process (see the header), or read the source text. */
export const OUT_OF_PROCESS_SUITES = [
  '<rootDir>/test/package.test.ts',
  '<rootDir>/test/docs/links.test.ts',
  '<rootDir>/test/docs/typescript-blocks.test.ts',
  '<rootDir>/test/doctor/cli.test.ts',
  '<rootDir>/test/emulator/cli.test.ts',
  '<rootDir>/test/examples/journey-script.test.ts',
  // The fast check of the mutation report, run with Node on a copy (no source of the scope runs in Jest).
  '<rootDir>/test/scripts/',
  // Reads the text of src/ (file and function lengths), which Stryker's instrumented copy makes longer:
  // it fails in the sandbox whatever the mutant, and no mutant changes what it checks.
  '<rootDir>/test/architecture.test.ts',
];

// Absolute paths: Stryker loads the environment itself, from the raw (unresolved) configuration.
const own = (file) => fileURLToPath(new URL(`./scripts/mutation/${file}`, import.meta.url));

// scripts/mutation/run.mjs --tests a,b (a calibration run): only the test files under those paths.
const only = process.env.MUTATION_TESTS?.split(',').map((path) => `<rootDir>/${path.trim().replace(/\/$/, '')}`);

export default {
  ...base,
  ...(only ? { testMatch: only.flatMap((path) => [`${path}/**/*.test.ts`, path]) } : {}),
  displayName: 'mutation',
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, ...OUT_OF_PROCESS_SUITES],
  // Jest's 20 s per test is a kill when a loaded machine makes a test slow (an equivalent mutant was
  // "killed" that way); hangs are Stryker's timeouts (stryker.config.mjs).
  testTimeout: 60000,
  testEnvironment: own('environment.cjs'),
  filter: own('filter.cjs'),
  testRunner: own('jest-circus-with-bail.cjs'),
  testSequencer: own('sequencer.cjs'),
};
