/**
 * Scenario 2, confirmation throughput: many concurrent confirm POSTs through the whole path (pending
 * login in the session, passport-local with a stub verify, HMAC, `POST /session-feedback` to the
 * emulator, `req.login`), with the library and with the hand-written route of the public samples.
 *
 * Each request confirms its own freshly seeded session. Runs alternate between the variants, the
 * app is garbage-collected before each, and the app's and the emulator's CPU time are read around
 * each run.
 *
 * @module
 */
import type { Child } from '../lib/children.js';
import { type LoadResult, runLoad, unexpected } from '../lib/load.js';
import { num, range, type Section, type Table, type TargetCheck } from '../lib/report.js';
import { type Spread, spread } from '../lib/stats.js';
import { type BenchContext, urlOf } from './context.js';
import { confirmRequest, seedSessions } from './seed.js';

interface Variant {
  key: 'router' | 'middleware' | 'baseline' | 'baseline-ka';
  label: string;
  app: Child;
  path: string;
  /** The router's confirm page, loaded to get the CSRF token. */
  confirmPage?: string;
}

/** One measured run of one variant. */
interface ConfirmRun {
  load: LoadResult;
  /** App CPU per confirmation, ms. */
  appCpuMs: number;
  /** Emulator CPU per report, ms. */
  emulatorCpuMs: number;
  /** Outgoing TCP connections opened by the app per confirmation. */
  connections: number;
}

