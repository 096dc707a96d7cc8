/**
 * `npm run test:express4` (in CI and `npm run test:all`): the suites that build an Express app,
 * again, with `express` mapped to the `express4` dev dependency (an npm alias of Express 4). A suite
 * builds an Express app when it lives under test/integration/ or is listed in APP_SUITES.
 * `npm test` runs every suite on Express 5 (jest.config.js).
 *
 * @type {import('jest').Config}
 */
import { common, moduleNameMapper } from './jest.config.js';

/** Suites outside test/integration/ that build an Express app, so they run on Express 4 too. */
const APP_SUITES = [
  '<rootDir>/test/passport/local-strategy.test.ts',
  '<rootDir>/test/passport/bind-id-strategy*.test.ts',
  '<rootDir>/test/confirm/send-authentication-performed.test.ts',
  '<rootDir>/test/router/**/*.test.ts',
  '<rootDir>/test/examples/**/*.test.ts',
  '<rootDir>/test/security/**/*.test.ts',
  '<rootDir>/test/testing/**/*.test.ts',
  '<rootDir>/examples/**/*.test.ts',
  '<rootDir>/test/docs/integration-apps.test.ts',
];

export default {
  ...common,
  displayName: 'express4',
  testMatch: ['<rootDir>/test/integration/**/*.test.ts', ...APP_SUITES],
  // Only the bare specifier: Express 4's own files require each other by relative path.
  moduleNameMapper: { '^express$': '<rootDir>/node_modules/express4', ...moduleNameMapper },
  globals: { EXPRESS_MAJOR: 4 },
};
