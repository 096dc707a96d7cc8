/**
 * Jest runs the TypeScript sources directly: @swc/jest compiles them (and the ESM-only
 * openid-client, oauth4webapi and jose) to CommonJS for Jest's module loader. Types are checked
 * separately by `tsc` (`npm run typecheck`). The built package is exercised by the tests that
 * spawn `node` (test/package.test.ts).
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

export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(openid-client|oauth4webapi|jose)/)'],
  moduleNameMapper: {
    // Examples import the package by name; in tests that name means the sources (coverage, no stale dist).
    '^express-bindid$': '<rootDir>/src/index.ts',
    '^express-bindid/emulator$': '<rootDir>/src/emulator/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 20000,
};
