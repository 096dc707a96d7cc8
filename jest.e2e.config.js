/**
 * The browser test (`npm run test:e2e`): test/e2e/*.e2e.ts, with the unit tests' transform and
 * module mapping (those of jest.config.js, Express 5). It drives Debian's Chromium (/usr/bin/chromium)
 * and starts the example server, so it is kept apart from `npm test`.
 *
 * @type {import('jest').Config}
 */
import express5 from './jest.config.js';

const { displayName: _name, globals: _globals, collectCoverageFrom: _c, coverageThreshold: _t, ...base } = express5;

export default {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  testTimeout: 30000,
  maxWorkers: 1,
};
