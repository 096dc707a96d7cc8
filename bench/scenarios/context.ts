/**
 * What every scenario gets: the configuration (full or smoke) and the running processes.
 *
 * @module
 */
import type { Child } from '../lib/children.js';

/** Sizes of one bench run. */
export interface BenchConfig {
  smoke: boolean;
  /** Pre-minted BindID logins per app process. */
  pool: number;
  passThrough: { runs: number; seconds: number; warmSeconds: number; connections: number };
  confirm: { runs: number; seconds: number; warmAmount: number; minAmount: number; connections: number };
  down: {
    runs: number;
    /** Failed confirmations per fault, over all its runs. */
    perFault: number;
    deadlineMs: number;
    probeIntervalMs: number;
    connections: { status: number; hang: number; delay: number };
  };
  emulator: { runs: number; seconds: number; connections: number };
}

/** The full bench: at least 3 alternating runs of everything, about 5 minutes on 2 cores. */
export const FULL: BenchConfig = {
  smoke: false,
  pool: 200,
  passThrough: { runs: 5, seconds: 4, warmSeconds: 2, connections: 16 },
  confirm: { runs: 3, seconds: 4, warmAmount: 1000, minAmount: 500, connections: 32 },
  down: {
    runs: 3,
    perFault: 10_000,
    deadlineMs: 1000,
    probeIntervalMs: 20,
    connections: { status: 64, hang: 400, delay: 400 },
  },
  emulator: { runs: 3, seconds: 4, connections: 16 },
};

/** The smoke bench for CI: one tiny run of everything, seconds in all. Checks that it runs and gives numbers. */
export const SMOKE: BenchConfig = {
  smoke: true,
  pool: 8,
  passThrough: { runs: 1, seconds: 0.5, warmSeconds: 0, connections: 4 },
  confirm: { runs: 1, seconds: 0.2, warmAmount: 20, minAmount: 20, connections: 4 },
  down: {
    runs: 1,
    perFault: 40,
    deadlineMs: 1000,
    probeIntervalMs: 20,
    connections: { status: 8, hang: 20, delay: 20 },
  },
  emulator: { runs: 1, seconds: 0.5, connections: 4 },
};

/** The running processes and what the scenarios need to know about them. */
export interface BenchContext {
  config: BenchConfig;
  emulator: Child;
  /** The emulator's URLs and client. */
  bindid: { issuer: string; apiUrl: string; clientId: string; clientSecret: string };
  apps: { plain: Child; library: Child; baseline: Child };
  probe: Child;
  /** A progress line on stderr. */
  log: (line: string) => void;
}

/** `http://127.0.0.1:<port>` of an app process. */
export function urlOf(app: Child): string {
  return app.info.url as string;
}
