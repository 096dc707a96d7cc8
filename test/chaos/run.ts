/**
 * `npm run test:chaos` (issue 15 §4): the chaos run. Three app instances in their own processes on a
 * 3-master Redis Cluster (connect-redis sessions, `RedisBindIdStore`, fail-open with the default
 * outbox, the outbox worker on every instance), the emulator in its own process and flaky, and N
 * users going through new-user → confirm, each request to a random instance, while a supervisor
 * SIGKILLs and restarts instances, restarts one Redis master and plays BindID's faults
 * (supervisor.ts). Then BindID is healthy again, the workers drain the outbox, and the audit
 * (audit.ts) checks every signed-in user's report. The last line is the verdict with the run's size
 * and duration; the exit code is 1 when a report was lost, a user was signed in without a persisted
 * report, a report is still queued, a duplicate is unexplained, or fewer than 90 % of the users got
 * in.
 *
 * Flags: `--users=<n>` (default 200; the bigger run is `-- --users=1000`), `--concurrency=<n>`
 * (default 8), `--spread=<s>` (default 90: the users' starts are spread over at least that long, so the
 * supervisor plays every BindID fault phase and kills instances many times). Needs Debian's redis-server and redis-cli (or $REDIS_SERVER, $REDIS_CLI). Everything
 * runs on 127.0.0.1 and is torn down after, on failure and on SIGINT/SIGTERM too.
 *
 * @module
 */
import { createCluster } from 'redis';
import { RedisBindIdStore } from '../../src/index.js';
import { StoreOutbox } from '../../src/fail-open/index.js';
import { PUBLIC_ORIGIN, sleep } from '../redis/instances.js';
import { RedisCluster } from '../redis/redis-cluster.js';
import { queueKeys } from '../../src/stores/redis-queue.js';
import { findRedisServer } from '../redis/redis-server.js';
import { type Audit, audit } from './audit.js';
import { ChaosEmulator } from './emulator.js';
import { Fleet } from './fleet.js';
import { type ChaosRecord, flakyBindId, killInstances, restartRedisMaster } from './supervisor.js';
import { runUsers, type UserOutcome } from './users.js';

function flag(name: string, fallback: number, min: number, max: number): number {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    console.error(`test:chaos: --${name} must be a whole number from ${min} to ${max}`);
    process.exit(2);
  }
  return value;
}

const USERS = flag('users', 200, 1, 9999);
const CONCURRENCY = flag('concurrency', 8, 1, 100);
const SPREAD_S = flag('spread', 90, 0, 3600);
const INSTANCES = 3;
const DRAIN_MS = 60_000;
/** The emulator's access-token lifetime (its default): the audit must end within it, or queued reports could expire. */
const TOKEN_TTL_MS = 3_600_000;
const started = Date.now();
const seconds = () => Math.round((Date.now() - started) / 1000);
const say = (line: string) => console.log(`[chaos ${String(seconds()).padStart(4)} s] ${line}`);

