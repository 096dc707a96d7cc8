/**
 * The chaos run's supervisor: three bounded loops that run while the users do and stop by
 * themselves (when `done()` turns true, or after their last round).
 *
 * - Instances: SIGKILL a random app instance, start a new one in its slot after a short while.
 * - Redis: restart one master of the cluster (stop, start from its append-only file), once the run
 *   is under way.
 * - BindID: a cycle of fault phases with healthy gaps: session-feedback answering 503, hanging
 *   (the client's 1 s deadline), 429 with `Retry-After: 1`, slow (300 ms); the token endpoint
 *   answering 503; BindID down (every endpoint drops its connections), then, while reports are
 *   queued, refusing them for 0.7 s (400: the reports attempted then are dead-lettered as
 *   `rejected`, as when BindID refuses a report for good).
 *
 * BindID down is played with faults, not by killing the emulator's process: the emulator keeps its
 * state in memory only (its signing key, the access tokens it issued, the users and their aliases),
 * so a restarted emulator would answer every queued report with 401 (an unknown token: dead-letter)
 * and forget the pending logins, which tests nothing of the app. `drop` on every endpoint is what a
 * crashed BindID looks like from the app: connections cut without an answer.
 *
 * @module
 */
import type { EmulatorEndpoint, Fault } from '../../src/emulator/index.js';
import { sleep } from '../redis/instances.js';
import type { RedisCluster } from '../redis/redis-cluster.js';
import { type ChaosEmulator, ENDPOINTS } from './emulator.js';
import type { Fleet } from './fleet.js';

/** What the supervisor did. */
export interface ChaosRecord {
  /** Redis master restarts: from the stop to the cluster being ok again. */
  redisRestarts: Array<{ master: number; from: number; to: number }>;
  /** BindID fault phases played, by name. */
  faultPhases: string[];
}

const between = (min: number, max: number): number => min + Math.random() * (max - min);

/** Wait up to `ms`, returning early once `done()`. */
async function pause(ms: number, done: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await sleep(Math.min(100, until - Date.now()));
}

/** SIGKILL random instances, one at a time, every 2–5 s, at most `maxKills` times. */
export async function killInstances(fleet: Fleet, maxKills: number, done: () => boolean): Promise<void> {
  for (let round = 0; round < maxKills && !done(); round++) {
    await pause(between(2000, 5000), done);
    if (done()) return;
    await fleet.killAndRestart(Math.floor(Math.random() * fleet.size), between(200, 1500));
  }
}

/** Restart one random master when `progress()` reaches `at` (a fraction of the users done). */
export async function restartRedisMaster(
  cluster: RedisCluster,
  at: number,
  progress: () => number,
  done: () => boolean,
  record: ChaosRecord,
): Promise<void> {
  while (progress() < at && !done()) await sleep(100);
  if (done()) return;
  const master = Math.floor(Math.random() * cluster.nodes.length);
  const from = Date.now();
  await cluster.restartMaster(master);
  record.redisRestarts.push({ master, from, to: Date.now() });
}

interface Phase {
  name: string;
  ms: number;
  faults: Partial<Record<EmulatorEndpoint, Fault>>;
  /** Played right after the phase before, with no healthy gap. */
  straightAfter?: boolean;
}

const drop: Fault = { drop: true };
/** The BindID fault phases, played in this order, again and again. */
export const PHASES: readonly Phase[] = [
  { name: 'feedback 503', ms: 3000, faults: { 'session-feedback': { status: 503 } } },
  { name: 'BindID down', ms: 6000, faults: Object.fromEntries(ENDPOINTS.map((e) => [e, drop])) },
  { name: 'then refusing reports (400)', ms: 700, straightAfter: true, faults: { 'session-feedback': { status: 400 } } },
  { name: 'feedback hangs', ms: 3000, faults: { 'session-feedback': { hang: true } } },
  { name: 'feedback 429 Retry-After 1', ms: 3000, faults: { 'session-feedback': { status: 429, retryAfter: '1' } } },
  { name: 'slow BindID (300 ms)', ms: 3000, faults: { 'session-feedback': { delayMs: 300 }, token: { delayMs: 300 } } },
  { name: 'token 503', ms: 2000, faults: { token: { status: 503 } } },
];

/** Play the fault phases with healthy gaps of 1–3 s until `done()`, at most `maxPhases`; BindID is healthy after. */
export async function flakyBindId(emulator: ChaosEmulator, maxPhases: number, done: () => boolean, record: ChaosRecord): Promise<void> {
  try {
    for (let i = 0; i < maxPhases && !done(); i++) {
      const phase = PHASES[i % PHASES.length] as Phase;
      if (!phase.straightAfter) await pause(between(1000, 3000), done);
      if (done()) return;
      for (const [endpoint, fault] of Object.entries(phase.faults)) await emulator.setFault(endpoint as EmulatorEndpoint, fault);
      record.faultPhases.push(phase.name);
      await pause(phase.ms, done);
      await emulator.clearFaults();
    }
  } finally {
    await emulator.clearFaults();
  }
}
