/**
 * Scenario `signin` (issue 16): a returning BindID user signs in, with express-bindid and with the
 * peers a user would pick instead, each in its own process (bench/servers/signin-app.ts), against
 * the emulator over HTTPS (its own emulator process, `tls` option, returning users with their alias
 * set). Rounds alternate the variants (the order rotates each round); ratios are per round.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Chart } from '../lib/chart.js';
import type { Child } from '../lib/children.js';
import { num, range, type Section, type TargetCheck } from '../lib/report.js';
import { runSignins, type SigninResult } from '../lib/signin-flow.js';
import { type Spread, spread } from '../lib/stats.js';
import { TLS_CERT_FILE } from '../lib/tls.js';
import { type BenchContext, profiled, urlOf } from './context.js';

const VARIANTS = [
  { key: 'bindid', label: 'express-bindid `bindIdRouter`' },
  { key: 'eoc', label: 'express-openid-connect 3.4 `auth()`' },
  { key: 'openid-client', label: 'passport + `openid-client/passport` 6' },
  { key: 'passport-oidc', label: 'passport + passport-openidconnect 0.1' },
] as const;
type Key = (typeof VARIANTS)[number]['key'];
const PEERS = VARIANTS.filter((v) => v.key !== 'bindid');

interface SigninRun {
  load: SigninResult;
  /** App CPU per sign-in, ms. */
  appCpuMs: number;
  /** Emulator CPU per sign-in, ms (its /authorize, /token, TLS). */
  emulatorCpuMs: number;
  /** The app's outgoing connections per sign-in. */
  connections: number;
}

