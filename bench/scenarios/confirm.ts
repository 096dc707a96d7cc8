/**
 * Scenario 2, confirmation throughput: many concurrent confirm POSTs through the whole path (pending
 * login in the session, passport-local with a stub verify, HMAC, `POST /session-feedback` to the
 * emulator, `req.login`), with the library and with the hand-written route of the public samples.
 * Measured twice: reporting to the emulator over plain HTTP, and over HTTPS as to the real BindID.
 *
 * Each request confirms its own freshly seeded session. Runs alternate between the variants, the
 * app is garbage-collected before each, and the app's and the emulator's CPU time are read around
 * each run.
 *
 * @module
 */
import type { ChartBar } from '../lib/chart.js';
import type { Child } from '../lib/children.js';
import { type LoadResult, runLoad, unexpected } from '../lib/load.js';
import { num, range, type Section, type Table, type TargetCheck } from '../lib/report.js';
import { ATTEMPTS_PER_TOKEN } from '../lib/tokens.js';
import { type Spread, spread } from '../lib/stats.js';
import { type BenchContext, collect, profiled, urlOf } from './context.js';
import { confirmRequest, seedSessions } from './seed.js';

type VariantKey = 'router' | 'middleware' | 'baseline' | 'baseline-ka';

interface Variant {
  key: VariantKey;
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

/** What one transport contributes to the section. */
interface TransportResult {
  tables: Table[];
  targets: TargetCheck[];
  figures: number[];
  bars: ChartBar[];
}

export async function confirmThroughput(ctx: BenchContext): Promise<Section> {
  const { runs, seconds, connections } = ctx.config.confirm;
  const { library, baseline, libraryTls, baselineTls } = ctx.apps;
  const http = await measureTransport(ctx, 'HTTP', library, baseline);
  const https = await measureTransport(ctx, 'HTTPS', libraryTls, baselineTls);
  return {
    title: '2. Confirmation throughput',
    method: [
      `Each request confirms its own session, seeded before the run with a pending login that holds a real ` +
        `emulator access token, minted for that run through the emulator's code flow (one of the app's named ` +
        `identities): ${ATTEMPTS_PER_TOKEN} sessions per token, the attempts the library's guard allows per token. ` +
        `Every answer of a measured run must be the 303 of a confirmation, or the bench stops: ` +
        `\`POST\` with the session cookie, \`Origin\` of the app, \`username=u<n>&password=pw\` (the router also ` +
        `gets the CSRF token of its confirm page). The password check is a stub (no hashing). Expected answer: ` +
        `303 to \`/\` after \`req.login\`. autocannon, ${connections} connections; each run is about ${seconds} s ` +
        `of the variant's own pace (sized by a warm-up run), ${runs} rounds alternating the variants.`,
      'Variants: **router**: `POST /bindid/confirm` of `bindIdRouter` (CSRF + Origin check, passport-local via ' +
        '`createLocalStrategy`, report, `req.login`, 303); **middleware**: `passport.authenticate(\'bindid-local\', ' +
        '{ session: false })` + `sendAuthenticationPerformed`; **baseline**: the public samples\' route ' +
        '(plain passport-local, `createHmac(...).digest(\'base64\')`, `axios.post(apiUrl + \'/session-feedback\', …)` ' +
        'with axios defaults, no retries) given `new http.Agent()` / `new https.Agent()`, i.e. no keep-alive: what ' +
        'axios defaults did on Node ≤ 18, which the samples were written for; **axios defaults on Node ≥ 19**: ' +
        'the same route with no agent, where Node\'s global agents keep connections alive. Neither baseline ' +
        'checks CSRF.',
      'The router does more per confirmation than the middleware, by design: it checks the CSRF token and the ' +
        '`Origin`, reads the failed-password counters of the account and of the client IP (two SHA-256 keys, two ' +
        'store reads) before the password check, and clears the account counter after a success. That is the ' +
        'difference between the two rows\' "app CPU ms/conf". On 2 cores shared by the load generator, the app ' +
        'and the emulator, it is what keeps the router\'s throughput ratio over plain HTTP below the middleware\'s; ' +
        'over HTTPS, as to the real BindID API, the baseline\'s handshakes dominate.',
      '**HTTP**: the apps report to the emulator\'s plain-HTTP API. **HTTPS**: to the same emulator through a ' +
        'TLS terminator (in the emulator process, TLS 1.3, P-256 certificate trusted with `NODE_EXTRA_CA_CERTS`), ' +
        'as to the real BindID API, which is HTTPS only: without keep-alive every report then pays a TLS ' +
        'handshake (resumed from the agent\'s session cache where possible).',
      'CPU: the app process\'s `process.cpuUsage()` (user + system) around each run, divided by the ' +
        'confirmations; the emulator\'s likewise (with HTTPS it includes the TLS terminator). "new conns" counts ' +
        'the app\'s outgoing TCP connections (`net.client.socket`) per confirmation. Ratios and CPU differences ' +
        'are taken per round (adjacent runs).',
    ],
    tables: [...http.tables, ...https.tables],
    targets: [...http.targets, ...https.targets],
    figures: [...http.figures, ...https.figures],
    chart: {
      name: 'confirm',
      title: 'Confirmations/s: express-bindid against the hand-written route of the samples',
      subtitle: `median of ${runs} rounds, min–max whiskers; > 1: express-bindid faster; dashed: target 1.3`,
      groups: [
        { title: 'reports over HTTP', bars: http.bars },
        { title: 'reports over HTTPS', bars: https.bars },
      ],
    },
  };
}

async function measureTransport(ctx: BenchContext, transport: string, library: Child, baseline: Child): Promise<TransportResult> {
  const { runs, seconds, warmAmount, minAmount, connections } = ctx.config.confirm;
  const origin = library.info.baseUrl as string;
  const variants: Variant[] = [
    { key: 'router', label: 'express-bindid `bindIdRouter`', app: library, path: '/bindid/confirm', confirmPage: '/bindid/confirm' },
    { key: 'middleware', label: 'express-bindid `sendAuthenticationPerformed`', app: library, path: '/mw/confirm' },
    { key: 'baseline', label: 'hand-written, no keep-alive (baseline)', app: baseline, path: '/baseline/confirm' },
    { key: 'baseline-ka', label: 'hand-written, axios defaults on Node ≥ 19', app: baseline, path: '/baseline/confirm-default-agent' },
  ];

  const once = async (variant: Variant, amount: number, profile?: string): Promise<ConfirmRun> => {
    // One attempt per session: ATTEMPTS_PER_TOKEN sessions share a token, the guard's allowance.
    const sessions = await seedSessions(variant.app, amount + connections, {
      minter: ctx.minterOf(variant.app),
      sessionsPerToken: ATTEMPTS_PER_TOKEN,
      ...(variant.confirmPage ? { confirmPage: variant.confirmPage } : {}),
    });
    await collect(ctx, variant.app);
    let next = 0;
    const run = () =>
      runLoad({
        url: urlOf(variant.app),
        connections,
        amount,
        setupRequest: () => confirmRequest(variant.path, origin, sessions[Math.min(next++, sessions.length - 1)]!),
      });
    const [app0, emu0] = await Promise.all([variant.app.stats(), ctx.emulator.stats()]);
    const load = profile ? await profiled(ctx, variant.app, profile, run) : await run();
    const [app1, emu1] = await Promise.all([variant.app.stats(), ctx.emulator.stats()]);
    // Throughput counts confirmations: a run with any other answer measured something else.
    const bad = unexpected(load, [303]) + load.errors;
    if (bad > 0) {
      throw new Error(`confirm ${transport} ${variant.key}: ${bad} of ${load.count} confirmations failed (${JSON.stringify(load.statuses)}, ${load.errors} errors)`);
    }
    return {
      load,
      appCpuMs: (app1.cpuMicros - app0.cpuMicros) / 1000 / load.count,
      emulatorCpuMs: (emu1.cpuMicros - emu0.cpuMicros) / 1000 / load.count,
      connections: (app1.clientSocketsOpened - app0.clientSocketsOpened) / load.count,
    };
  };

  // Warm-up, and the size of each run: about `seconds` of the variant's own pace (no warm-up: minAmount).
  const amounts = new Map<VariantKey, number>();
  for (const variant of variants) {
    if (warmAmount === 0) {
      amounts.set(variant.key, minAmount);
      continue;
    }
    ctx.log(`confirm ${transport}: warm-up ${variant.key}`);
    const warm = await once(variant, warmAmount);
    amounts.set(variant.key, Math.max(minAmount, Math.round(warm.load.rps * seconds)));
  }
  const results = new Map<VariantKey, ConfirmRun[]>(variants.map((v) => [v.key, []]));
  for (let run = 0; run < runs; run++) {
    for (const variant of variants) {
      ctx.log(`confirm ${transport}: run ${run + 1}/${runs} ${variant.key} (${amounts.get(variant.key)} confirmations)`);
      const profile = `confirm-${transport.toLowerCase()}-${variant.key}-${run + 1}`;
      results.get(variant.key)!.push(await once(variant, amounts.get(variant.key)!, profile));
    }
  }

  const of = (key: VariantKey) => results.get(key)!;
  const pairwise = (key: VariantKey, against: VariantKey, f: (a: ConfirmRun, b: ConfirmRun) => number): Spread =>
    spread(of(key).map((a, i) => f(a, of(against)[i]!)));
  const ratioOf = (key: VariantKey, against: VariantKey) => pairwise(key, against, (a, b) => a.load.rps / b.load.rps);
  const libraryCpu = (key: VariantKey, against: VariantKey) => pairwise(key, against, (a, b) => a.appCpuMs - b.appCpuMs);
  const figures: number[] = [];
  const rows = variants.map((variant) => {
    const rs = of(variant.key);
    const rps = spread(rs.map((r) => r.load.rps));
    const p50 = spread(rs.map((r) => r.load.latency.p50));
    const p99 = spread(rs.map((r) => r.load.latency.p99));
    const cpu = spread(rs.map((r) => r.appCpuMs));
    const emu = spread(rs.map((r) => r.emulatorCpuMs));
    figures.push(rps.median, p50.median, p99.median, cpu.median, emu.median);
    return [
      variant.label,
      range(rps),
      range(p50, 1),
      range(p99, 1),
      range(cpu, 3),
      range(emu, 3),
      num(spread(rs.map((r) => r.connections)).median, 2),
      variant.key === 'baseline' ? '1' : range(ratioOf(variant.key, 'baseline'), 2),
      variant.key === 'baseline-ka' ? '1' : range(ratioOf(variant.key, 'baseline-ka'), 2),
      String(rs.reduce((n, r) => n + unexpected(r.load, [303]), 0)),
    ];
  });
  const cpuRows = (['router', 'middleware'] as const).flatMap((key) =>
    (['baseline', 'baseline-ka'] as const).map((against) => {
      const s = libraryCpu(key, against);
      figures.push(s.median);
      return [`${key} − ${against}`, range(s, 3)];
    }),
  );

  const targets: TargetCheck[] = [];
  for (const key of ['router', 'middleware'] as const) {
    const ratio = ratioOf(key, 'baseline');
    targets.push({
      target: `confirmations/s over ${transport}, ${key} ≥ 1.3 × baseline`,
      measured: `${num(ratio.median, 2)} × (${num(ratio.min, 2)}–${num(ratio.max, 2)})`,
      met: ratio.median >= 1.3,
    });
  }
  for (const key of ['router', 'middleware'] as const) {
    const cpu = libraryCpu(key, 'baseline');
    targets.push({
      target: `library CPU per confirmation over ${transport}, ${key} − baseline ≤ 0.3 ms`,
      measured: `${num(cpu.median, 3)} ms (${num(cpu.min, 3)}–${num(cpu.max, 3)})`,
      met: cpu.median <= 0.3,
    });
  }

  const bars: ChartBar[] = (['router', 'middleware'] as const).flatMap((key) => [
    { label: `${key} ÷ baseline (no keep-alive)`, value: ratioOf(key, 'baseline'), target: 1.3 },
    { label: `${key} ÷ axios defaults (keep-alive)`, value: ratioOf(key, 'baseline-ka') },
  ]);
  return {
    bars,
    tables: [
      {
        title: `Confirmations, reports over ${transport}`,
        headers: [
          'variant',
          'confirmations/s',
          'p50 ms',
          'p99 ms',
          'app CPU ms/conf',
          'emulator CPU ms/report',
          'new conns/conf',
          '÷ baseline',
          '÷ axios defaults',
          'non-303',
        ],
        rows,
      },
      {
        title: `Library CPU per confirmation over ${transport} (app CPU per confirmation minus the hand-written route's, same round)`,
        headers: ['difference', 'ms per confirmation'],
        rows: cpuRows,
      },
    ],
    targets,
    figures,
  };
}
