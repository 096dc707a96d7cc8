/**
 * Scenario 1, pass-through: the same Express app (express-session with its memory store, passport
 * session) with and without express-bindid mounted (router + middleware), on `GET /`, for an
 * anonymous and a logged-in user. Runs alternate without/with.
 *
 * @module
 */
import type { Chart, ChartBar } from '../lib/chart.js';
import { cookieOf, request } from '../lib/http.js';
import { type LoadResult, runLoad, unexpected } from '../lib/load.js';
import { num, range, type Section, type TargetCheck } from '../lib/report.js';
import { ALL_CPUS, canPin, pin } from '../lib/pin.js';
import { type Spread, spread } from '../lib/stats.js';
import type { Child } from '../lib/children.js';
import { type BenchContext, profiled, urlOf } from './context.js';

interface PassRun {
  load: LoadResult;
  /** App CPU per request, µs. */
  cpuUs: number;
}

/** The target of both ratios, anonymous and logged-in (issue 16). */
const TARGET_RATIO = 0.99;
/** The target of the library's own cost, as a share of the bare app's CPU per request. */
const TARGET_SHARE = 0.01;

export async function passThrough(ctx: BenchContext): Promise<Section> {
  const apps = [
    { label: 'without express-bindid', app: ctx.apps.plain },
    { label: 'with express-bindid', app: ctx.apps.library },
  ] as const;
  const pinned = ctx.pin && canPin();
  const pids = apps.map(({ app }) => app.info.pid as number);
  if (pinned) {
    pin(process.pid, '0');
    for (const pid of pids) pin(pid, '1');
  }
  try {
    return await measure(ctx, apps, pinned);
  } finally {
    if (pinned) for (const pid of [process.pid, ...pids]) pin(pid, ALL_CPUS);
  }
}

type Apps = readonly { label: string; app: Child }[];

async function measure(ctx: BenchContext, apps: Apps, pinned: boolean): Promise<Section> {
  const { runs, seconds, warmSeconds, connections } = ctx.config.passThrough;
  const rows: string[][] = [];
  const targets: TargetCheck[] = [];
  const figures: number[] = [];
  const bars: { title: string; bars: ChartBar[] }[] = [];
  const bareCpuUs = new Map<string, number>();

  for (const user of ['anonymous', 'logged-in'] as const) {
    const headers = await Promise.all(
      apps.map(async ({ app }) => {
        if (user === 'anonymous') return {};
        const login = await request(`${urlOf(app)}/__bench/login`, { method: 'POST' });
        return { cookie: cookieOf(login) };
      }),
    );
    const load = async (i: number, duration: number, profile?: string): Promise<PassRun> => {
      const { app } = apps[i]!;
      const before = await app.stats();
      const run = () => runLoad({ url: `${urlOf(app)}/`, connections, duration, headers: headers[i] as Record<string, string> });
      const result = profile ? await profiled(ctx, app, profile, run) : await run();
      const after = await app.stats();
      return { load: result, cpuUs: (after.cpuMicros - before.cpuMicros) / result.count };
    };
    if (warmSeconds > 0) for (const i of [0, 1]) await load(i, warmSeconds);

    const results: PassRun[][] = [[], []];
    for (let run = 0; run < runs; run++) {
      for (const i of [0, 1]) {
        ctx.log(`pass-through ${user}: run ${run + 1}/${runs} ${apps[i]!.label}`);
        const result = await load(i, seconds, `passthrough-${user}-${i === 0 ? 'without' : 'with'}-${run + 1}`);
        if (unexpected(result.load, [200]) > 0) throw new Error(`pass-through ${user}: ${JSON.stringify(result.load.statuses)}`);
        results[i]!.push(result);
      }
    }
    const ratio = spread(results[1]!.map((withLib, run) => withLib.load.rps / results[0]![run]!.load.rps));
    const cpuRatio = spread(results[1]!.map((withLib, run) => results[0]![run]!.cpuUs / withLib.cpuUs));
    for (const i of [0, 1]) {
      const rps = spread(results[i]!.map((r) => r.load.rps));
      const p99 = spread(results[i]!.map((r) => r.load.latency.p99));
      const cpu = spread(results[i]!.map((r) => r.cpuUs));
      figures.push(rps.median, p99.median, cpu.median);
      rows.push([
        user,
        apps[i]!.label,
        range(rps),
        range(p99, 2),
        range(cpu, 0),
        i === 1 ? range(ratio, 3) : '',
        i === 1 ? range(cpuRatio, 3) : '',
      ]);
    }
    figures.push(ratio.median, cpuRatio.median);
    bareCpuUs.set(user, spread(results[0]!.map((r) => r.cpuUs)).median);
    const check = (what: string, s: Spread): TargetCheck => ({
      target: `pass-through, ${user}: ${what} ≥ ${TARGET_RATIO}`,
      measured: `${num(s.median, 3)} (${num(s.min, 3)}–${num(s.max, 3)})`,
      met: s.median >= TARGET_RATIO,
    });
    targets.push(check('req/s with ÷ without', ratio), check('app CPU per request without ÷ with', cpuRatio));
    bars.push({
      title: user,
      bars: [
        { label: 'req/s with ÷ without', value: ratio, target: TARGET_RATIO },
        { label: 'CPU per request without ÷ with', value: cpuRatio, target: TARGET_RATIO },
      ],
    });
  }
  const inProcess = await inProcessCost(ctx, bareCpuUs, pinned);
  targets.push(...inProcess.targets);
  figures.push(...inProcess.figures);
  const chart: Chart = {
    name: 'passthrough',
    title: 'Pass-through (GET /): the app with express-bindid against the app without',
    subtitle: `median of ${runs} alternating pairs, min–max whiskers; 1: no cost; dashed: target ${TARGET_RATIO}`,
    groups: bars,
  };

  return {
    chart,
    title: '1. Pass-through (`GET /`)',
    method: [
      `The same Express 5 app (express-session with its MemoryStore, \`passport.initialize()\`, \`passport.session()\`), ` +
        `in two processes: without the library, and with \`bindIdRouter\` and a \`sendAuthenticationPerformed\` route ` +
        `mounted before \`GET /\`. autocannon, ${connections} connections, ${seconds} s per run after a ${warmSeconds} s ` +
        `warm-up, ${runs} runs alternating without/with. The logged-in user sends a session cookie of a passport login. ` +
        `Ratios per pair of adjacent runs: req/s with ÷ without (the target), and app CPU time per request ` +
        `without ÷ with (\`process.cpuUsage()\` of the app around each run: less sensitive to other load on the machine).`,
      pinned
        ? 'To narrow the spread, the load generator (this process, autocannon) runs pinned to CPU 0 and the two ' +
          'apps to CPU 1 (`taskset -a -p -c`, every thread), so that the generator and the app under test no ' +
          'longer take turns on one core; the other processes are idle during this scenario.'
        : 'The processes were not pinned to CPUs (`--no-pin`, or no `taskset`, or one CPU): they share the CPUs.',
      ...inProcess.method,
    ],
    tables: [
      {
        title: 'Pass-through',
        headers: ['user', 'app', 'req/s', 'p99 ms', 'app CPU µs/req', 'req/s with ÷ without', 'CPU/req without ÷ with'],
        rows,
      },
      inProcess.table,
    ],
    targets,
    figures,
  };
}

