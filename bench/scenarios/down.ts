/**
 * Scenario 3, BindID slow or down: the emulator's `/session-feedback` answers 503, hangs, or answers
 * after 2 s, and confirmations go through the router with the configured deadline. For each fault:
 *
 * - latency: confirm p50/p99 at a moderate concurrency, against the deadline;
 * - endurance: 10,000 failed confirmations at a high concurrency, with memory and handles read
 *   (after a forced GC) before, after each part, and at the end.
 *
 * During both, a separate process probes `GET /healthz`, and the app reports its event-loop delay.
 * Each failed confirmation uses its own seeded session; sessions share a token no more often than
 * the library's attempt guard allows attempts per token.
 *
 * @module
 */
import type { Fault } from 'express-bindid/emulator';
import type { Chart, ChartBar } from '../lib/chart.js';
import type { Child } from '../lib/children.js';
import { type LoadOptions, type LoadResult, runLoad, unexpected } from '../lib/load.js';
import { mib, num, range, type Section, type TargetCheck } from '../lib/report.js';
import type { ProcessStats } from '../lib/rpc.js';
import { type LatencySummary, spread } from '../lib/stats.js';
import { type BenchContext, collect, profiled, urlOf } from './context.js';
import { ATTEMPTS_PER_TOKEN } from '../lib/tokens.js';
import { confirmRequest, type SeededSession, seedSessions } from './seed.js';

interface FaultCase {
  key: 'status' | 'hang' | 'delay';
  label: string;
  fault: Fault;
}

const CASES: FaultCase[] = [
  { key: 'status', label: '503 (no Retry-After)', fault: { status: 503 } },
  { key: 'hang', label: 'hang', fault: { hang: true } },
  { key: 'delay', label: '2 s delay', fault: { delayMs: 2000 } },
];

type Probe = LatencySummary & { errors: number };

/** Whether the confirmations go through the router without (`off`) or with the default circuit breaker. */
type Breaker = 'off' | 'on';
/** The library app mounts the router twice (bench/servers/app.ts): without the breaker, and with it under /cb. */
const CONFIRM_PATH: Record<Breaker, string> = { off: '/bindid/confirm', on: '/cb/bindid/confirm' };

/** Latency runs spread their connections over this many autocannon instances, started deadline/STAGGER apart. */
const STAGGER = 4;