const teardown: Array<() => Promise<unknown>> = [];
async function tearDown(): Promise<void> {
  for (const step of teardown.splice(0).reverse()) await step().catch((err) => console.error(`teardown: ${err}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`test:chaos: ${signal}, tearing down`);
    void tearDown().finally(() => process.exit(130));
  });
}

type HashValues = (key: string) => Promise<string[]>;

/**
 * The aliases of the reports in the outbox now: the values of the queue's items hash, read as they
 * are (`due()` with a far-off "now" would drop the records past their retention at that time).
 */
async function queuedAliases(hvals: HashValues): Promise<Set<string>> {
  const values = await hvals(queueKeys('bindid:', 'outbox:').items); // RedisBindIdStore's default prefix, the outbox's default queue
  return new Set(values.map((v) => (JSON.parse(v) as { report: { alias?: string } }).report.alias ?? ''));
}

/** Wait until the outbox is empty and BindID got nothing new for 1 s, or `DRAIN_MS`; the aliases still queued. */
async function drain(hvals: HashValues, emulator: ChaosEmulator): Promise<Set<string>> {
  const deadline = Date.now() + DRAIN_MS;
  let seen = -1;
  for (;;) {
    const left = await queuedAliases(hvals).catch(() => undefined);
    await emulator.flush();
    const quiet = seen === emulator.reports.length;
    seen = emulator.reports.length;
    if ((left?.size === 0 && quiet) || Date.now() > deadline) return left ?? (await queuedAliases(hvals));
    await sleep(1000);
  }
}

function summary(a: Audit, record: ChaosRecord, kills: number): string {
  const explained = Object.entries(a.explained).map(([why, n]) => `${n} ${why}`);
  return (
    `chaos: ${a.users} users, ${INSTANCES} instances, 3-master Redis Cluster: ${a.signedIn} signed in, ` +
    `lost ${a.lost}, duplicated ${a.duplicated}${explained.length ? ` (explained: ${explained.join(', ')})` : ''}, ` +
    `dead-lettered ${a.deadLettered}, unpersisted ${a.unpersisted}, pending ${a.pending}; ` +
    `${kills} instance kills, ${record.redisRestarts.length} Redis master restart(s), ${record.faultPhases.length} BindID fault phases; ` +
    `${seconds()} s`
  );
}

async function main(): Promise<number> {
  const redisServer = findRedisServer();
  if ('missing' in redisServer) {
    console.error(`test:chaos did not run: ${redisServer.missing}. Install redis-server (it brings redis-cli) or set REDIS_SERVER.`);
    return 1;
  }
  say(`${USERS} users, ${CONCURRENCY} at a time, started over ${SPREAD_S} s, ${INSTANCES} app instances, a 3-master Redis Cluster`);
  const cluster = await RedisCluster.start(3);
  teardown.push(() => cluster.close());
  const emulator = await ChaosEmulator.start(USERS, `${PUBLIC_ORIGIN}/bindid/callback`);
  teardown.push(() => emulator.stop());
  const fleet = await Fleet.start(INSTANCES, cluster.urls, emulator.endpoints);
  teardown.push(() => fleet.stop());
  const redis = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) });
  redis.on('error', () => {}); // the restarted master: the client reconnects, the reads are tried again
  await redis.connect();
  teardown.push(() => redis.close());
  const outbox = new StoreOutbox(new RedisBindIdStore(redis)); // the instances' default outbox: same queue
  say(`ready: Redis on ${cluster.nodes.map((n) => n.port).join(', ')}, BindID at ${emulator.endpoints.issuer}`);

  const record: ChaosRecord = { redisRestarts: [], faultPhases: [] };
  let done = 0;
  let usersDone = false;
  const isDone = () => usersDone;
  const users = runUsers({ fleet, outbox, subs: emulator.subs, maxAttempts: 20 }, USERS, CONCURRENCY, SPREAD_S * 1000, (u: UserOutcome) => {
    done += 1;
    if (done % Math.max(1, Math.round(USERS / 10)) === 0) say(`${done}/${USERS} users done (user${u.n}: ${u.signedIn || 'not signed in'} after ${u.attempts} attempt(s))`);
  }).finally(() => {
    usersDone = true;
  });
  const [outcomes] = await Promise.all([
    users,
    killInstances(fleet, Math.max(3, Math.ceil(USERS / 10)), isDone),
    restartRedisMaster(cluster, 0.35, () => done / USERS, isDone, record),
    flakyBindId(emulator, Math.max(7, Math.ceil(USERS / 10)), isDone, record),
  ]);
  say(`users done; BindID healthy; draining the outbox (at most ${DRAIN_MS / 1000} s)`);
  const hvals = async (key: string) => (await redis.sendCommand(key, true, ['HVALS', key])) as string[];
  const queuedAtEnd = await drain(hvals, emulator);
  const result = audit({ users: outcomes, reports: emulator.reports, events: fleet.events(), kills: fleet.kills, redisRestarts: record.redisRestarts, queuedAtEnd });

  const statuses = new Map<number, number>();
  for (const r of emulator.reports) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  say(`BindID received ${emulator.reports.length} reports, by status: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ')}`);
  say(`instances killed: ${fleet.kills.map((k) => k.instance).join(', ') || 'none'}; Redis: ${record.redisRestarts.map((r) => `master ${r.master} restarted in ${r.to - r.from} ms`).join(', ') || 'not restarted'}`);
  say(`BindID faults: ${record.faultPhases.join(', ') || 'none'}`);
  if (Object.keys(result.deadLetterReasons).length) say(`dead letters by reason: ${JSON.stringify(result.deadLetterReasons)}`);
  const notIn = outcomes.filter((u) => u.signedIn === false);
  for (const u of notIn.slice(0, 10)) say(`not signed in: user${u.n} after ${u.attempts} attempts, last: ${u.failures.at(-1)}`);
  if (Date.now() - started >= TOKEN_TTL_MS) result.problems.push(`the audit ended after the access tokens' lifetime (${TOKEN_TTL_MS / 1000} s)`);
  const failed = result.problems.length > 0 || result.signedIn < USERS * 0.9;
  for (const line of result.problems.slice(0, 50)) say(`PROBLEM ${line}`);
  if (result.signedIn < USERS * 0.9) say(`PROBLEM only ${result.signedIn} of ${USERS} users got in (at least 90 % must)`);
  await tearDown();
  console.log(summary(result, record, fleet.kills.length));
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(), 2000).unref(); // a handle left open does not hold the exit
  },
  async (err: unknown) => {
    console.error(`test:chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await tearDown();
    console.log(`chaos: aborted after ${seconds()} s (${USERS} users): ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
