/**
 * `npm run bench`: the benchmarks of issue 5. Starts the BindID emulator, the app variants and a
 * probe as child processes, drives them with autocannon from this process, prints the tables and
 * writes BENCHMARKS.md.
 *
 * Flags: `--smoke` (or `BENCH_SMOKE=1`): tiny runs, for CI, writes nothing unless `--out` is given,
 * and fails only when the bench does not run or gives no numbers. `--only=passthrough,confirm,down,emulator`:
 * a subset (nothing written unless `--out`). `--out=FILE`: where to write the Markdown.
 * `--cpu-prof=DIR`: a V8 CPU profile of the app process during each measured run, in DIR.
 * `--no-pin`: do not pin the pass-through scenario's processes to CPUs (`taskset`).
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './lib/chart.js';
import { type Child, startChild } from './lib/children.js';
import { setupAgent } from './lib/http.js';
import { closeSigninAgents } from './lib/signin-flow.js';
import { mark, otherCpus } from './lib/machine.js';
import { markdownTable, num, type Section, type Table, textTable } from './lib/report.js';
import { TLS_CERT_FILE } from './lib/tls.js';
import { IDENTITIES_PER_APP, LoginMinter } from './lib/tokens.js';
import { bindIdDown } from './scenarios/down.js';
import { confirmThroughput } from './scenarios/confirm.js';
import { type BenchContext, FULL, SMOKE } from './scenarios/context.js';
import { emulatorCapacity } from './scenarios/emulator.js';
import { passThrough } from './scenarios/pass-through.js';
import { signin } from './scenarios/signin.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the charts go, relative to the Markdown file (BENCHMARKS.md links them from there). */
const CHART_DIR = 'bench/charts';
const SCENARIOS = {
  passthrough: passThrough,
  confirm: confirmThroughput,
  down: bindIdDown,
  emulator: emulatorCapacity,
  signin: signin,
  outbox: (ctx: BenchContext) => import('./scenarios/outbox.js').then((m) => m.outboxScale(ctx)),
} as const;
type ScenarioName = keyof typeof SCENARIOS;

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

async function main(): Promise<void> {
  const started = Date.now();
  const smoke = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
  const config = smoke ? SMOKE : FULL;
  const only = flag('only')?.split(',') as ScenarioName[] | undefined;
  for (const name of only ?? []) if (!(name in SCENARIOS)) throw new Error(`--only: unknown scenario ${name}`);
  const out = flag('out') ?? (smoke || only ? undefined : path.join(ROOT, 'BENCHMARKS.md'));
  const profileDir = flag('cpu-prof');
  if (profileDir) mkdirSync(profileDir, { recursive: true }); // the apps write their profiles there
  const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

  const children: Child[] = [];
  try {
    const clientSecret = randomBytes(24).toString('base64url');
    log('starting the emulator');
    // Named identities for the logins of the four apps that confirm (bench/lib/tokens.ts).
    const emulator = await startChild('emulator', 'emulator', {
      env: { BENCH_CLIENT_SECRET: clientSecret, BENCH_IDENTITIES: String(4 * IDENTITIES_PER_APP) },
    });
    children.push(emulator);
    const bindid = {
      issuer: emulator.info.issuer as string,
      apiUrl: emulator.info.apiUrl as string,
      clientId: emulator.info.clientId as string,
      clientSecret,
    };
    log('starting the apps and the probe');
    let userBase = 0;
    const appEnv = (variant: string, apiUrl = bindid.apiUrl): Record<string, string> => ({
      BENCH_VARIANT: variant,
      BENCH_USER_BASE: String((userBase += 100_000)),
      BENCH_ISSUER: bindid.issuer,
      BENCH_API_URL: apiUrl,
      ...(apiUrl.startsWith('https:') ? { NODE_EXTRA_CA_CERTS: TLS_CERT_FILE } : {}),
      BENCH_CLIENT_ID: bindid.clientId,
      BENCH_CLIENT_SECRET: clientSecret,
      BENCH_DEADLINE_MS: String(config.down.deadlineMs),
    });
    const apiTlsUrl = emulator.info.apiTlsUrl as string;
    const [plain, library, baseline, libraryTls, baselineTls, probe] = await Promise.all([
      startChild('app plain', 'app', { env: appEnv('plain') }),
      startChild('app library', 'app', { env: appEnv('library') }),
      startChild('app baseline', 'app', { env: appEnv('baseline') }),
      startChild('app library (https)', 'app', { env: appEnv('library', apiTlsUrl) }),
      startChild('app baseline (https)', 'app', { env: appEnv('baseline', apiTlsUrl) }),
      startChild('probe', 'probe'),
    ]);
    children.push(plain, library, baseline, libraryTls, baselineTls, probe);
    // Each app signs its own range of identities in; logins are minted before each run (seed.ts).
    const minters = new Map([library, baseline, libraryTls, baselineTls].map((app, i) => [app, new LoginMinter(bindid, i * IDENTITIES_PER_APP)]));

    const ctx: BenchContext = {
      config,
      emulator,
      bindid,
      apps: { plain, library, baseline, libraryTls, baselineTls },
      probe,
      minterOf: (app) => {
        const minter = minters.get(app);
        if (!minter) throw new Error(`${app.name} confirms no BindID login`);
        return minter;
      },
      log,
      ...(profileDir ? { profileDir: path.resolve(profileDir) } : {}),
      pin: !process.argv.includes('--no-pin'),
      startChild: async (name, script, env) => {
        const child = await startChild(name, script, { env });
        children.push(child);
        return child;
      },
    };
    const ourCpu = async () => {
      const own = process.cpuUsage();
      const stats = await Promise.all(children.map((c) => c.stats()));
      return stats.reduce((sum, s) => sum + s.cpuMicros, own.user + own.system);
    };
    const sections: Section[] = [];
    const load: string[][] = [];
    for (const [name, scenario] of Object.entries(SCENARIOS) as [ScenarioName, (c: BenchContext) => Promise<Section>][]) {
      if (only && !only.includes(name)) continue;
      const before = mark(await ourCpu());
      const section = await scenario(ctx);
      const others = otherCpus(before, mark(await ourCpu()));
      sections.push(section);
      load.push([section.title, num(others, 2)]);
    }
    const seconds = (Date.now() - started) / 1000;
    const loadTable = { title: 'Machine load from other processes during each scenario', headers: ['scenario', 'CPUs used by others'], rows: load };

    for (const section of sections) {
      process.stdout.write(`\n${section.title}\n`);
      for (const table of section.tables) process.stdout.write(`\n${textTable(table)}\n`);
    }
    process.stdout.write(`\n${textTable(loadTable)}\n\n${textTable(targetsTable(sections))}\n\nTotal: ${seconds.toFixed(0)} s\n`);

    const charts = sections.flatMap((s) => (s.chart ? [{ name: s.chart.name, svg: renderChart(s.chart) }] : []));
    if (out) {
      const chartDir = path.join(path.dirname(out), CHART_DIR);
      mkdirSync(chartDir, { recursive: true });
      for (const chart of charts) writeFileSync(path.join(chartDir, `${chart.name}.svg`), chart.svg);
      writeFileSync(out, markdown(sections, seconds, smoke, loadTable));
      log(`wrote ${path.relative(process.cwd(), out) || out}`);
    }
    if (smoke) {
      const missing = sections.flatMap((s) => s.figures.filter((f) => !Number.isFinite(f)).map(() => s.title));
      if (sections.length === 0 || missing.length > 0) {
        throw new Error(`the smoke bench gave no number for: ${[...new Set(missing)].join(', ') || 'anything'}`);
      }
      log(`smoke: ${sections.reduce((n, s) => n + s.figures.length, 0)} figures, all numbers`);
    }
  } finally {
    setupAgent.destroy();
    closeSigninAgents();
    await Promise.all(children.map((c) => c.stop()));
  }
}