export async function signin(ctx: BenchContext): Promise<Section> {
  const { runs, seconds, warmSeconds, connections, users } = ctx.config.signin;
  const clientSecret = ctx.bindid.clientSecret;
  ctx.log('signin: starting its emulator (HTTPS) and the four apps');
  const emulator = await ctx.startChild('signin emulator', 'emulator', {
    BENCH_CLIENT_SECRET: clientSecret,
    BENCH_TLS: '1',
    BENCH_RETURNING: String(users),
  });
  const apps = new Map<Key, Child>();
  // allSettled: if one fails to start, the others are still registered (and stopped) before the error.
  const started = await Promise.allSettled(
    VARIANTS.map(async ({ key }) => {
      const app = await ctx.startChild(`signin ${key}`, 'signin-app', {
        BENCH_VARIANT: key,
        BENCH_ISSUER: emulator.info.issuer as string,
        BENCH_API_URL: emulator.info.apiUrl as string,
        BENCH_CLIENT_ID: emulator.info.clientId as string,
        BENCH_CLIENT_SECRET: clientSecret,
        NODE_EXTRA_CA_CERTS: TLS_CERT_FILE,
      });
      apps.set(key, app);
    }),
  );
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  const ca = readFileSync(TLS_CERT_FILE);

  const once = async (key: Key, duration: number, profile?: string): Promise<SigninRun> => {
    const app = apps.get(key) as Child;
    await app.call('gc', ctx.config.gcSettleMs);
    const [app0, emu0] = await Promise.all([app.stats(), emulator.stats()]);
    const run = () => runSignins({ appUrl: urlOf(app), baseUrl: app.info.baseUrl as string, connections, seconds: duration, users, ca });
    const load = profile ? await profiled(ctx, app, profile, run) : await run();
    const [app1, emu1] = await Promise.all([app.stats(), emulator.stats()]);
    if (load.failures > 0) ctx.log(`  signin ${key}: ${load.failures} failed sign-ins (first: ${load.firstFailure})`);
    if (load.count === 0) throw new Error(`signin ${key}: no sign-in completed (${load.firstFailure ?? 'no answer'})`);
    return {
      load,
      appCpuMs: (app1.cpuMicros - app0.cpuMicros) / 1000 / load.count,
      emulatorCpuMs: (emu1.cpuMicros - emu0.cpuMicros) / 1000 / load.count,
      connections: (app1.clientSocketsOpened - app0.clientSocketsOpened) / load.count,
    };
  };

  // Warm-up: discovery, JWKS, JIT; a first sign-in per variant even in the smoke run.
  for (const { key } of VARIANTS) {
    ctx.log(`signin: warm-up ${key}`);
    await once(key, warmSeconds > 0 ? warmSeconds : 0.2);
  }
  const results = new Map<Key, SigninRun[]>(VARIANTS.map((v) => [v.key, []]));
  for (let round = 0; round < runs; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
    for (const { key } of order) {
      ctx.log(`signin: round ${round + 1}/${runs} ${key}`);
      results.get(key)!.push(await once(key, seconds, `signin-${key}-${round + 1}`));
    }
  }

  const of = (key: Key) => results.get(key)!;
  const perRound = (key: Key, f: (ours: SigninRun, peer: SigninRun) => number): Spread =>
    spread(of('bindid').map((ours, i) => f(ours, of(key)[i]!)));
  const rpsRatio = (key: Key) => perRound(key, (ours, peer) => ours.load.rps / peer.load.rps);
  const cpuRatio = (key: Key) => perRound(key, (ours, peer) => peer.appCpuMs / ours.appCpuMs);
  const figures: number[] = [];
  const rows = VARIANTS.map(({ key, label }) => {
    const rs = of(key);
    const rps = spread(rs.map((r) => r.load.rps));
    const p50 = spread(rs.map((r) => r.load.latency.p50));
    const p99 = spread(rs.map((r) => r.load.latency.p99));
    const cpu = spread(rs.map((r) => r.appCpuMs));
    const emu = spread(rs.map((r) => r.emulatorCpuMs));
    const conns = spread(rs.map((r) => r.connections));
    figures.push(rps.median, p50.median, p99.median, cpu.median, emu.median, conns.median);
    return [
      label,
      range(rps),
      range(p50, 1),
      range(p99, 1),
      range(cpu, 3),
      range(emu, 3),
      num(conns.median, 3),
      String(rs.reduce((n, r) => n + r.load.failures, 0)),
    ];
  });
  const ratioRows = PEERS.map(({ key, label }) => {
    const r = rpsRatio(key);
    const c = cpuRatio(key);
    figures.push(r.median, c.median);
    return [label, range(r, 3), range(c, 3)];
  });

  const best = PEERS.reduce((a, b) => (spread(of(b.key).map((r) => r.load.rps)).median > spread(of(a.key).map((r) => r.load.rps)).median ? b : a));
  const bestRatio = rpsRatio(best.key);
  const bestCpu = cpuRatio(best.key);
  const targets: TargetCheck[] = [
    {
      target: `signin: sign-ins/s ≥ 1.1 × the best peer's (${best.key})`,
      measured: `${num(bestRatio.median, 3)} × (${num(bestRatio.min, 3)}–${num(bestRatio.max, 3)})`,
      met: bestRatio.median >= 1.1,
    },
    {
      target: `signin: app CPU per sign-in ≤ the best peer's (${best.key}), i.e. peer ÷ express-bindid ≥ 1`,
      measured: `${num(bestCpu.median, 3)} (${num(bestCpu.min, 3)}–${num(bestCpu.max, 3)})`,
      met: bestCpu.median >= 1,
    },
  ];
  const chart: Chart = {
    name: 'signin',
    title: 'Returning-user sign-in: express-bindid against each peer',
    subtitle: `median of ${runs} rounds, min–max whiskers; > 1: express-bindid better; dashed: target`,
    groups: [
      { title: 'sign-ins/s, express-bindid ÷ peer', bars: PEERS.map(({ key, label }) => ({ label: plain(label), value: rpsRatio(key), target: 1.1 })) },
      { title: 'app CPU per sign-in, peer ÷ express-bindid', bars: PEERS.map(({ key, label }) => ({ label: plain(label), value: cpuRatio(key), target: 1 })) },
    ],
  };

  return {
    title: '5. Returning-user sign-in against the peers (`signin`)',
    method: [
      'A returning BindID user (alias already set at the emulator) signs in: `GET /login/bindid` → the ' +
        "emulator's `/authorize` (its scripted shortcut `identity=r<n>`, the same for every variant) → " +
        '`GET /bindid/callback` (code exchange, ID-token validation, `findUserByAlias`, session) → `GET /`, ' +
        'which must greet that user. Each variant in its own process: the same Express 5 app (express-session ' +
        'with its MemoryStore, `passport.initialize()`, `passport.session()`, the same `GET /`), the same ' +
        '`findUserByAlias` stub (alias `u<n>` is user n), the same registered redirect URI. BindID is the ' +
        'emulator in its own process over HTTPS (its `tls` option: TLS on both sides, issuer `https://`, the ' +
        'test certificate trusted with `NODE_EXTRA_CA_CERTS`), as the real BindID, which is HTTPS only.',
      'Variants: **express-bindid**: `bindIdRouter` (state, nonce and PKCE verifier sealed in a cookie; single-use ' +
        "state checked in the store; openid-client 6 for the code exchange and the ID token's claims, its RS256 " +
        'signature checked against the JWKS with node:crypto; one session regeneration; `req.login`). ' +
        '**express-openid-connect** 3.4: `auth()` configured as its docs ' +
        "say for a confidential client (`clientSecret`, response type `code`, PKCE) with its own session, " +
        'the encrypted `appSession` cookie (its default), `afterCallback` looking the user up by alias. ' +
        '**openid-client/passport**: openid-client 6\'s own Passport strategy (discovery, PKCE + state in ' +
        'the session), `passport.authenticate` on both routes, `req.login` by passport. ' +
        '**passport-openidconnect** 0.1: static endpoints as its docs show, state and nonce in the session, ' +
        'no PKCE (it has none), and it reads the ID token without checking its signature (it trusts TLS).',
      `Load: ${connections} browsers in a closed loop (this process; node:http / node:https keep-alive ` +
        `agents; a fresh cookie jar per sign-in), ${users} returning users in turn, ${seconds} s per run after ` +
        `a ${warmSeconds} s warm-up, ${runs} rounds, the variants' order rotating each round. Latency is the ` +
        "whole sign-in (four requests). CPU: each process's `process.cpuUsage()` around each run, per " +
        "completed sign-in (the emulator's includes its TLS and RS256 signing). \"outgoing conns\" counts " +
        'the app\'s new outgoing connections (`fetch` and `node:http(s)`) per sign-in: 0 means kept alive. ' +
        'Ratios are taken per round.',
    ],
    tables: [
      {
        title: 'Sign-ins',
        headers: ['variant', 'sign-ins/s', 'p50 ms', 'p99 ms', 'app CPU ms/sign-in', 'emulator CPU ms/sign-in', 'outgoing conns/sign-in', 'failed'],
        rows,
      },
      {
        title: 'express-bindid against each peer (per round)',
        headers: ['peer', 'sign-ins/s express-bindid ÷ peer', 'app CPU/sign-in peer ÷ express-bindid'],
        rows: ratioRows,
      },
    ],
    targets,
    figures,
    chart,
    notes: [
      '**Where the difference goes** (profiles of the five rounds of each app, `npm run bench -- --only=signin ' +
        '--cpu-prof=DIR`, split by step with `npx tsx bench/profile-summary.ts FILE --signin=<app CPU ms>`, the ' +
        'mean of the five; 2026-12-04 on this busy machine, about one CPU used by other processes, so the absolute ' +
        'figures are inflated and the split is what to read). For express-bindid, of 2.2 ms per sign-in: the HTTP ' +
        'server, sockets, TLS and Express 0.63 ms (the token request\'s socket and TLS included), express-session ' +
        '(MemoryStore, cookie signing, new session ids) 0.53 ms, garbage collection 0.21 ms, the ID-token signature ' +
        'check against the JWKS (WebCrypto RSA verify) 0.19 ms, express-bindid\'s own code 0.17 ms (single-use state ' +
        'in the store, alias lookup, session steps), openid-client\'s response checks 0.15 ms, the token request ' +
        'itself 0.23 ms (express-bindid\'s `customFetch` on `node:https` 0.12 ms, the Fetch `Response` objects ' +
        'openid-client reads 0.11 ms), passport 0.10 ms. passport-openidconnect (1.6 ms): the HTTP server, sockets, ' +
        'TLS and Express 0.55 ms, express-session 0.49 ms, passport 0.26 ms, its token request over `node:https` ' +
        '0.09 ms; it has no PKCE and checks no signature. The gap to it is the ID-token signature check (a ' +
        'defence), openid-client\'s checks and the single-use state, none of them ours to drop. ' +
        'openid-client/passport sends its requests over `fetch` (undici) and computes its PKCE challenge with ' +
        "WebCrypto's `digest` (a thread-pool round trip for 43 bytes), and checks no signature. " +
        "express-openid-connect adds its encrypted session cookies (JWE) and more of Express's and its own " +
        'middleware per request. What was ours and avoidable: (1) the token, discovery and JWKS requests went over ' +
        '`fetch` (undici), 29–30 % of express-bindid\'s CPU per sign-in in the profiles before the change (about ' +
        '1.2 ms in an earlier run): they now go over `node:https` with a keep-alive agent (the HTTP seam src/http/http-client.ts, ' +
        'as openid-client\'s `customFetch`; same timeout, no redirect followed, the same errors), about 10 % (0.23 ms); ' +
        "(2) the PKCE challenge went through WebCrypto's `digest` (0.13–0.17 ms per sign-in); it now uses " +
        "node:crypto's synchronous SHA-256 (the same value, RFC 7636 S256).",
    ],
  };
}

/** A label without Markdown backticks, for the chart. */
function plain(label: string): string {
  return label.replaceAll('`', '');
}
