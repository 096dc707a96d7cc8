/**
 * `npm run test:timing`: the statistical timing suite (checklist C17, `test/security/*.timing.ts`),
 * kept out of `npm test` because it takes a while and measures time. Same transform and module
 * mapping as jest.config.js (Express 5).
 *
 * @type {import('jest').Config}
 */
import express5 from './jest.config.js';

const { collectCoverageFrom: _c, coverageThreshold: _t, ...base } = express5;

export default {
  ...base,
  displayName: 'timing',
  testMatch: ['<rootDir>/test/security/**/*.timing.ts'],
  testTimeout: 300_000,
  maxWorkers: 1,
};
