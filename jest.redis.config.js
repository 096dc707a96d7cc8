/**
 * `npm run test:redis` (issue 4 §4): the suites under test/redis/ (`*.redis.ts`), on a real
 * `redis-server` that each suite starts on 127.0.0.1 (test/redis/redis-server.ts) and app instances
 * in their own processes. Kept out of `npm test`, which passes without Redis; CI runs this after it
 * (`.ci/run` installs Debian's redis-server when missing). Started through scripts/test-redis.mjs,
 * which says why nothing ran when redis-server is missing. Same transform and module mapping as the
 * Express 5 project of jest.config.js.
 *
 * @type {import('jest').Config}
 */
import express5 from './jest.config.js';

const { collectCoverageFrom: _c, coverageThreshold: _t, ...base } = express5;

export default {
  ...base,
  displayName: 'redis',
  testMatch: ['<rootDir>/test/redis/**/*.redis.ts'],
  testTimeout: 60_000,
  maxWorkers: 1,
};
