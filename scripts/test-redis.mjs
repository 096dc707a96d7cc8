// `npm run test:redis`: the suites on a real Redis (test/redis/, jest.redis.config.js). They need
// Debian's `redis-server` (or $REDIS_SERVER); without it nothing can run, and this says so and fails
// rather than passing with nothing tested. `npm test` does not need Redis.
import { spawnSync } from 'node:child_process';

const bin = process.env.REDIS_SERVER || 'redis-server';
const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  console.error(
    `test:redis did not run: ${bin} was not found or does not run (${probe.error?.message ?? `exit ${probe.status}`}).\n` +
      'Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_SERVER to its path.\n' +
      'npm test runs without it; this suite (several app instances on one Redis) needs a real server.',
  );
  process.exit(1);
}
console.log(`test:redis: ${probe.stdout.trim()}`);
const jest = spawnSync(
  process.execPath,
  ['node_modules/jest/bin/jest.js', '--config', 'jest.redis.config.js', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exit(jest.status ?? 1);
