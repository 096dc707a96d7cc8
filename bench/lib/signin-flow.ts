/**
 * The load generator of the signin scenario: closed-loop browsers, each signing a returning BindID
 * user in again and again. autocannon drives one origin; a sign-in spans the app and BindID, so this
 * is a small client of its own (node:http and node:https with keep-alive agents, a cookie jar per
 * sign-in, as a browser with no cookie for the app yet).
 *
 * One sign-in: `GET /login/bindid` (a redirect to BindID's `/authorize`) → `GET /authorize?...&identity=r<n>`
 * (the emulator's scripted shortcut: a redirect to the callback with a code) → `GET /bindid/callback?...`
 * (a redirect to `/`) → `GET /` (200 with `Hello u<n>`: signed in as the right user). Its latency is
 * the time of the four. Codes, states and cookies are never printed.
 *
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import { type LatencySummary, summarize } from './stats.js';

/** What {@link runSignins} needs. */
export interface SigninLoad {
  /** `http://127.0.0.1:<port>` of the app. */
  appUrl: string;
  /** The app's configured public origin (the redirect URI's), mapped to `appUrl`. */
  baseUrl: string;
  /** Concurrent browsers. */
  connections: number;
  /** Run for this many seconds. */
  seconds: number;
  /** Returning users `r0`...`r<users-1>` (alias `u<n>`), used in turn. */
  users: number;
  /** The emulator's certificate (the load generator trusts only it). */
  ca: Buffer;
}

/** What one run measured. */
export interface SigninResult {
  /** Completed sign-ins (the final page showed the right user). */
  count: number;
  seconds: number;
  rps: number;
  latency: LatencySummary;
  /** Sign-ins that went wrong, and what the first one got (step and status only). */
  failures: number;
  firstFailure?: string;
}

interface Answer {
  status: number;
  location?: string;
  cookies: string[];
  body: string;
}

/** Keep-alive agents shared by the runs (one connection per browser to each side). */
const agents = new Map<string, http.Agent>();

function agentFor(url: URL, load: SigninLoad): http.Agent {
  const key = `${url.protocol}${load.connections}`;
  let agent = agents.get(key);
  if (!agent) {
    agent =
      url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: load.connections, ca: load.ca })
        : new http.Agent({ keepAlive: true, maxSockets: load.connections });
    agents.set(key, agent);
  }
  return agent;
}

/** Close the kept-alive connections (at the end of the bench). */
export function closeSigninAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

function get(url: URL, load: SigninLoad, cookie: string): Promise<Answer> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.get(url, { agent: agentFor(url, load), headers: cookie ? { cookie } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers.location ? { location: res.headers.location } : {}),
          cookies: res.headers['set-cookie'] ?? [],
          body,
        }),
      );
      res.once('error', reject);
    });
    req.once('error', reject);
  });
}

/** A browser's cookies for the app (all on one origin; attributes other than expiry ignored). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => {
        const [k = '', v = ''] = a.trim().split('=');
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

const isRedirect = (status: number): boolean => status === 302 || status === 303;

/** One sign-in of returning user `n`; resolves with undefined, or what went wrong (no secrets). */
async function signIn(load: SigninLoad, n: number): Promise<string | undefined> {
  const jar = new CookieJar();
  const onApp = (location: string): URL => {
    const url = new URL(location, load.baseUrl);
    return url.origin === new URL(load.baseUrl).origin ? new URL(`${url.pathname}${url.search}`, load.appUrl) : url;
  };
  const login = await get(new URL('/login/bindid', load.appUrl), load, '');
  jar.take(login.cookies);
  if (!isRedirect(login.status) || !login.location) return `login: HTTP ${login.status}`;
  const authorize = new URL(login.location);
  authorize.searchParams.set('identity', `r${n}`);
  const bindid = await get(authorize, load, '');
  if (!isRedirect(bindid.status) || !bindid.location) return `authorize: HTTP ${bindid.status}`;
  const callback = await get(onApp(bindid.location), load, jar.header());
  jar.take(callback.cookies);
  if (!isRedirect(callback.status) || !callback.location) return `callback: HTTP ${callback.status}`;
  const home = await get(onApp(callback.location), load, jar.header());
  if (home.status !== 200 || !home.body.includes(`Hello u${n}<`)) return `home: HTTP ${home.status}, not signed in as u${n}`;
  return undefined;
}

/** Run closed-loop sign-ins for `load.seconds` and summarize. */
export async function runSignins(load: SigninLoad): Promise<SigninResult> {
  const samples: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let next = 0;
  const started = performance.now();
  const deadline = started + load.seconds * 1000;
  const browser = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const problem = await signIn(load, next++ % load.users).catch((err: unknown) => `network: ${err instanceof Error ? err.message : 'error'}`);
      if (problem === undefined) samples.push(performance.now() - t0);
      else {
        failures += 1;
        firstFailure ??= problem;
      }
    }
  };
  await Promise.all(Array.from({ length: load.connections }, browser));
  const seconds = (performance.now() - started) / 1000;
  return {
    count: samples.length,
    seconds,
    rps: samples.length / seconds,
    latency: summarize(samples),
    failures,
    ...(firstFailure ? { firstFailure } : {}),
  };
}
