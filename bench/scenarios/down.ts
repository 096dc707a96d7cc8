/**
 * Scenario 3, BindID slow or down: the emulator's `/session-feedback` answers 503, hangs, or answers
 * after 2 s, and confirmations go through the router with the configured deadline. For each fault:
 * confirm latency, memory and handles before and after the failed confirmations (garbage-collected
 * both times), and a parallel `GET /healthz` probe from its own process.
 *
 * Failed confirmations keep their pending login (fail closed, retry allowed), so each autocannon
 * connection re-submits one seeded session.
 *
 * @module
 */
import type { Fault } from 'express-bindid/emulator';
import { type LoadResult, runLoad, unexpected } from '../lib/load.js';
import { mib, num, range, type Section, type TargetCheck } from '../lib/report.js';
import type { ProcessStats } from '../lib/rpc.js';
import { type LatencySummary, spread } from '../lib/stats.js';
import { type BenchContext, urlOf } from './context.js';
import { confirmRequest, type SeededSession, seedSessions } from './seed.js';

interface FaultCase {
  key: 'status' | 'hang' | 'delay';
  label: string;
  fault: Fault;
  connections: number;
}

export async function bindIdDown(ctx: BenchContext): Promise<Section> {
  const { runs, perFault, deadlineMs, probeIntervalMs, connections } = ctx.config.down;
  const app = ctx.apps.library;
  const origin = app.info.baseUrl as string;
  const cases: FaultCase[] = [
    { key: 'status', label: '503 (no Retry-After)', fault: { status: 503 }, connections: connections.status },
    { key: 'hang', label: 'hang', fault: { hang: true }, connections: connections.hang },
    { key: 'delay', label: '2 s delay', fault: { delayMs: 2000 }, connections: connections.delay },
  ];
  const sessions = await seedSessions(app, Math.max(...cases.map((c) => c.connections)), '/bindid/confirm');

  const latencyRows: string[][] = [];
  const resourceRows: string[][] = [];
  const targets: TargetCheck[] = [];
  const figures: number[] = [];
  for (const c of cases) {
    await ctx.emulator.call('setFault', { endpoint: 'session-feedback', fault: c.fault });
    const before = await app.call<ProcessStats>('gc');
    await app.call('resetLoop');
    await ctx.probe.call('start', { url: urlOf(app), intervalMs: probeIntervalMs });
    const results: LoadResult[] = [];
    for (let run = 0; run < runs; run++) {
      ctx.log(`down: ${c.key} run ${run + 1}/${runs}`);
      results.push(await confirmFailures(urlOf(app), origin, sessions, c.connections, Math.ceil(perFault / runs)));
    }
    const healthz = await ctx.probe.call<LatencySummary & { errors: number }>('stop');
    const during = await app.stats();
    await ctx.emulator.call('setFault', { endpoint: 'session-feedback', fault: null });
    const after = await settled(app.call.bind(app));

    const failed = results.reduce((n, r) => n + r.count, 0);
    const other = results.reduce((n, r) => n + unexpected(r, [503]), 0);
    const p50 = spread(results.map((r) => r.latency.p50));
    const p99 = spread(results.map((r) => r.latency.p99));
    const max = Math.max(...results.map((r) => r.latency.max));
    const rssGrowth = after.rss - before.rss;
    figures.push(p50.median, p99.median, healthz.p99, after.rss, before.rss);
    latencyRows.push([
      c.label,
      String(c.connections),
      num(failed, 0),
      String(other),
      range(p50, 0),
      range(p99, 0),
      num(max, 0),
      `${num(healthz.p50, 1)} / ${num(healthz.p99, 1)} (${num(healthz.count, 0)} probes)`,
      `${num(during.loopDelay.p99, 1)} / ${num(during.loopDelay.max, 0)}`,
    ]);
    resourceRows.push([
      c.label,
      `${mib(before.rss)} → ${mib(after.rss)} (${rssGrowth >= 0 ? '+' : ''}${mib(rssGrowth)})`,
      `${mib(before.heapUsed)} → ${mib(after.heapUsed)}`,
      `${before.resources.Timeout ?? 0} → ${after.resources.Timeout ?? 0}`,
      `${before.clientSocketsOpen} → ${after.clientSocketsOpen}`,
      `${before.clientRequestsInFlight} → ${after.clientRequestsInFlight}`,
      `${before.resources.TCPSocketWrap ?? 0} → ${after.resources.TCPSocketWrap ?? 0}`,
    ]);
    targets.push({
      target: `BindID down (${c.label}): confirm p99 ≤ deadline + 100 ms = ${deadlineMs + 100} ms`,
      measured: `${num(p99.median, 0)} ms (${num(p99.min, 0)}–${num(p99.max, 0)})`,
      met: p99.median <= deadlineMs + 100,
    });
    targets.push({
      target: `BindID down (${c.label}): RSS growth over ${num(failed, 0)} failed confirmations ≤ 20 MB`,
      measured: `${rssGrowth >= 0 ? '+' : ''}${mib(rssGrowth)}`,
      met: rssGrowth <= 20 * 1024 * 1024,
    });
  }

  return {
    title: '3. BindID slow or down',
    method: [
      `The router's \`POST /bindid/confirm\`, with the library's \`SessionFeedbackClient\` configured with ` +
        `\`timeoutMs: ${deadlineMs}\` (the deadline; retries and backoff at their defaults: 2 retries, ` +
        `100–2000 ms full jitter). The emulator's \`/session-feedback\` gets one fault at a time. A failed ` +
        `confirmation keeps its pending login, so each connection re-submits one seeded session; the expected ` +
        `answer is the confirm page with 503. ${num(perFault, 0)} failed confirmations per fault in ${runs} runs.`,
      `Memory and handles are read after a forced GC (\`--expose-gc\`) before the first and after the last run ` +
        `(after the in-flight outgoing requests settled). \`/healthz\` is probed every ${probeIntervalMs} ms over ` +
        `one keep-alive connection by a separate process during all runs of the fault; the event-loop delay is ` +
        `the app's own \`monitorEventLoopDelay\`. The library keeps no outbox (a report that fails fails the ` +
        `confirmation, fail closed): what could pile up is outgoing requests queued in its agent, counted as ` +
        `"in-flight requests".`,
    ],
    tables: [
      {
        title: 'Confirm latency with BindID failing',
        headers: ['fault', 'conns', 'failed confirmations', 'other statuses', 'p50 ms', 'p99 ms', 'max ms', 'healthz p50 / p99 ms', 'loop delay p99 / max ms'],
        rows: latencyRows,
      },
      {
        title: 'Resources before → after (after GC)',
        headers: ['fault', 'RSS', 'heap used', 'timers', 'outgoing sockets', 'in-flight requests', 'TCP handles'],
        rows: resourceRows,
      },
    ],
    targets,
    figures,
  };
}

/** `amount` confirmations that BindID fails, each connection re-submitting its own seeded session. */
function confirmFailures(
  url: string,
  origin: string,
  sessions: SeededSession[],
  connections: number,
  amount: number,
): Promise<LoadResult> {
  let next = 0;
  return runLoad({
    url,
    connections,
    amount,
    timeout: 30,
    perConnection: () => confirmRequest('/bindid/confirm', origin, sessions[next++ % sessions.length]!),
  });
}

/** Stats once the outgoing requests have settled (at most 5 s), after a GC. */
async function settled(call: <T>(method: string) => Promise<T>): Promise<ProcessStats> {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    const stats = await call<ProcessStats>('stats');
    if (stats.clientRequestsInFlight === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  return call<ProcessStats>('gc');
}
