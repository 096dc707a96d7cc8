/**
 * Summarize a V8 `.cpuprofile` (from `npm run bench -- --cpu-prof=DIR`): self time by function and
 * by package, so that the library's own share of a run can be read.
 *
 * Usage: `tsx bench/profile-summary.ts FILE.cpuprofile [--top=N] [--inclusive] [--signin=MS]`
 * (`--inclusive` also lists the functions by total time: their own and their callees'; `--signin=MS`
 * splits the busy time of a sign-in app's profile into the steps of a sign-in, in ms per sign-in
 * given its app CPU ms per sign-in from BENCHMARKS.md: where the difference between the variants goes).
 *
 * @module
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a script belongs: `express-bindid` (dist/ or src/), a package, `node:` internals, or V8. */
export function owner(url: string): string {
  if (url === '') return '(v8/native)';
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (/\/(dist|src)\//.test(url)) return 'express-bindid';
  return 'bench';
}

function main(): void {
  process.stdout.on('error', () => process.exit(0)); // piped into head
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts FILE.cpuprofile [--top=N]');
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const keyOf = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/')}:${lineNumber + 1}`;
  };
  const functions = new Map<string, number>();
  const owners = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url } = byId.get(id)!.callFrame;
    const key = keyOf(byId.get(id)!);
    functions.set(key, (functions.get(key) ?? 0) + us);
    const who = functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)' ? functionName : owner(url);
    owners.set(who, (owners.get(who) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
  console.log('\nBy owner (self time):');
  for (const [who, us] of [...owners].sort((a, b) => b[1] - a[1])) console.log(`${pct(us)}  ${who}`);
  console.log(`\nTop ${top} functions (self time):`);
  for (const [key, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${key}`);

  const signinMs = process.argv.find((a) => a.startsWith('--signin='));
  if (signinMs) signinSteps(profile, byId, self, Number(signinMs.slice(9)));

  if (process.argv.includes('--inclusive')) {
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const inclusive = new Map<string, number>();
    for (const [id, us] of self) {
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(keyOf(byId.get(at)!));
      for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
    console.log(`\nTop ${top} functions (total time: own and callees'):`);
    for (const [key, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${key}`);
  }
}

/**
 * The sign-in steps a sample belongs to: the first of {@link STEPS} met walking from the sampled
 * function towards the root (so a library's own code is told from what it calls); garbage
 * collection apart; the profiler's own work left out.
 */
const STEPS: [string, (f: ProfileNode['callFrame']) => boolean][] = [
  ['(profiler)', (f) => f.url === 'node:inspector'],
  // WebCrypto's verify (openid-client's own check, as before 2026-12-08), or express-bindid's node:crypto one.
  ['ID-token signature check (RSA verify)', (f) => f.functionName === 'rsaSignVerify' || /\/oidc\/id-token-signature\.[cm]?[jt]s$/.test(f.url)],
  ['PKCE challenge (WebCrypto digest)', (f) => f.functionName === 'calculatePKCECodeChallenge'],
  ["token request over node:https (express-bindid's HTTP seam and customFetch)", (f) => /\/(http\/http-client|oidc\/oidc-fetch)\.[cm]?[jt]s$/.test(f.url)],
  ['token request over fetch (undici; with the customFetch: its Response objects)', (f) => f.url.includes('undici')],
  ['token request over node:https (oauth)', (f) => f.url.includes('/oauth/lib/')],
  ["express-openid-connect's cookies (JWE)", (f) => /express-openid-connect\/lib\/(appSession|transientHandler|cookies|crypto)/.test(f.url)],
  ['openid-client / oauth4webapi', (f) => /openid-client|oauth4webapi/.test(f.url)],
  ['express-bindid', (f) => owner(f.url) === 'express-bindid'],
  ['express-session (store, cookie)', (f) => f.url.includes('/express-session/')],
  ['passport', (f) => /node_modules\/passport/.test(f.url)],
];

function signinSteps(profile: Profile, byId: Map<number, ProfileNode>, self: Map<number, number>, cpuMs: number): void {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const steps = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const leaf = byId.get(id)!.callFrame.functionName;
    if (leaf === '(idle)') continue;
    let step = leaf === '(garbage collector)' ? 'garbage collection' : undefined;
    for (let at: number | undefined = id; step === undefined && at !== undefined; at = parent.get(at)) {
      step = STEPS.find(([, test]) => test(byId.get(at as number)!.callFrame))?.[0];
    }
    step ??= 'the rest (HTTP server, sockets, TLS, Express)';
    if (step !== '(profiler)') busy += us;
    steps.set(step, (steps.get(step) ?? 0) + us);
  }
  steps.delete('(profiler)');
  console.log(`\nSteps of a sign-in, ms of CPU per sign-in (of ${cpuMs} ms):`);
  for (const [step, us] of [...steps].sort((a, b) => b[1] - a[1])) console.log(`${((cpuMs * us) / busy).toFixed(3).padStart(7)}  ${step}`);
}

main();
