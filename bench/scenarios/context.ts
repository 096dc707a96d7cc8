/**
 * What every scenario gets: the configuration (full or smoke) and the running processes.
 *
 * @module
 */
import path from 'node:path';
import type { Child } from '../lib/children.js';
import type { ProcessStats } from '../lib/rpc.js';
import type { LoginMinter } from '../lib/tokens.js';

/** Sizes of one bench run. */
export interface BenchConfig {
  smoke: boolean;
  /** Wait between the two forced GCs before memory is read, ms. */
  gcSettleMs: number;
  /** End to end: `runs` pairs of `seconds`; in process: `inProcessRounds` rounds of `inProcessCalls` calls. */
  passThrough: { runs: number; seconds: number; warmSeconds: number; connections: number; inProcessCalls: number; inProcessRounds: number };
  /** Each run: `minAmount` confirmations at least, about `seconds` of the variant's pace measured by a warm-up of `warmAmount` (0: no warm-up). */
  confirm: { runs: number; seconds: number; warmAmount: number; minAmount: number; connections: number };
  down: {
    deadlineMs: number;
    probeIntervalMs: number;
    /** Latency: `runs` runs of `seconds` (or `latencyAttempts` confirmations, if fewer) at `connections` concurrent confirmations. */
    runs: number;
    latencyAttempts: number;
    seconds: number;
    connections: number;
    /** Endurance: this many failed confirmations per fault, in `parts` parts, at `stressConnections`. */
    perFault: number;
    parts: number;
    stressConnections: { status: number; hang: number; delay: number };
  };
  emulator: { runs: number; seconds: number; connections: number };
  /** Sign-ins: `runs` rounds of `seconds` per variant after `warmSeconds`, `connections` browsers, `users` returning users. */
  signin: { runs: number; seconds: number; warmSeconds: number; connections: number; users: number };
}

/** The full bench: at least 3 alternating runs of everything, about 5 minutes on 2 cores. */
export const FULL: BenchConfig = {
  smoke: false,
  gcSettleMs: 500,
  passThrough: { runs: 10, seconds: 5, warmSeconds: 2, connections: 16, inProcessCalls: 1_000_000, inProcessRounds: 5 },
  confirm: { runs: 3, seconds: 3, warmAmount: 600, minAmount: 500, connections: 32 },
  down: {
    deadlineMs: 1000,
    probeIntervalMs: 20,
    runs: 3,
    seconds: 5,
    latencyAttempts: 1000,
    connections: 32,
    perFault: 10_000,
    parts: 5,
    stressConnections: { status: 64, hang: 400, delay: 400 },
  },
  emulator: { runs: 3, seconds: 4, connections: 16 },
  signin: { runs: 5, seconds: 5, warmSeconds: 3, connections: 16, users: 200 },
};

/** The smoke bench for CI: one tiny run of everything, seconds in all. Checks that it runs and gives numbers. */
export const SMOKE: BenchConfig = {
  smoke: true,
  gcSettleMs: 0,
  passThrough: { runs: 1, seconds: 0.5, warmSeconds: 0, connections: 4, inProcessCalls: 10_000, inProcessRounds: 1 },
  confirm: { runs: 1, seconds: 0, warmAmount: 0, minAmount: 20, connections: 4 },
  down: {
    deadlineMs: 1000,
    probeIntervalMs: 20,
    runs: 1,
    seconds: 2.5,
    latencyAttempts: 200,
    connections: 4,
    perFault: 40,
    parts: 2,
    stressConnections: { status: 8, hang: 20, delay: 20 },
  },
  emulator: { runs: 1, seconds: 0.5, connections: 4 },
  signin: { runs: 1, seconds: 0.5, warmSeconds: 0, connections: 2, users: 4 },
};

/** The running processes and what the scenarios need to know about them. */
export interface BenchContext {
  config: BenchConfig;
  emulator: Child;
  /** The emulator's URLs and client. */
  bindid: { issuer: string; apiUrl: string; clientId: string; clientSecret: string };
  /** The apps; `library` and `baseline` report to the emulator over HTTP, `libraryTls` and `baselineTls` over HTTPS. */
  apps: { plain: Child; library: Child; baseline: Child; libraryTls: Child; baselineTls: Child };
  probe: Child;
  /** Each app's minter of BindID logins (its own range of the emulator's named identities). */
  minterOf: (app: Child) => LoginMinter;
  /** A progress line on stderr. */
  log: (line: string) => void;
  /** Where to write CPU profiles of the measured confirm runs (`--cpu-prof=DIR`), if anywhere. */
  profileDir?: string;
  /** Pin the pass-through scenario's load generator and apps to one CPU each (`--no-pin`: no). */
  pin: boolean;
  /** Start a child process of a scenario's own (counted as the bench's, stopped at the end). */
  startChild: (name: string, script: string, env: Record<string, string>) => Promise<Child>;
}

/** `http://127.0.0.1:<port>` of an app process. */
export function urlOf(app: Child): string {
  return app.info.url as string;
}

/** Run `body` under a CPU profile of `app` when `--cpu-prof` was given (the file is named `name`). */
export async function profiled<T>(ctx: BenchContext, app: Child, name: string, body: () => Promise<T>): Promise<T> {
  if (!ctx.profileDir) return body();
  await app.call('profileStart');
  try {
    return await body();
  } finally {
    await app.call('profileStop', path.join(ctx.profileDir, `${name}.cpuprofile`));
  }
}

/** Garbage-collect `app` (twice, `gcSettleMs` apart) and answer its stats. */
export function collect(ctx: BenchContext, app: Child): Promise<ProcessStats> {
  return app.call<ProcessStats>('gc', ctx.config.gcSettleMs);
}
