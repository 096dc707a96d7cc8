/**
 * Scenario 1, pass-through: the same Express app (express-session with its memory store, passport
 * session) with and without express-bindid mounted (router + middleware), on `GET /`, for an
 * anonymous and a logged-in user. Runs alternate without/with.
 *
 * @module
 */
import { cookieOf, request } from '../lib/http.js';
import { type LoadResult, runLoad, unexpected } from '../lib/load.js';
import { num, range, type Section, type TargetCheck } from '../lib/report.js';
import { spread } from '../lib/stats.js';
import { type BenchContext, profiled, urlOf } from './context.js';

interface PassRun {
  load: LoadResult;
  /** App CPU per request, µs. */
  cpuUs: number;
}

export async function passThrough(ctx: BenchContext): Promise<Section> {
  const { runs, seconds, warmSeconds, connections } = ctx.config.passThrough;
  const apps = [
    { label: 'without express-bindid', app: ctx.apps.plain },
    { label: 'with express-bindid', app: ctx.apps.library },
  ] as const;
  const rows: string[][] = [];
  const targets: TargetCheck[] = [];
  const figures: number[] = [];

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
    targets.push({
      target: `pass-through, ${user}: req/s with ≥ 0.98 × without`,
      measured: `${num(ratio.median, 3)} (${num(ratio.min, 3)}–${num(ratio.max, 3)})`,
      met: ratio.median >= 0.98,
    });
  }

  return {
    title: '1. Pass-through (`GET /`)',
    method: [
      `The same Express 5 app (express-session with its MemoryStore, \`passport.initialize()\`, \`passport.session()\`), ` +
        `in two processes: without the library, and with \`bindIdRouter\` and a \`sendAuthenticationPerformed\` route ` +
        `mounted before \`GET /\`. autocannon, ${connections} connections, ${seconds} s per run after a ${warmSeconds} s ` +
        `warm-up, ${runs} runs alternating without/with. The logged-in user sends a session cookie of a passport login. ` +
        `Ratios per pair of adjacent runs: req/s with ÷ without (the target), and app CPU time per request ` +
        `without ÷ with (\`process.cpuUsage()\` of the app around each run: less sensitive to other load on the machine).`,
    ],
    tables: [
      {
        title: 'Pass-through',
        headers: ['user', 'app', 'req/s', 'p99 ms', 'app CPU µs/req', 'req/s with ÷ without', 'CPU/req without ÷ with'],
        rows,
      },
    ],
    targets,
    figures,
  };
}
