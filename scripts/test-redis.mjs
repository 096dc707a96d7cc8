// `npm run test:redis`: the suites on a real Redis (test/redis/, jest.redis.config.js), on one server
// and on a 3-master Redis Cluster that the suites start on 127.0.0.1 and tear down. They need Debian's
// `redis-server` (or $REDIS_SERVER) and the `redis-cli` that comes with it (or $REDIS_CLI, used for
// `redis-cli --cluster create`); without them nothing can run, and this says so and fails rather than
// passing with nothing tested. `npm test` does not need Redis.
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
const cli = process.env.REDIS_CLI || 'redis-cli';
const cliProbe = spawnSync(cli, ['--version'], { encoding: 'utf8' });
if (cliProbe.error || cliProbe.status !== 0) {
  console.error(
    `test:redis did not run: ${cli} was not found or does not run (${cliProbe.error?.message ?? `exit ${cliProbe.status}`}).\n` +
      'It comes with redis-server (Debian/Ubuntu: apt-get install redis-server, which pulls redis-tools); or set REDIS_CLI to its path.\n' +
      'The suites start a Redis Cluster with redis-cli --cluster create.',
  );
  process.exit(1);
}
console.log(`test:redis: ${probe.stdout.trim()}; ${cliProbe.stdout.trim()}`);
const jest = spawnSync(
  process.execPath,
  ['node_modules/jest/bin/jest.js', '--config', 'jest.redis.config.js', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exit(jest.status ?? 1);