export async function bindIdDown(ctx: BenchContext): Promise<Section> {
  const d = ctx.config.down;
  const app = ctx.apps.library;
  const origin = app.info.baseUrl as string;
  /** Sessions for `attempts` failed confirmations (and a reserve for the requests in flight at the end), 5 per token. */
  const supply = async (attempts: number, connections: number): Promise<Supply> =>
    new Supply(
      await seedSessions(app, attempts + 3 * connections, {
        minter: ctx.minterOf(app),
        sessionsPerToken: ATTEMPTS_PER_TOKEN,
        confirmPage: '/bindid/confirm',
      }),
      2 * connections,
    );
  /** Confirmations that fail, through the router without the circuit breaker or (`/cb`) with the default one. */
  const failures = async (sessions: Supply, options: Omit<LoadOptions, 'url' | 'setupRequest' | 'stopWhen'>, breaker: Breaker = 'off'): Promise<LoadResult> => {
    const result = await runLoad({
      url: urlOf(app),
      timeout: 30,
      setupRequest: () => confirmRequest(CONFIRM_PATH[breaker], origin, sessions.take()),
      stopWhen: () => sessions.low(),
      ...options,
    });
    // Every answer must be BindID's outage (503): a refusal by the attempt guard or a 409 would be
    // another measure.
    const other = unexpected(result, [503]) + result.errors;
    if (other > 0) throw new Error(`down: ${other} of ${result.count} answers were not 503 (${JSON.stringify(result.statuses)}, ${result.errors} errors)`);
    return result;
  };
  /** Run `body` with the probe and the event-loop monitor on; answer what they saw. */
  const probed = async <T>(body: () => Promise<T>): Promise<{ result: T; healthz: Probe; loop: ProcessStats['loopDelay'] }> => {
    await app.call('loopStart');
    await ctx.probe.call('start', { url: urlOf(app), intervalMs: d.probeIntervalMs });
    const result = await body();
    const healthz = await ctx.probe.call<Probe>('stop');
    const { loopDelay } = await app.stats();
    await app.call('loopStop');
    return { result, healthz, loop: loopDelay };
  };

  const latencyRows: string[][] = [];
  const stressRows: string[][] = [];
  const memoryRows: string[][] = [];
  const handleRows: string[][] = [];
  const targets: TargetCheck[] = [];
  const figures: number[] = [];
  const bars: ChartBar[] = [];
  for (const c of CASES) {
    await ctx.emulator.call('setFault', { endpoint: 'session-feedback', fault: c.fault });

    // Latency at a moderate concurrency: every confirmation waits for BindID (no breaker), then the
    // same with the default circuit breaker, which fails a known outage at once.
    for (const breaker of ['off', 'on'] as const) {
      const sessions = await supply(d.runs * d.latencyAttempts, d.connections);
      const latency = await probed(async () => {
        const runs: LoadResult[] = [];
        const cpu: number[] = [];
        for (let run = 0; run < d.runs; run++) {
          ctx.log(`down: ${c.key} latency run ${run + 1}/${d.runs}, circuit breaker ${breaker}`);
          const before = await app.stats();
          const result = await profiled(ctx, app, `down-${c.key}-breaker-${breaker}-${run + 1}`, () =>
            failures(
              sessions.limit(d.latencyAttempts),
              { connections: d.connections, duration: d.seconds, stagger: { instances: STAGGER, staggerMs: d.deadlineMs / STAGGER } },
              breaker,
            ),
          );
          cpu.push(((await app.stats()).cpuMicros - before.cpuMicros) / 1000 / result.count);
          runs.push(result);
        }
        return { runs, cpu: spread(cpu) };
      });
      const { runs: latencyRuns, cpu } = latency.result;
      const p50 = spread(latencyRuns.map((r) => r.latency.p50));
      const p99 = spread(latencyRuns.map((r) => r.latency.p99));
      latencyRows.push([
        c.label,
        breaker === 'off' ? 'off' : 'on (default)',
        String(d.connections),
        num(latencyRuns.reduce((n, r) => n + r.count, 0), 0),
        String(latencyRuns.reduce((n, r) => n + unexpected(r, [503]), 0)),
        range(p50, 0),
        range(p99, 0),
        num(Math.max(...latencyRuns.map((r) => r.latency.max)), 0),
        range(cpu, 2),
        `${num(latency.healthz.p50, 1)} / ${num(latency.healthz.p99, 1)}`,
        `${num(latency.loop.p99, 1)} / ${num(latency.loop.max, 0)}`,
      ]);
      targets.push({
        target: `BindID down (${c.label}), circuit breaker ${breaker === 'off' ? 'off' : 'on (default)'}: confirm p99 ≤ deadline + 100 ms = ${d.deadlineMs + 100} ms`,
        measured: `${num(p99.median, 0)} ms (${num(p99.min, 0)}–${num(p99.max, 0)})`,
        met: p99.median <= d.deadlineMs + 100,
      });
      figures.push(p50.median, p99.median, latency.healthz.p99);
      bars.push({
        label: `${c.label}, breaker ${breaker}`,
        value: spread(latencyRuns.map((r) => r.latency.p99 / (d.deadlineMs + 100))),
        target: 1,
      });
    }

    // Endurance: perFault failed confirmations at a high concurrency, memory read between parts,
    // after a warm-up at the same concurrency (its high-water mark is reported, not counted as growth).
    const connections = d.stressConnections[c.key];
    const warmAmount = Math.max(connections, Math.ceil(d.perFault / 10));
    const perPart = Math.ceil(d.perFault / d.parts);
    // Seeded before the first reading, so that the sessions the bench adds are not counted as growth.
    const sessions = await supply(warmAmount + d.parts * perPart, connections);
    const cold = await settled(ctx, app);
    ctx.log(`down: ${c.key} endurance warm-up`);
    await failures(sessions, { connections, amount: warmAmount });
    const marks: ProcessStats[] = [await settled(ctx, app)];
    const stress = await probed(async () => {
      const runs: LoadResult[] = [];
      for (let part = 0; part < d.parts; part++) {
        ctx.log(`down: ${c.key} endurance part ${part + 1}/${d.parts}`);
        runs.push(await failures(sessions, { connections, amount: perPart }));
        marks.push(await settled(ctx, app));
      }
      return runs;
    });
    await ctx.emulator.call('setFault', { endpoint: 'session-feedback', fault: null });
    const before = marks[0] as ProcessStats;
    const after = marks[marks.length - 1] as ProcessStats;
    const failed = stress.result.reduce((n, r) => n + r.count, 0);
    const rssGrowth = after.rss - before.rss;
    // Least-squares slope of RSS over the marks, per 10,000 failed confirmations: a leak shows as a
    // steady slope; allocator noise moves single readings by several MiB either way.
    const slope = 10_000 * leastSquaresSlope(marks.map((m, i) => [i * perPart, m.rss]));
    stressRows.push([
      c.label,
      String(connections),
      num(failed, 0),
      String(stress.result.reduce((n, r) => n + unexpected(r, [503]), 0)),
      range(spread(stress.result.map((r) => r.latency.p50)), 0),
      range(spread(stress.result.map((r) => r.latency.p99)), 0),
      `${num(stress.healthz.p50, 1)} / ${num(stress.healthz.p99, 1)}`,
      `${num(stress.loop.p99, 1)} / ${num(stress.loop.max, 0)}`,
    ]);
    const series = (f: (s: ProcessStats) => number) => marks.map((m) => num(f(m) / 2 ** 20, 1)).join(' → ');
    memoryRows.push([
      c.label,
      num(cold.rss / 2 ** 20, 1),
      `${series((m) => m.rss)} (${rssGrowth >= 0 ? '+' : ''}${num(rssGrowth / 2 ** 20, 1)})`,
      `${slope >= 0 ? '+' : ''}${num(slope / 2 ** 20, 1)}`,
      series((m) => m.heapUsed),
      series((m) => m.heapTotal),
      series((m) => m.external),
    ]);
    const handles = (f: (s: ProcessStats) => number) => `${f(before)} → ${f(after)}`;
    handleRows.push([
      c.label,
      handles((s) => s.resources.Timeout ?? 0),
      handles((s) => s.clientSocketsOpen),
      handles((s) => s.clientRequestsInFlight),
      handles((s) => s.resources.TCPSocketWrap ?? 0),
    ]);
    targets.push({
      target: `BindID down (${c.label}): RSS growth over ${num(failed, 0)} failed confirmations ≤ 20 MB`,
      measured: `${rssGrowth >= 0 ? '+' : ''}${mib(rssGrowth)}`,
      met: rssGrowth <= 20 * 1024 * 1024,
    });
    figures.push(stress.healthz.p99, before.rss, after.rss, slope);
  }

  const chart: Chart = {
    name: 'down',
    title: 'BindID down: confirm p99 against its limit (deadline + 100 ms)',
    subtitle: `p99 ÷ limit, median of ${d.runs} runs, min–max whiskers; ≤ 1: within the limit`,
    groups: [{ title: 'confirm latency with BindID failing', bars }],
    lowerIsBetter: true,
  };
  return {
    chart,
    title: '3. BindID slow or down',
    method: [
      `The router's \`POST /bindid/confirm\`, with the library's \`SessionFeedbackClient\` configured with ` +
        `\`timeoutMs: ${d.deadlineMs}\` (the deadline; retries and backoff at their defaults: 2 retries, ` +
        `100–2000 ms full jitter) and \`circuitBreaker: false\`, so that every failed confirmation waits for ` +
        `BindID, up to the deadline: the targets are on these runs, and the endurance run uses it too. The ` +
        `latency table also shows the same router with the default circuit breaker (open after 5 consecutive ` +
        `outages, a probe every 30 s; mounted under \`/cb\`), where a known outage fails at once without ` +
        `network I/O. The emulator's \`/session-feedback\` gets one fault at a time. A failed ` +
        `confirmation keeps its pending login, but each attempt here is a session of its own, seeded before the ` +
        `run with a freshly minted token, ${ATTEMPTS_PER_TOKEN} sessions per token (the attempts the library's ` +
        `guard allows per token); the expected answer is the confirm page with 503, and any other stops the ` +
        `bench. A latency run ends after ${d.seconds} s or ${num(d.latencyAttempts, 0)} ` +
        `confirmations, whichever comes first (with the circuit breaker open, failures are fast: the sessions ` +
        `for ${d.seconds} s of them would take longer to mint than the run).`,
      `**Latency**: ${d.runs} runs of ${d.seconds} s at ${d.connections} connections per fault, split over ` +
        `${STAGGER} autocannon instances started ${d.deadlineMs / STAGGER} ms apart. (Closed-loop connections that ` +
        `start together stay in lockstep when every request takes the deadline: they all time out in the same ` +
        `millisecond and their answers queue behind each other, which measures the burst, not the deadline; ` +
        `users do not arrive in lockstep.) **Endurance**: after a warm-up of ${num(d.perFault / 10, 0)} failed ` +
        `confirmations, ${num(d.perFault, 0)} more in ${d.parts} parts, at a concurrency high enough to finish in ` +
        `seconds, in lockstep (so its latencies show bursts of that many simultaneous failures).`,
      `Memory is read once the outgoing requests settled, after a forced GC (\`--expose-gc\`, twice, 0.5 s ` +
        `apart): before the warm-up, before the endurance run (after the warm-up: a first burst at a new ` +
        `concurrency raises RSS once, by its high-water mark, which is not growth), and after each part; MiB. ` +
        `The target is on end − before; the trend is the least-squares slope over all the readings. ` +
        `\`/healthz\` is probed every ` +
        `${d.probeIntervalMs} ms over one keep-alive connection by a separate process; the event-loop delay is the ` +
        `app's own \`monitorEventLoopDelay\`. The library keeps no outbox (a report that fails fails the ` +
        `confirmation: fail closed); what could pile up is outgoing requests queued in its agent, counted as ` +
        `"in-flight requests" (\`http.client.request.start\` until \`close\`).`,
    ],
    tables: [
      {
        title: 'Confirm latency with BindID failing',
        headers: ['fault', 'circuit breaker', 'conns', 'confirmations', 'other statuses', 'p50 ms', 'p99 ms', 'max ms', 'app CPU ms/conf', 'healthz p50 / p99 ms', 'loop delay p99 / max ms'],
        rows: latencyRows,
      },
      {
        title: 'Endurance: failed confirmations at high concurrency',
        headers: ['fault', 'conns', 'failed confirmations', 'other statuses', 'p50 ms', 'p99 ms', 'healthz p50 / p99 ms', 'loop delay p99 / max ms'],
        rows: stressRows,
      },
      {
        title: 'Memory during the endurance run (MiB, after GC: before → after each part)',
        headers: ['fault', 'RSS before warm-up', 'RSS (end − before)', 'RSS trend per 10,000', 'heap used', 'heap total', 'external'],
        rows: memoryRows,
      },
      {
        title: 'Handles before → after the endurance run',
        headers: ['fault', 'timers', 'outgoing sockets', 'in-flight requests', 'TCP handles'],
        rows: handleRows,
      },
    ],
    targets,
    figures,
  };
}

