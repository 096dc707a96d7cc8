/**
 * The parent side of the multi-instance Redis suite: app instances in their own processes
 * (`instance.ts`), and a browser whose one cookie jar is used against any of them, as a browser
 * behind a load balancer that sends each request to whichever instance it picks.
 *
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';

/** The public origin every instance is configured with (the browser never resolves it). */
export const PUBLIC_ORIGIN = 'http://localhost:4000';

/** What an instance told the parent. */
export interface InstanceEvent {
  instance: string;
  name: 'linked' | 'link-failed' | 'queued' | 'delivered' | 'retry' | 'dead-letter' | 'recognized' | 'verify' | 'unlinked' | 'unlink-held' | 'token-request';
  sub?: string;
  /** The username a password check was for (`verify`, gated instances only). */
  username?: string;
  alias?: string;
  reason?: string;
  code?: string;
}

/** Settings of one instance. */
export interface InstanceOptions {
  failureMode?: 'closed' | 'open';
  maxAttempts?: number;
  perAccount?: number;
  /** Hold every password check until {@link Instance.gate} opens it (and tell each one as a `verify` event). */
  gated?: boolean;
  /** `redisUrl` lists the nodes of a Redis Cluster (comma-separated): the instance uses cluster clients. */
  cluster?: boolean;
  /** Fail-open without an `outbox` option: the default outbox, in the router's `store` (RedisBindIdStore). */
  defaultOutbox?: boolean;
  /**
   * While the gate is closed ({@link Instance.gate}), hold BindID's answer to every `alias_deleted`
   * once BindID applied it (and tell each one as an `unlink-held` event): an unlink stopped between
   * BindID's deletion and the registry's forgetting.
   */
  holdUnlinks?: boolean;
}

/** A running app instance. */
export interface Instance {
  readonly name: string;
  readonly url: string;
  /** Everything it reported, in order (shared by the suite: see {@link startInstance}). */
  readonly events: InstanceEvent[];
  /** Disconnect it (it stops its worker and closes) and wait for its exit. */
  stop(): Promise<void>;
  /** SIGKILL: the process dies at once, mid-whatever, as a crashed instance does. */
  kill(): Promise<void>;
  /** Open or close the gate of a `gated` (or `holdUnlinks`) instance; resolves once the instance did. */
  gate(open: boolean): Promise<void>;
}

// An ES-module caller (the chaos run, test/chaos/, under tsx from the repository's root) has no `__dirname`.
const SCRIPT = typeof __dirname === 'string' ? path.join(__dirname, 'instance.ts') : path.resolve('test/redis/instance.ts');

/** What an instance needs of the emulator: an `Emulator`, or the URLs and client of one running in another process. */
export type EmulatorEndpoints = Pick<Emulator, 'issuer' | 'apiUrl' | 'clientId' | 'clientSecret'>;

/** Start an instance talking to `redisUrl` (a cluster's node URLs, comma-separated, with `cluster`) and `emulator`; resolves once it listens. */
export function startInstance(name: string, redisUrl: string, emulator: EmulatorEndpoints, options: InstanceOptions = {}): Promise<Instance> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    INSTANCE_NAME: name,
    INSTANCE_REDIS_URL: redisUrl,
    INSTANCE_ISSUER: emulator.issuer,
    INSTANCE_API_URL: emulator.apiUrl,
    INSTANCE_CLIENT_ID: emulator.clientId,
    INSTANCE_CLIENT_SECRET: emulator.clientSecret,
    INSTANCE_BASE_URL: PUBLIC_ORIGIN,
    INSTANCE_FAILURE_MODE: options.failureMode ?? 'closed',
    INSTANCE_MAX_ATTEMPTS: String(options.maxAttempts ?? 5),
    INSTANCE_PER_ACCOUNT: String(options.perAccount ?? 10),
    INSTANCE_GATED: options.gated ? '1' : '0',
    INSTANCE_REDIS_CLUSTER: options.cluster ? '1' : '0',
    INSTANCE_DEFAULT_OUTBOX: options.defaultOutbox ? '1' : '0',
    INSTANCE_HOLD_UNLINKS: options.holdUnlinks ? '1' : '0',
  };
  delete env.DEBUG;
  delete env.NODE_OPTIONS; // Jest's options (coverage hooks...) are not the instance's
  const proc = fork(SCRIPT, [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const events: InstanceEvent[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`instance ${name} did not start within 60 s`)), 60_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(err);
    };
    proc.once('error', fail);
    proc.once('exit', (code) => fail(new Error(`instance ${name} exited with code ${code} before it was ready`)));
    proc.on('message', (raw) => {
      const message = raw as { type: string; port?: number } & InstanceEvent;
      if (message.type === 'event') {
        const { type: _type, ...event } = message;
        events.push(event);
      } else if (message.type === 'ready') {
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        proc.removeAllListeners('error');
        resolve(wrap(name, proc, `http://127.0.0.1:${message.port}`, events));
      }
    });
  });
}