function targetsTable(sections: Section[]) {
  return {
    title: 'Targets',
    headers: ['target', 'measured', 'met'],
    rows: sections.flatMap((s) => s.targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO'])),
  };
}

function machine(): string[] {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown';
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    // The charts this run just wrote are not a change of the code measured.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench', `:!${CHART_DIR}`], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout
  }
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return [
    `- Command: \`npm run bench\``,
    `- Date: ${new Date().toISOString()}`,
    `- Node.js: ${process.version} (${os.platform()} ${os.arch()}, kernel ${os.release()})`,
    `- CPU: ${model}, ${os.availableParallelism()} CPUs available (\`nproc\`), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
    `- express-bindid ${pkg.version}, commit ${commit}`,
  ];
}

function markdown(sections: Section[], seconds: number, smoke: boolean, loadTable: Table): string {
  const lines = [
    '# Benchmarks',
    '',
    smoke ? '**Smoke run: tiny sizes, the figures mean nothing.**\n' : '',
    'Written by `npm run bench` (bench/run.ts); see bench/README.md for the design. Figures are the median of ',
    'the runs, with min–max in parentheses; runs of the compared variants alternate, and ratios are taken per ',
    'pair of adjacent runs, because absolute figures on a shared machine drift.',
    '',
    ...machine(),
    `- Duration of this run: ${seconds.toFixed(0)} s`,
    '- Processes: the BindID emulator (with a TLS terminator in front of its API), five app processes (without ' +
      'the library; with it and with the hand-written baseline, each reporting over HTTP and over HTTPS), a ' +
      '`/healthz` probe, the in-process pass-through measure, and for the signin scenario a second emulator ' +
      '(HTTPS on both sides) and four sign-in apps (express-bindid and three peers); this process runs the ' +
      'load (autocannon, and its own sign-in driver). They share the CPUs: on 2 cores the load generator, the ' +
      'app and the emulator compete, so absolute figures are lower than on a dedicated machine and the ratios ' +
      'are the figures to read (the pass-through scenario pins the load generator and the apps to one core each).',
    '',
    `Other processes on the machine (\`/proc/stat\` busy time minus the bench's own processes' CPU time), ` +
      `in CPUs, on average over each scenario; figures taken while this is well above 0 are disturbed:`,
    '',
    markdownTable(loadTable),
    '',
    '## Targets',
    '',
    markdownTable(targetsTable(sections)),
    '',
  ];
  for (const section of sections) {
    lines.push(`## ${section.title}`, '');
    if (section.chart) lines.push(`![${section.chart.title}](${CHART_DIR}/${section.chart.name}.svg)`, '');
    lines.push(...section.method.flatMap((m) => [m, '']));
    for (const table of section.tables) lines.push(`**${table.title}**`, '', markdownTable(table), '');
    lines.push(...(section.notes ?? []).flatMap((n) => [n, '']));
  }
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
