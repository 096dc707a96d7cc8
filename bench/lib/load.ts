/**
 * One measured run of load: autocannon against a URL, with each response's latency recorded at
 * full precision (autocannon's own histogram keeps whole milliseconds) and counted by status.
 *
 * @module
 */
import autocannon, { type Client, type Request } from 'autocannon';
import { type LatencySummary, summarize } from './stats.js';

/** What one run measured. */
export interface LoadResult {
  /** Responses received. */
  count: number;
  /** Wall time of the run, s. */
  seconds: number;
  /** Responses per second. */
  rps: number;
  /** Latency of every response, whatever its status. */
  latency: LatencySummary;
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  url: string;
  connections: number;
  /** Run for this many seconds... */
  duration?: number;
  /** ...or until this many responses. */
  amount?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Build each request (for one session per request). */
  setupRequest?: (request: Request) => Request | undefined;
  /** Build the one request each connection repeats (for one session per connection). */
  perConnection?: () => Request;
  /** Give each connection its own request builder (for sessions re-submitted in turn by one connection). */
  perClient?: () => () => Request;
  /** Checked after each response: when it answers true, the run stops (before `duration` or `amount`). */
  stopWhen?: () => boolean;
  /** Per-request timeout, s (autocannon's default: 10). */
  timeout?: number;
  /**
   * Split the connections over this many autocannon instances started `staggerMs` apart (each runs
   * `duration`), so that closed-loop connections do not all start, and then keep running, in lockstep.
   */
  stagger?: { instances: number; staggerMs: number };
}

interface RawRun {
  samples: number[];
  statuses: Record<string, number>;
  errors: number;
  started: number;
  ended: number;
}

/** Run autocannon once (or staggered instances of it, see {@link LoadOptions.stagger}) and summarize. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { stagger } = options;
  const raws = stagger
    ? await Promise.all(
        Array.from({ length: stagger.instances }, async (_, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * stagger.staggerMs));
          const connections = Math.floor(options.connections / stagger.instances) + (i < options.connections % stagger.instances ? 1 : 0);
          return runOnce({ ...options, connections });
        }),
      )
    : [await runOnce(options)];
  const samples = raws.flatMap((r) => r.samples);
  const statuses: Record<string, number> = {};
  for (const raw of raws) for (const [status, n] of Object.entries(raw.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  const seconds = (Math.max(...raws.map((r) => r.ended)) - Math.min(...raws.map((r) => r.started))) / 1000;
  return {
    count: samples.length,
    seconds,
    rps: samples.length / seconds,
    latency: summarize(samples),
    statuses,
    errors: raws.reduce((n, r) => n + r.errors, 0),
  };
}

async function runOnce(options: LoadOptions): Promise<RawRun> {
  const { perConnection, perClient } = options;
  const samples: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 5 }),
    timeout: options.timeout ?? 10,
    method: options.method ?? 'GET',
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.setupRequest ? { requests: [{ setupRequest: options.setupRequest }] } : {}),
    ...(perConnection ? { setupClient: (client: Client) => client.setRequests([perConnection()]) } : {}),
    ...(perClient
      ? {
          setupClient: (client: Client) => {
            const build = perClient();
            client.setRequests([{ setupRequest: () => build() }]);
          },
        }
      : {}),
  });
  let last = started;
  let stopped = false;
  instance.on('response', (client: Client, statusCode: number, _bytes: number, responseTime: number) => {
    last = performance.now();
    samples.push(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (options.stopWhen?.()) {
      // autocannon's own stop() only acts at its next 1 s tick; a closed connection sends no more
      // (it builds one last request, never answered). The run ends when every connection is closed.
      stopped = true;
      client.destroy();
    }
  });
  const result = await instance;
  // Up to the last response: with `amount`, autocannon only notices the end at its next 1 s tick.
  const ended = options.amount !== undefined || stopped ? last : performance.now();
  return { samples, statuses, errors: result.errors, started, ended };
}

/** How many responses of `run` had a status outside `expected`. */
export function unexpected(run: LoadResult, expected: readonly number[]): number {
  return Object.entries(run.statuses).reduce((n, [status, count]) => (expected.includes(Number(status)) ? n : n + count), 0);
}
