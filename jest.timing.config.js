/**
 * `npm run test:timing`: the suites that measure real elapsed time, `*.timing.ts` under test/: the
 * statistical timing test of the password step (checklist C17) and the deadlines against servers
 * that hang or trickle. Kept out of `npm test`, whose suites never depend on how fast the machine
 * is; one worker, so that nothing else in the run competes with what is measured. Same transform
 * and module mapping as jest.config.js (Express 5).
 *
 * @type {import('jest').Config}
 */
import express5 from './jest.config.js';

const { collectCoverageFrom: _c, coverageThreshold: _t, ...base } = express5;

export default {
  ...base,
  displayName: 'timing',
  testMatch: ['<rootDir>/test/**/*.timing.ts'],
  testTimeout: 300_000,
  maxWorkers: 1,
};
