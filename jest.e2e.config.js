/**
 * The browser test (`npm run test:e2e`): test/e2e/*.e2e.ts, with the unit tests' transform and
 * module mapping. It drives Debian's Chromium (/usr/bin/chromium) and starts the example server, so
 * it is kept apart from `npm test`.
 *
 * @type {import('jest').Config}
 */
import unit from './jest.config.js';

export default {
  ...unit,
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  testTimeout: 30000,
  maxWorkers: 1,
};