export async function confirmThroughput(ctx: BenchContext): Promise<Section> {
  const { runs, seconds, warmAmount, minAmount, connections } = ctx.config.confirm;
  const { library, baseline } = ctx.apps;
  const origin = library.info.baseUrl as string;
  const variants: Variant[] = [
    { key: 'router', label: 'express-bindid `bindIdRouter`', app: library, path: '/bindid/confirm', confirmPage: '/bindid/confirm' },
    { key: 'middleware', label: 'express-bindid `sendAuthenticationPerformed`', app: library, path: '/mw/confirm' },
    { key: 'baseline', label: 'hand-written, no keep-alive (baseline)', app: baseline, path: '/baseline/confirm' },
    { key: 'baseline-ka', label: 'hand-written, axios defaults on Node ≥ 19', app: baseline, path: '/baseline/confirm-default-agent' },
  ];

  const once = async (variant: Variant, amount: number): Promise<ConfirmRun> => {
    const sessions = await seedSessions(variant.app, amount + connections, variant.confirmPage);
    await variant.app.call('gc');
    const [app0, emu0] = await Promise.all([variant.app.stats(), ctx.emulator.stats()]);
    let next = 0;
    const load = await runLoad({
      url: urlOf(variant.app),
      connections,
      amount,
      setupRequest: () => confirmRequest(variant.path, origin, sessions[Math.min(next++, sessions.length - 1)]!),
    });
    const [app1, emu1] = await Promise.all([variant.app.stats(), ctx.emulator.stats()]);
    const bad = unexpected(load, [303]);
    if (bad > 0) ctx.log(`  ${variant.key}: ${bad} unexpected statuses ${JSON.stringify(load.statuses)}`);
    return {
      load,
      appCpuMs: (app1.cpuMicros - app0.cpuMicros) / 1000 / load.count,
      emulatorCpuMs: (emu1.cpuMicros - emu0.cpuMicros) / 1000 / load.count,
      connections: (app1.clientSocketsOpened - app0.clientSocketsOpened) / load.count,
    };
  };

  // Warm-up, and the size of each run: about `seconds` of the variant's own pace.
  const amounts = new Map<string, number>();
  for (const variant of variants) {
    ctx.log(`confirm: warm-up ${variant.key}`);
    const warm = await once(variant, warmAmount);
    amounts.set(variant.key, Math.max(minAmount, Math.round(warm.load.rps * seconds)));
  }
  const results = new Map<string, ConfirmRun[]>(variants.map((v) => [v.key, []]));
  for (let run = 0; run < runs; run++) {
    for (const variant of variants) {
      ctx.log(`confirm: run ${run + 1}/${runs} ${variant.key} (${amounts.get(variant.key)} confirmations)`);
      results.get(variant.key)!.push(await once(variant, amounts.get(variant.key)!));
    }
  }

  const of = (key: string) => results.get(key)!;
  const pairwise = (key: string, against: string, f: (a: ConfirmRun, b: ConfirmRun) => number): Spread =>
    spread(of(key).map((a, i) => f(a, of(against)[i]!)));
  const rows: string[][] = [];
  const figures: number[] = [];
  for (const variant of variants) {
    const rs = of(variant.key);
    const rps = spread(rs.map((r) => r.load.rps));
    const p50 = spread(rs.map((r) => r.load.latency.p50));
    const p99 = spread(rs.map((r) => r.load.latency.p99));
    const cpu = spread(rs.map((r) => r.appCpuMs));
    const emu = spread(rs.map((r) => r.emulatorCpuMs));
    const conns = spread(rs.map((r) => r.connections));
    const failed = rs.reduce((n, r) => n + unexpected(r.load, [303]), 0);
    const ratio = pairwise(variant.key, 'baseline', (a, b) => a.load.rps / b.load.rps);
    figures.push(rps.median, p50.median, p99.median, cpu.median, emu.median);
    rows.push([
      variant.label,
      range(rps),
      range(p50, 1),
      range(p99, 1),
      range(cpu, 3),
      range(emu, 3),
      num(conns.median, 2),
      variant.key === 'baseline' ? '1' : range(ratio, 2),
      String(failed),
    ]);
  }

  const libraryCpu = (key: string, against: string) => pairwise(key, against, (a, b) => a.appCpuMs - b.appCpuMs);
  const cpuRows = (['router', 'middleware'] as const).flatMap((key) =>
    (['baseline', 'baseline-ka'] as const).map((against) => {
      const s = libraryCpu(key, against);
      figures.push(s.median);
      return [`${key} − ${against}`, range(s, 3)];
    }),
  );
  const cpuTable: Table = {
    title: 'Library CPU per confirmation (app process CPU per confirmation, minus the hand-written route’s, same round)',
    headers: ['difference', 'ms per confirmation'],
    rows: cpuRows,
  };

  const targets: TargetCheck[] = [];
  for (const key of ['router', 'middleware'] as const) {
    const ratio = pairwise(key, 'baseline', (a, b) => a.load.rps / b.load.rps);
    targets.push({
      target: `confirmations/s, ${key} ≥ 1.3 × baseline`,
      measured: `${num(ratio.median, 2)} × (${num(ratio.min, 2)}–${num(ratio.max, 2)})`,
      met: ratio.median >= 1.3,
    });
  }
  for (const key of ['router', 'middleware'] as const) {
    const cpu = libraryCpu(key, 'baseline');
    targets.push({
      target: `library CPU per confirmation, ${key} ≤ 0.3 ms`,
      measured: `${num(cpu.median, 3)} ms (${num(cpu.min, 3)}–${num(cpu.max, 3)})`,
      met: cpu.median <= 0.3,
    });
  }

  return {
    title: '2. Confirmation throughput',
    method: [
      `Each request confirms its own session, seeded before the run with a pending login that holds a real ` +
        `emulator access token (${ctx.config.pool} pre-minted logins per app, each used by many sessions): ` +
        `\`POST\` with the session cookie, \`Origin\` of the app, \`username=u<n>&password=pw\` (the router also ` +
        `gets the CSRF token of its confirm page). The password check is a stub (no hashing). Expected answer: ` +
        `303 to \`/\` after \`req.login\`. autocannon, ${connections} connections; each run is about ${seconds} s ` +
        `of the variant's own pace (sized by a warm-up run), ${runs} rounds alternating the variants.`,
      'Variants: **router**: `POST /bindid/confirm` of `bindIdRouter` (CSRF + Origin check, passport-local via ' +
        '`createLocalStrategy`, report, `req.login`, 303); **middleware**: `passport.authenticate(\'bindid-local\', ' +
        '{ session: false })` + `sendAuthenticationPerformed`; **baseline**: the public samples\' route ' +
        '(plain passport-local, `createHmac(...).digest(\'base64\')`, `axios.post(apiUrl + \'/session-feedback\', …)` ' +
        'with axios defaults, no retries) with a `new http.Agent()`, i.e. no keep-alive, the behaviour of axios ' +
        'defaults on Node ≤ 18 that the samples were written for; **axios defaults on Node ≥ 19**: the same route ' +
        'with no agent at all, where Node\'s global agent keeps connections alive. Neither baseline checks CSRF.',
      'CPU: the app process\'s `process.cpuUsage()` (user + system) around each run, divided by the ' +
        'confirmations; the emulator\'s likewise. "new conns" counts the app\'s outgoing TCP connections ' +
        '(`net.client.socket`) per confirmation. Ratio and CPU differences are taken per round (adjacent runs).',
    ],
    tables: [
      {
        title: 'Confirmations',
        headers: ['variant', 'confirmations/s', 'p50 ms', 'p99 ms', 'app CPU ms/conf', 'emulator CPU ms/report', 'new conns/conf', 'ratio vs baseline', 'non-303'],
        rows,
      },
      cpuTable,
    ],
    targets,
    figures,
  };
}