/** Stats once the outgoing requests have settled (at most 5 s), after a GC. */
async function settled(ctx: BenchContext, app: Child): Promise<ProcessStats> {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    const stats = await app.stats();
    if (stats.clientRequestsInFlight === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return collect(ctx, app);
}

/** Least-squares slope of y over x. */
function leastSquaresSlope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/**
 * Seeded sessions, one attempt each; {@link ATTEMPTS_PER_TOKEN} sessions share a token, the attempts
 * the library's guard allows per token. (Re-submitting one session is no way to count failures: a
 * failure the library does not deem retryable keeps the confirmation claimed, and the next try is a
 * 409.) A run stops when fewer than `reserve` sessions are left (the connections still get real
 * ones while they close).
 */
class Supply {
  #next = 0;
  #until: number;

  constructor(
    private readonly sessions: readonly SeededSession[],
    private readonly reserve: number,
  ) {
    this.#until = sessions.length;
  }

  /** The next attempt's session. */
  take(): SeededSession {
    const session = this.sessions[this.#next++];
    if (!session) throw new Error('down: the seeded sessions are used up');
    return session;
  }

  /** Whether the run should stop: fewer than `reserve` sessions left before its limit. */
  low(): boolean {
    return this.#next + this.reserve >= this.#until;
  }

  /** The same sessions, for a run of about `attempts` more attempts at most (a latency run). */
  limit(attempts: number): Supply {
    this.#until = Math.min(this.sessions.length, this.#next + attempts + this.reserve);
    return this;
  }
}
