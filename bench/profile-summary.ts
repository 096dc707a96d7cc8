/**
 * Summarize a V8 `.cpuprofile` (from `npm run bench -- --cpu-prof=DIR`): self time by function and
 * by package, so that the library's own share of a run can be read.
 *
 * Usage: `tsx bench/profile-summary.ts FILE.cpuprofile [--top=N] [--inclusive]` (`--inclusive` also
 * lists the functions by total time: their own and their callees').
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

main();
