/**
 * `npm run test:timing`: the statistical timing suite (checklist C17, `test/security/*.timing.ts`),
 * kept out of `npm test` because it takes a while and measures time. Same transform and module
 * mapping as the Express 5 project of jest.config.js.
 *
 * @type {import('jest').Config}
 */
import base from './jest.config.js';

const express5 = base.projects.find((project) => project.displayName === 'express5');

export default {
  ...express5,
  displayName: 'timing',
  testMatch: ['<rootDir>/test/security/**/*.timing.ts'],
  testTimeout: 300_000,
};
