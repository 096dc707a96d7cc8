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
import { type BenchContext, urlOf } from './context.js';

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
    const load = (i: number, duration: number) =>
      runLoad({ url: `${urlOf(apps[i]!.app)}/`, connections, duration, headers: headers[i] as Record<string, string> });
    if (warmSeconds > 0) for (const i of [0, 1]) await load(i, warmSeconds);

    const results: LoadResult[][] = [[], []];
    for (let run = 0; run < runs; run++) {
      for (const i of [0, 1]) {
        ctx.log(`pass-through ${user}: run ${run + 1}/${runs} ${apps[i]!.label}`);
        const result = await load(i, seconds);
        if (unexpected(result, [200]) > 0) throw new Error(`pass-through ${user}: ${JSON.stringify(result.statuses)}`);
        results[i]!.push(result);
      }
    }
    const ratios = results[1]!.map((withLib, run) => withLib.rps / results[0]![run]!.rps);
    const ratio = spread(ratios);
    for (const i of [0, 1]) {
      const rps = spread(results[i]!.map((r) => r.rps));
      const p99 = spread(results[i]!.map((r) => r.latency.p99));
      figures.push(rps.median, p99.median);
      rows.push([user, apps[i]!.label, range(rps), range(p99, 2), i === 1 ? range(ratio, 3) : '']);
    }
    figures.push(ratio.median);
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
        `Ratio: with ÷ without, per pair of adjacent runs.`,
    ],
    tables: [{ title: 'Pass-through', headers: ['user', 'app', 'req/s', 'p99 ms', 'ratio with/without'], rows }],
    targets,
    figures,
  };
}