function wrap(name: string, proc: ChildProcess, url: string, events: InstanceEvent[]): Instance {
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  return {
    name,
    url,
    events,
    async stop() {
      if (!proc.connected) return exited;
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.disconnect();
      await exited;
      clearTimeout(kill);
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
    gate(open) {
      return new Promise((resolve) => {
        const done = (raw: unknown) => {
          if ((raw as { type?: string }).type !== 'gate-set') return;
          proc.off('message', done);
          resolve();
        };
        proc.on('message', done);
        proc.send({ type: 'gate', open });
      });
    },
  };
}

/** One answer as the browser sees it. */
export interface Page {
  status: number;
  location: string | null;
  text: string;
}

/**
 * A browser: one cookie jar, sent to whichever instance a request goes to. Redirects are not
 * followed (the test decides where the next request goes); requests to the emulator carry no cookie.
 */
export class Browser {
  readonly #cookies = new Map<string, string>();

  /** GET `path` (or the path + query of a public-origin URL) on `instance`. */
  get(instance: Instance, target: string): Promise<Page> {
    return this.#send(instance, target, { method: 'GET' });
  }

  /** POST a urlencoded form, same-origin (Origin: the public origin), to `instance`. */
  post(instance: Instance, target: string, form: Record<string, string>): Promise<Page> {
    return this.#send(instance, target, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: PUBLIC_ORIGIN },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** The whole BindID hop: login start on `start`, the emulator as `identity`, the callback on `callback`. */
  async bindIdSignIn(start: Instance, callback: Instance, identity: string): Promise<Page> {
    const login = await this.get(start, '/login/bindid');
    if (login.status !== 303 || !login.location) throw new Error(`GET /login/bindid on ${start.name} answered ${login.status}`);
    const authorize = await fetch(`${login.location}&identity=${encodeURIComponent(identity)}`, { redirect: 'manual' });
    const back = authorize.headers.get('location');
    if (authorize.status !== 302 || !back) throw new Error(`the emulator's /authorize answered ${authorize.status}`);
    return this.get(callback, back);
  }

  /** GET the confirm page on `instance` and read its CSRF token ('' when the page has none). */
  async confirmPage(instance: Instance): Promise<{ page: Page; csrf: string }> {
    const page = await this.get(instance, '/bindid/confirm');
    return { page, csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '' };
  }

  /** POST the confirm form to `instance`. */
  confirm(instance: Instance, csrf: string, username: string, password: string): Promise<Page> {
    return this.post(instance, '/bindid/confirm', { _csrf: csrf, username, password });
  }

  /**
   * Start unlinking BindID on `instance` (the signed-in user's form: its CSRF token, same origin) and
   * sign in at BindID as `identity`: the callback URL (not yet opened) and the authorization URL.
   */
  async unlinkAt(instance: Instance, identity: string): Promise<{ callback: string; authorize: URL }> {
    const { csrf } = JSON.parse((await this.get(instance, '/csrf')).text) as { csrf: string };
    const start = await this.post(instance, '/bindid/unlink', { _csrf: csrf });
    if (start.status !== 303 || !start.location) throw new Error(`POST /bindid/unlink on ${instance.name} answered ${start.status} ${start.text}`);
    const authorize = new URL(start.location);
    const res = await fetch(`${authorize.href}&identity=${encodeURIComponent(identity)}`, { redirect: 'manual' });
    const callback = res.headers.get('location');
    if (res.status !== 302 || !callback) throw new Error(`the emulator's /authorize answered ${res.status}`);
    return { callback, authorize };
  }

  /** Who `instance` says is signed in. */
  async whoami(instance: Instance): Promise<{ id: number; username: string } | null> {
    const page = await this.get(instance, '/whoami');
    return (JSON.parse(page.text) as { user: { id: number; username: string } | null }).user;
  }

  async #send(instance: Instance, target: string, init: RequestInit): Promise<Page> {
    const url = new URL(target, PUBLIC_ORIGIN);
    if (url.origin !== PUBLIC_ORIGIN) throw new Error(`expected a path or a URL of the app, got ${url.origin}`);
    const cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${instance.url}${url.pathname}${url.search}`, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const key = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, pair.slice(eq + 1).trim());
    }
    return { status: res.status, location: res.headers.get('location'), text: await res.text() };
  }
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wait until `check()` is true (polling every 25 ms), or throw `what` after `ms`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(25);
  }
}
