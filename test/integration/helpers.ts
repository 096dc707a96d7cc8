/**
 * Helpers of the integration suites, which run on Express 4 and on Express 5 (see jest.config.js):
 * which Express is loaded, a cookie-keeping browser built on `fetch`, and an app served on a free
 * loopback port next to an emulator whose redirect URI points at it.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session, { type SessionOptions } from 'express-session';
import { Passport } from 'passport';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { type BindIdRouterOptions, bindIdRouter, createLocalStrategy, isBindIdError } from '../../src/index.js';
import { TEST_SIGNING_KEY } from '../helpers/signing-key.js';

declare global {
  /** Set per Jest project (jest.config.js): the Express major version the suite must run on. */
  var EXPRESS_MAJOR: number | undefined;
}

/**
 * The Express this suite runs on, read from the package.json of the module `express` resolved to
 * (so a broken `moduleNameMapper` fails loudly instead of testing Express 5 twice).
 */
export function expressUnderTest(): { major: number; version: string } {
  const main = require.resolve('express');
  const { name, version } = JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const major = Number(version.split('.')[0]);
  if (name !== 'express' || (globalThis.EXPRESS_MAJOR !== undefined && major !== globalThis.EXPRESS_MAJOR)) {
    throw new Error(`expected Express ${globalThis.EXPRESS_MAJOR}, loaded ${name}@${version} from ${main}`);
  }
  return { major, version };
}

/** One response as the browser saw it. */
export interface Page {
  status: number;
  /** `Location` resolved against the request URL, for redirects. */
  location: string | undefined;
  text: string;
  headers: Headers;
}

/** A browser that keeps cookies per origin and never follows redirects by itself. */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  async get(url: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(url, { method: 'GET', headers });
  }

  /** POST a urlencoded form (with `Origin` set to the target's origin unless given). */
  async post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(url, {
      method: 'POST',
      headers: { origin: new URL(url).origin, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** POST a JSON body. */
  async postJson(url: string, body: unknown): Promise<Page> {
    return this.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  /** Set a cookie as another page of the same site would. */
  setCookie(origin: string, name: string, value: string): void {
    this.store(new URL(origin).origin, `${name}=${value}`);
  }

  private async request(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Page> {
    const origin = new URL(url).origin;
    const cookies = this.jar.get(origin);
    const headers: Record<string, string> = { ...init.headers };
    if (cookies && cookies.size > 0) {
      headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(origin, line);
    const location = res.headers.get('location');
    return {
      status: res.status,
      location: location === null ? undefined : new URL(location, url).href,
      text: await res.text(),
      headers: res.headers,
    };
  }

  private store(origin: string, line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const at = pair.indexOf('=');
    if (at <= 0) return;
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const expired = attributes.some((a) => {
      const [key = '', val = ''] = a.trim().split('=');
      if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
      if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now();
      return false;
    });
    const cookies = this.jar.get(origin) ?? new Map<string, string>();
    if (expired) cookies.delete(name);
    else cookies.set(name, value);
    this.jar.set(origin, cookies);
  }
}

/** The `_csrf` value of a confirm page. */
export function csrfOf(page: Page): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page.text);
  if (!match?.[1]) throw new Error(`no CSRF token in the page (status ${page.status})`);
  return match[1];
}

/** An app on a free loopback port with an emulator that accepts its callback. */
export interface Served {
  baseUrl: string;
  emulator: Emulator;
  /** Install the app (built once the emulator's URLs are known). */
  mount(app: Express): void;
  close(): Promise<void>;
}

/**
 * Listen on 127.0.0.1 (free port), then start an emulator whose registered redirect URI is
 * `<baseUrl><callbackPath>` (plus any in `options`); the app is mounted afterwards with `mount(app)`.
 */
export async function serve(callbackPath = '/bindid/callback', options: EmulatorOptions = {}): Promise<Served> {
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end('app not mounted yet');
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const emulator = await createEmulator({ signingKey: TEST_SIGNING_KEY, ...options, redirectUris: [`${baseUrl}${callbackPath}`, ...(options.redirectUris ?? [])] });
  return {
    baseUrl,
    emulator,
    mount(app) {
      handler = app;
    },
    async close() {
      server.closeAllConnections();
      await Promise.all([new Promise((resolve) => server.close(resolve)), emulator.close()]);
    },
  };
}

/** The app user of the integration suites. */
export interface TestUser {
  id: number;
  username: string;
}

export const alice: TestUser = { id: 7, username: 'alice' };
export const PASSWORD = 'correct horse';

/** Options of {@link routerApp}. */
export interface RouterAppOptions {
  /** Overrides of the router's options (the emulator's URLs and client are the defaults). */
  router?: Partial<BindIdRouterOptions<TestUser>>;
  /** express-session options (default: a memory store, cookie `SameSite=Lax`). */
  session?: Partial<SessionOptions>;
  /** Called on the new app before any middleware (e.g. `app.set('trust proxy', ...)`). */
  configure?: (app: Express) => void;
}

/**
 * An app with password sign-in (passport-local, user `alice`) and the BindID router against
 * `served.emulator`; `GET /whoami` answers `{ user, pending }`; errors answer `{ code }` with their status.
 */
export function routerApp(served: Served, options: RouterAppOptions = {}): Express {
  const { emulator, baseUrl } = served;
  const passport = new Passport();
  passport.serializeUser((user, done) => done(null, (user as TestUser).id));
  passport.deserializeUser((id: number, done) => done(null, id === alice.id ? alice : false));
  passport.use(
    createLocalStrategy<TestUser>({ verify: async (username, password) => (username === 'alice' && password === PASSWORD ? alice : false) }),
  );
  const app = express();
  options.configure?.(app);
  app.use(
    session({
      secret: 'integration-session-secret',
      resave: false,
      saveUninitialized: false,
      cookie: { sameSite: 'lax' },
      ...options.session,
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(
    bindIdRouter<TestUser>({
      issuer: emulator.issuer,
      apiUrl: emulator.apiUrl,
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      baseUrl,
      passport,
      findUserByAlias: (alias) => (alias === String(alice.id) ? alice : null),
      ...options.router,
    }),
  );
  app.get('/whoami', (req: Request, res: Response) => {
    res.json({ user: req.user ?? null, pending: req.session.bindid?.pending !== undefined });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(isBindIdError(err) ? err.status : 500).json({ code: isBindIdError(err) ? err.code : 'unexpected' });
  });
  return app;
}
