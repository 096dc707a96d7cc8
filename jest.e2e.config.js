/**
 * The browser test (`npm run test:e2e`): test/e2e/*.e2e.ts, with the unit tests' transform and
 * module mapping (those of the Express 5 project). It drives Debian's Chromium (/usr/bin/chromium)
 * and starts the example server, so it is kept apart from `npm test`.
 *
 * @type {import('jest').Config}
 */
import unit from './jest.config.js';

const express5 = unit.projects.find((project) => project.displayName === 'express5');
const { displayName: _name, globals: _globals, ...base } = express5;

export default {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  testTimeout: 30000,
  maxWorkers: 1,
};
