/**
 * The browser test's tools: the example server (spawned as `npm start` runs it), Debian's Chromium
 * driven by playwright-core, screenshots, the axe-core check and the emulator's record of reports.
 * Everything stays on 127.0.0.1; nothing downloads a browser.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AxeResults, ImpactValue } from 'axe-core';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import type { ReceivedReport } from '../../src/emulator/index.js';

export const ROOT = resolve(__dirname, '../..');
/** Debian's `chromium` package (`.ci/run` installs it with apt). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The tracked screenshots the README shows. */
export const TRACKED_SCREENSHOTS = join(ROOT, 'docs/screenshots');
/**
 * Whether this run rewrites the tracked screenshots: only when asked (`UPDATE_SCREENSHOTS=1 npm run
 * test:e2e`), since every run differs by a few pixels and a test run must leave the working tree as
 * it found it (`.ci/run` checks `git status --porcelain`).
 */
export const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
/** Where this run writes its screenshots: docs/screenshots when updating, else a directory under os.tmpdir(). */
export const SCREENSHOTS = UPDATE_SCREENSHOTS ? TRACKED_SCREENSHOTS : join(tmpdir(), 'express-bindid-screenshots');
/** The example's demo account (examples/basic/server.ts). */
export const DEMO_USER = 'demo';
export const DEMO_PASSWORD = 'correct horse battery staple';
/** Desktop size of the screenshots; the phone one is 390 px wide. */
export const DESKTOP = { width: 800, height: 600 };
export const PHONE = { width: 390, height: 844 };

// --- the example server --------------------------------------------------------------------------

/** A running `examples/basic/server.ts`: the app and its embedded emulator. */
export interface ExampleServer {
  /** The app, as printed: `http://localhost:<port>`. */
  baseUrl: string;
  /** The emulator's sign-in side (issuer) and API side, as printed. */
  issuer: string;
  apiUrl: string;
  stop(): Promise<void>;
}

/**
 * Spawn the example as `npm start` does (`tsx examples/basic/server.ts`, or another example's
 * `script` that prints the same lines), on three free ports (PORT, PORT+1, PORT+2), and wait for
 * the URLs it prints.
 */
export async function startExample(env: Record<string, string> = {}, script = 'examples/basic/server.ts'): Promise<ExampleServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePortRun(3);
    try {
      return await spawnExample(port, env, script);
    } catch (err) {
      lastError = err; // most likely a port taken in between: try others
    }
  }
  throw lastError;
}

function spawnExample(port: number, env: Record<string, string>, script: string): Promise<ExampleServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: 'localhost' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If the test process ends without stopping it (a crash, Ctrl+C), do not leave it running.
  const orphanGuard = (): void => void child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.off('exit', orphanGuard));
  let output = '';
  return new Promise<ExampleServer>((resolvePromise, reject) => {
    const timer = setTimeout(() => fail(new Error('the example did not print its URLs within 30 s')), 30_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      void stopChild(child).then(() => reject(new Error(`${err.message}\n--- example output ---\n${printable(output)}`)));
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const open = /Open:\s+(http:\/\/\S+?)\/?\n/.exec(output);
      const emulator = /BindID emulator:\s+(http:\/\/\S+) \(API (http:\/\/\S+)\)/.exec(output);
      if (open && emulator) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolvePromise({
          baseUrl: open[1] as string,
          issuer: emulator[1] as string,
          apiUrl: emulator[2] as string,
          stop: () => stopChild(child),
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => fail(new Error(`the example exited (${signal ?? code}) before it was ready`)));
    child.once('error', (err) => fail(err));
  });
}

/** The server's output without the line that shows the demo password. */
function printable(output: string): string {
  return output.replace(/^.*password.*$/gim, '  [line with a password left out]');
}

/** SIGTERM (the example closes its servers), then SIGKILL after 5 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** A port P such that P..P+count-1 are free on 127.0.0.1 now. */
async function freePortRun(count: number): Promise<number> {
  for (;;) {
    const first = await listenOnce(0);
    let ok = first + count - 1 < 65536;
    for (let i = 1; ok && i < count; i++) ok = (await listenOnce(first + i).catch(() => 0)) !== 0;
    if (ok) return first;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** What the emulator received on `POST /session-feedback` (its `GET /__emulator/reports`). */
export async function reportsReceived(server: { apiUrl: string }): Promise<ReceivedReport[]> {
  const res = await fetch(`${server.apiUrl}/__emulator/reports`);
  if (res.status !== 200) throw new Error(`GET /__emulator/reports answered ${res.status}`);
  return (await res.json()) as ReceivedReport[];
}

// --- the browser ---------------------------------------------------------------------------------

/** One browser with a fresh profile, and what it saw that a test should fail on. */
export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Requests that left 127.0.0.1/localhost, CSP violations, page errors. */
  problems: string[];
  /** Every request the pages made, `METHOD URL`. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Launch Debian's Chromium, headless, with a fresh user-data dir (removed by `close`).
 * `javaScript: false` shows that the pages work without it.
 */
export async function openBrowser(options: { javaScript?: boolean } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'express-bindid-e2e-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
      viewport: DESKTOP,
      javaScriptEnabled: options.javaScript ?? true,
      locale: 'en-US',
      timezoneId: 'UTC',
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const problems: string[] = [];
  const requests: string[] = [];
  context.on('request', (request) => {
    requests.push(`${request.method()} ${request.url()}`);
    const { protocol, hostname } = new URL(request.url());
    if (protocol !== 'data:' && hostname !== 'localhost' && hostname !== '127.0.0.1') {
      problems.push(`request to another host: ${request.url()}`);
    }
  });
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  context.on('weberror', (error) => problems.push(`page error: ${error.error().message}`));
  context.setDefaultTimeout(10_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    problems,
    requests,
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Click what submits a form or follows a link, and wait for the next page to load. */
export async function go(target: Locator): Promise<void> {
  await target.click();
  await target.page().waitForLoadState('load');
}

/** The text of the page's `h1`. */
export async function heading(page: Page): Promise<string> {
  return ((await page.getByRole('heading', { level: 1 }).textContent()) ?? '').trim();
}

/** The text of every `role="alert"` element, trimmed. */
export async function alerts(page: Page): Promise<string[]> {
  return (await page.getByRole('alert').allTextContents()).map((text) => text.trim());
}

/** The path (and query) of the page's URL. */
export function path(page: Page): string {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}`;
}

/** Save a full-page screenshot as `<SCREENSHOTS>/<name>.png` (docs/screenshots only with `UPDATE_SCREENSHOTS=1`). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

// --- accessibility -------------------------------------------------------------------------------

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** One page's axe-core result, kept for the summary. */
export interface A11yResult {
  name: string;
  violations: { id: string; impact: ImpactValue | undefined; nodes: number; help: string }[];
}
export const a11yResults: A11yResult[] = [];

/**
 * Run axe-core (all its default rules: WCAG 2.x A/AA and best practices) on the page. It is
 * evaluated through the DevTools protocol, because the confirm page's policy (`default-src 'none'`)
 * rightly refuses `addScriptTag`. Returns the serious and critical violations.
 */
export async function axeCheck(page: Page, name: string): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() =>
    (globalThis as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run(),
  );
  const violations = results.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  a11yResults.push({ name, violations });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes} element(s))`);
}

/** One line per checked page: its violations of any impact, or "none". */
export function a11ySummary(): string {
  return a11yResults
    .map(({ name, violations }) =>
      `  ${name}: ${violations.length === 0 ? 'no violations' : violations.map((v) => `${v.impact} ${v.id} (${v.nodes})`).join(', ')}`,
    )
    .join('\n');
}
