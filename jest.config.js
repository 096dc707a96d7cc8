/**
 * Jest runs the TypeScript sources directly: @swc/jest compiles them (and the ESM-only
 * openid-client, oauth4webapi and jose) to CommonJS for Jest's module loader. Types are checked
 * separately by `tsc` (`npm run typecheck`). The built package is exercised by the import matrix
 * (`npm run test:external`, test/external/).
 *
 * Two projects: `express5` runs every suite against the `express` dev dependency (Express 5);
 * `express4` runs the suites that build an Express app again, with `express` mapped to the
 * `express4` dev dependency (an npm alias of Express 4). A suite builds an Express app when it
 * lives under test/integration/ or is listed in APP_SUITES.
 *
 * Coverage counts every file under src/, the emulator included, and fails below the thresholds: the
 * floor of what the suites reach, at least the targets of 95 % lines and 90 % branches. Raise them
 * when coverage rises; never lower them to pass. `npm test` collects it and prints the summary
 * (collecting costs about 6 % of the run); `npm run test:coverage` prints the table per file.
 *
 * @type {import('jest').Config}
 */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];

const moduleNameMapper = {
  // Examples import the package by name; in tests that name means the sources (coverage, no stale dist).
  '^express-bindid$': '<rootDir>/src/index.ts',
  '^express-bindid/emulator$': '<rootDir>/src/emulator/index.ts',
  '^express-bindid/testing$': '<rootDir>/src/testing/index.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

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
];

const common = {
  testEnvironment: 'node',
  // examples/: the example app's own test (examples/basic/app.test.ts), as a user of the package writes it.
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  // test/external holds consumer projects with their own test runners (npm run test:external).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/external/'],
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(openid-client|oauth4webapi|jose)/)'],
  testTimeout: 20000,
  // fast-check runs from a fixed seed unless FC_SEED says otherwise (test/setup/fast-check.ts).
  setupFilesAfterEnv: ['<rootDir>/test/setup/fast-check.ts'],
};

export default {
  testTimeout: 20000,
  collectCoverageFrom: ['<rootDir>/src/**/*.ts'],
  coverageThreshold: {
    global: { lines: 98, branches: 93, statements: 96, functions: 96 },
  },
  projects: [
    {
      ...common,
      displayName: 'express5',
      testMatch: ['**/*.test.ts'],
      moduleNameMapper,
      globals: { EXPRESS_MAJOR: 5 },
    },
    {
      ...common,
      displayName: 'express4',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', ...APP_SUITES],
      // Only the bare specifier: Express 4's own files require each other by relative path.
      moduleNameMapper: { '^express$': '<rootDir>/node_modules/express4', ...moduleNameMapper },
      globals: { EXPRESS_MAJOR: 4 },
    },
  ],
};