/** Point 3 of issue 16: the handler's own cost, in process (bench/servers/inprocess.ts). */
async function inProcessCost(ctx: BenchContext, bareCpuUs: Map<string, number>, pinned: boolean) {
  const { inProcessCalls: calls, inProcessRounds: rounds } = ctx.config.passThrough;
  const child = await ctx.startChild('in-process pass-through', 'inprocess', {});
  if (pinned) pin(child.info.pid as number, '1');
  const rows: string[][] = [];
  const targets: TargetCheck[] = [];
  const figures: number[] = [];
  for (const user of ['anonymous', 'logged-in'] as const) {
    ctx.log(`pass-through in process, ${user}: ${rounds} × ${calls.toLocaleString('en-US')} calls`);
    const m = await child.call<{ handler: Spread; empty: Spread; net: Spread }>('measure', { user, calls, rounds });
    const bare = (bareCpuUs.get(user) ?? Number.NaN) * 1000;
    const share = { ...m.net, median: m.net.median / bare, min: m.net.min / bare, max: m.net.max / bare };
    figures.push(m.handler.median, m.empty.median, m.net.median, share.median);
    rows.push([user, range(m.handler, 1), range(m.empty, 1), range(m.net, 1), num(bare / 1000, 0), `${num(share.median * 100, 3)} %`]);
    targets.push({
      target: `pass-through in process, ${user}: the handler's own cost ≤ 1 % of the bare app's CPU per request`,
      measured: `${num(m.net.median, 1)} ns = ${num(share.median * 100, 3)} %`,
      met: share.median <= TARGET_SHARE,
    });
  }
  return {
    rows,
    targets,
    figures,
    table: {
      title: `The handler's own cost per pass-through request, in process (${rounds} rounds of ${calls.toLocaleString('en-US')} calls)`,
      headers: ['user', 'bindIdRouter handler ns/call', 'empty handler ns/call', 'own cost ns/call', 'bare app CPU µs/req', 'share of the bare app'],
      rows,
    },
    method: [
      "**In process**: the handler `app.use(bindIdRouter(...))` mounts, called directly with the `req` and `res` of a " +
        'real `GET /` of the same app as they reach it (session loaded, passport user deserialized for the ' +
        "logged-in user, URL already parsed by Express's router), `process.hrtime.bigint()` around " +
        `${calls.toLocaleString('en-US')} calls, and around as many calls of an empty handler \`(req, res, next) => next()\` ` +
        `on the same objects, alternating, ${rounds} rounds, in a process of its own${pinned ? ' pinned to CPU 1' : ''}. ` +
        "The handler's own cost is the difference; its share is that over the app without the library's CPU " +
        'time per request from the end-to-end runs above.',
    ],
  };
}
