/**
 * The BindID sign-in flow under test: an Express app (express-session + passport + the
 * passport-local helper + `bindIdRouter`) talking to an in-process emulator, and a supertest agent
 * (cookie jar) walking the journey. The browser's hop through BindID uses the emulator's
 * `identity=` shortcut over plain HTTP. Nothing leaves 127.0.0.1: the app's public origin
 * `http://localhost:4000` only appears in URLs (supertest listens on its own port).
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import session from 'express-session';
import { decodeJwt } from 'jose';
import passport from 'passport';
import request from 'supertest';
import { type Emulator, type EmulatorOptions, createEmulator } from '../../src/emulator/index.js';
import { TEST_SIGNING_KEY } from './signing-key.js';
import { type BindIdRouter, type BindIdRouterOptions, bindIdRouter, createLocalStrategy, isBindIdError } from '../../src/index.js';
import { journeyEmulatorMode } from './emulator-mode.js';

export const APP_ORIGIN = 'http://localhost:4000';

/** A user of the test app; the alias is String(id). */
export interface TestUser {
  id: number;
  username: string;
}

export const USERS: ReadonlyArray<TestUser & { password: string }> = [
  { id: 1, username: 'alice', password: 'alice-password' },
  { id: 2, username: 'bob', password: 'bob-password' },
  // Spare users: each BindID identity may link only one account (and each account one identity).
  ...Array.from({ length: 60 }, (_, i) => ({ id: i + 3, username: `user${i + 3}`, password: `user${i + 3}-password` })),
];

let spare = 2;
/** Credentials of a user no test has linked yet (in this test file). */
export function freshUser(): { id: number; username: string; password: string } {
  const user = USERS[++spare];
  if (!user) throw new Error('out of spare test users');
  return user;
}

export type Agent = ReturnType<typeof request.agent>;

export interface FlowOptions {
  /** Options passed to bindIdRouter on top of the defaults below (a function gets the emulator, e.g. for `client`). */
  router?: Partial<BindIdRouterOptions<TestUser>> | ((emulator: Emulator) => Partial<BindIdRouterOptions<TestUser>>);
  /** Options of the emulator (the redirect URI is added). */
  emulator?: EmulatorOptions;
  /**
   * Use this running emulator instead of starting one (it must accept `${APP_ORIGIN}/bindid/callback`);
   * `close()` then leaves it running. For two app instances (a restart) talking to one BindID.
   */
  sharedEmulator?: Emulator;
  /** A session store (default: express-session's MemoryStore). */
  store?: session.Store;
  /** Calls to the password check, for "verify was (not) called" assertions. */
  verifyCalls?: string[];
  /**
   * Configure the app's passport instance before the default serializers and strategy are added: a
   * serializer added here runs first (`done('pass')` hands over to the default), and a strategy added
   * here can be chosen with `router: { strategy }`.
   */
  passport?: (instance: passport.Authenticator) => void;
  /**
   * What the app mounts, in this order (default {@link FLOW_MOUNTS}), to test wrong orders and
   * missing pieces (`/whoami` and the error handler always come last).
   */
  mount?: readonly FlowMount[];
  /**
   * Mounted just before the router: middleware (e.g. a passport-0.5-like `req.login`), or a function
   * that mounts the app's own middleware (body parsers...).
   */
  beforeRouter?: RequestHandler[] | ((app: express.Express) => void);
  /** Every error that reaches the app's error handler is pushed here (the error object itself). */
  errors?: unknown[];
  /** Called with every error that reaches the app's error handler (to count them). */
  onError?: (err: unknown) => void;
  /** Replace the password check (default: exact username and password of {@link USERS}). Its calls are still recorded in `verifyCalls`. */
  verify?: (username: string, password: string) => TestUser | false | Promise<TestUser | false>;
  /** Called with the app first, before express-session is mounted (`trust proxy`, a JSON body parser...). */
  configure?: (app: express.Express) => void;
  /** Mount the router under this prefix (`app.use(prefix, router)`) instead of at the root. */
  routerPrefix?: string;
  /** Called with the app after the router is mounted, before `/whoami` and the error handler (the app's own routes). */
  afterRouter?: (app: express.Express) => void;
}

/** The app's middleware: express-session, `passport.initialize()`, `passport.session()`, `bindIdRouter`. */
export type FlowMount = 'session' | 'initialize' | 'passport-session' | 'router';
/** The right order. */
export const FLOW_MOUNTS: readonly FlowMount[] = ['session', 'initialize', 'passport-session', 'router'];

export interface Flow {
  emulator: Emulator;
  app: express.Express;
  /** The mounted router (its `outboxWorker` in fail-open mode); undefined when `mount` leaves it out. */
  router: BindIdRouter | undefined;
  agent(): Agent;
  close(): Promise<void>;
}

/** Build the app and its emulator. Close with `flow.close()`. */
export async function createFlow(options: FlowOptions = {}): Promise<Flow> {
  if (options.sharedEmulator) return buildFlow(options.sharedEmulator, options, false);
  const emulator = await createEmulator({
    signingKey: TEST_SIGNING_KEY,
    ...journeyEmulatorMode(),
    ...options.emulator,
    redirectUris: [`${APP_ORIGIN}/bindid/callback`, ...(options.emulator?.redirectUris ?? [])],
  });
  try {
    return buildFlow(emulator, options, true);
  } catch (err) {
    await emulator.close();
    throw err;
  }
}

/** Options of {@link useFlowPerTest}. */
export interface FlowPerTestOptions {
  /**
   * Start one emulator for the whole file (on the first `start()` that gives no `emulator` or
   * `sharedEmulator` option; with these emulator options when an object) and {@link resetEmulator}
   * it at each such `start()`, instead of a new emulator per flow: each emulator costs a 2048-bit
   * RSA key (about 170 ms of CPU). For files whose tests each use their own users (`freshUser()`) and
   * identities (`new`, or the emulator's known ones, whose aliases the reset removes). Default `false`.
   */
  shareEmulator?: boolean | EmulatorOptions;
}

/**
 * One flow per test: `start(options)` builds it (a second call closes the first), verify calls are
 * recorded in `verifyCalls` (emptied before each test), and the flow is closed after the test.
 * `current()` is the flow of the running test.
 */
export function useFlowPerTest(perTest: FlowPerTestOptions = {}): { start(options?: FlowOptions): Promise<Flow>; current(): Flow; verifyCalls: string[] } {
  const verifyCalls: string[] = [];
  let flow: Flow | undefined;
  let shared: Promise<Emulator> | undefined;
  beforeEach(() => {
    verifyCalls.length = 0;
  });
  afterEach(async () => {
    await flow?.close();
    flow = undefined;
  });
  afterAll(async () => {
    await (await shared)?.close();
    shared = undefined;
  });
  /** The file's emulator, reset, when this flow may use it. */
  const sharedFor = async (options: FlowOptions): Promise<Emulator | undefined> => {
    const { shareEmulator } = perTest;
    if (!shareEmulator || options.emulator || options.sharedEmulator) return options.sharedEmulator;
    const settings = shareEmulator === true ? {} : shareEmulator;
    shared ??= createEmulator({ ...journeyEmulatorMode(), ...settings, redirectUris: [`${APP_ORIGIN}/bindid/callback`, ...(settings.redirectUris ?? [])] });
    const emulator = await shared;
    resetEmulator(emulator, settings.identities?.map((identity) => identity.id));
    return emulator;
  };
  return {
    verifyCalls,
    async start(options = {}) {
      await flow?.close();
      const sharedEmulator = await sharedFor(options);
      flow = await createFlow({ verifyCalls, ...options, ...(sharedEmulator ? { sharedEmulator } : {}) });
      return flow;
    },
    current() {
      if (!flow) throw new Error('no flow started in this test');
      return flow;
    },
  };
}

/**
 * One emulator for the calling file, with `options` (the redirect URI is added): started before its
 * first test, {@link resetEmulator}ed before each test (its known `identities`, default alice and
 * bob), closed after the last. `emulator()` gives it, for `createFlow({ sharedEmulator })`. Costs
 * one RSA key for the file instead of one per flow; each test then uses its own users and identities.
 */
export function useSharedEmulator(options: EmulatorOptions = {}): () => Emulator {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await createEmulator({ ...journeyEmulatorMode(), ...options, redirectUris: [`${APP_ORIGIN}/bindid/callback`, ...(options.redirectUris ?? [])] });
  });
  beforeEach(() => {
    if (emulator) resetEmulator(emulator, options.identities?.map((identity) => identity.id));
  });
  afterAll(async () => {
    await emulator?.close();
    emulator = undefined;
  });
  return () => {
    if (!emulator) throw new Error('useSharedEmulator: no emulator outside the tests of its file');
    return emulator;
  };
}

/**
 * Make a running emulator look new to the next test: no faults, no reports, and no alias on any
 * BindID user a report linked nor on its known `identities` (default: the emulator's default ones,
 * alice and bob). Identities it created stay (each `new` sign-in creates another anyway).
 */
export function resetEmulator(emulator: Emulator, identities: readonly string[] = ['alice', 'bob']): void {
  emulator.clearFaults();
  const linked = new Set(emulator.reports().flatMap((r) => (r.sub === undefined ? [] : [r.sub])));
  for (const id of identities) {
    const sub = emulator.subOf(id);
    if (sub !== undefined) linked.add(sub);
  }
  for (const sub of linked) emulator.setAlias(sub, undefined);
  emulator.clearReports();
}

function buildFlow(emulator: Emulator, options: FlowOptions, ownEmulator: boolean): Flow {
  let mounted: BindIdRouter | undefined;
  const instance = new passport.Passport();
  options.passport?.(instance);
  instance.serializeUser((user, done) => done(null, (user as TestUser).id));
  instance.deserializeUser((id: number, done) => done(null, publicUser(USERS.find((u) => u.id === id)) ?? false));
  instance.use(
    createLocalStrategy<TestUser>({
      verify: async (username, password) => {
        options.verifyCalls?.push(username);
        if (options.verify) return options.verify(username, password);
        const user = USERS.find((u) => u.username === username);
        return user && user.password === password ? publicUser(user) : false;
      },
    }),
  );

  const routerOptions = (typeof options.router === 'function' ? options.router(emulator) : options.router) ?? {};
  const app = express();
  options.configure?.(app);
  const mount: Record<FlowMount, () => void> = {
    session: () =>
      app.use(
        session({
          secret: 'flow-test-session-secret',
          resave: false,
          saveUninitialized: false,
          ...(options.store ? { store: options.store } : {}),
        }),
      ),
    initialize: () => app.use(instance.initialize()),
    'passport-session': () => app.use(instance.session()),
    router: () => {
      if (typeof options.beforeRouter === 'function') options.beforeRouter(app);
      else if (options.beforeRouter) app.use(...options.beforeRouter);
      mounted = bindIdRouter<TestUser>({
          issuer: emulator.issuer,
          // A ready `client` comes with its own API URL.
          ...(routerOptions.client ? {} : { apiUrl: emulator.apiUrl }),
          clientId: emulator.clientId,
          clientSecret: emulator.clientSecret,
          baseUrl: APP_ORIGIN,
          passport: instance,
          findUserByAlias: (alias) => publicUser(USERS.find((u) => String(u.id) === alias)),
          ...routerOptions,
        });
      if (options.routerPrefix) app.use(options.routerPrefix, mounted);
      else app.use(mounted);
      options.afterRouter?.(app);
    },
  };
  for (const step of options.mount ?? FLOW_MOUNTS) mount[step]();
  app.get('/whoami', (req, res) => {
    res.json({ user: req.user ?? null, session: req.session });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    options.onError?.(err);
    options.errors?.push(err);
    if (isBindIdError(err)) return res.status(err.status).json({ code: err.code, message: err.message });
    // Like Express's own handler, a client error from a body parser (http-errors: 4xx, expose) keeps its status.
    const { status, expose, type } = (err ?? {}) as { status?: unknown; expose?: unknown; type?: unknown };
    if (typeof status === 'number' && status >= 400 && status < 500 && expose === true) {
      return res.status(status).json({ code: typeof type === 'string' ? type : 'http-error' });
    }
    res.status(500).json({ code: 'unexpected', message: err instanceof Error ? err.message : String(err) });
  });

  return {
    emulator,
    app,
    router: mounted,
    agent: () => request.agent(app),
    close: async () => {
      await mounted?.outboxWorker?.stop();
      if (ownEmulator) await emulator.close();
    },
  };
}

function publicUser(user: (TestUser & { password: string }) | undefined): TestUser | undefined {
  return user ? { id: user.id, username: user.username } : undefined;
}

/** The path + query of an absolute app URL (supertest talks to the app directly). */
export function appPath(url: string): string {
  const u = new URL(url);
  if (u.origin !== APP_ORIGIN) throw new Error(`expected a redirect to the app, got ${u.origin}`);
  return `${u.pathname}${u.search}`;
}

/** GET /login/bindid: returns the emulator authorize URL the app redirected to. */
export async function startLogin(agent: Agent, returnTo?: string): Promise<string> {
  const res = await agent.get(`/login/bindid${returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`);
  if (res.status !== 303) throw new Error(`GET /login/bindid answered ${res.status}: ${res.text}`);
  return res.headers.location as string;
}

/** Complete the authorize step at the emulator as `identity`; returns the app callback URL. */
export async function authorizeAt(authorizeUrl: string, identity: string): Promise<string> {
  const res = await fetch(`${authorizeUrl}&identity=${encodeURIComponent(identity)}`, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`emulator /authorize answered ${res.status}`);
  return location;
}

/** Login start + emulator + callback: returns the callback response (303 to confirm or to returnTo). */
export async function bindIdSignIn(agent: Agent, identity = 'alice', returnTo?: string): Promise<request.Response> {
  const callback = await authorizeAt(await startLogin(agent, returnTo), identity);
  return agent.get(appPath(callback));
}

/** GET the confirm page and read its CSRF token. */
export async function confirmPage(agent: Agent): Promise<{ res: request.Response; csrf: string }> {
  const res = await agent.get('/bindid/confirm');
  const match = /name="_csrf" value="([^"]+)"/.exec(res.text);
  return { res, csrf: match?.[1] ?? '' };
}

/** POST the confirm form (same-origin by default). */
export function submitConfirm(
  agent: Agent,
  fields: Record<string, string>,
  headers: Record<string, string> = { Origin: APP_ORIGIN },
): Promise<request.Response> {
  let req = agent.post('/bindid/confirm').type('form');
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return req.send(fields);
}

/** A browser at the confirm page of a new BindID user, with the form fields of a fresh local user. */
export interface AtConfirmPage {
  csrf: string;
  /** `_csrf`, `username` and `password` of {@link freshUser}. */
  fields: Record<string, string>;
  user: TestUser;
}

/** Sign `agent` in at BindID as a new identity and open the confirm page (throws if it is not reached). */
export async function atConfirmPage(agent: Agent, identity = 'new'): Promise<AtConfirmPage> {
  const callback = await bindIdSignIn(agent, identity);
  if (callback.headers.location !== '/bindid/confirm') throw new Error(`expected the confirm page, got ${callback.status} ${callback.headers.location}`);
  const { csrf } = await confirmPage(agent);
  const u = freshUser();
  return { csrf, fields: { _csrf: csrf, username: u.username, password: u.password }, user: { id: u.id, username: u.username } };
}

/** The whole first-time journey for `identity`, confirmed as `username`. Returns the final response. */
export async function linkAs(agent: Agent, identity: string, username: string, password: string, returnTo?: string): Promise<request.Response> {
  const callback = await bindIdSignIn(agent, identity, returnTo);
  if (callback.headers.location !== '/bindid/confirm') throw new Error(`expected the confirm page, got ${callback.status} ${callback.headers.location}`);
  const { csrf } = await confirmPage(agent);
  return submitConfirm(agent, { _csrf: csrf, username, password });
}

/**
 * What must be byte-identical between two answers of the confirm POST: status, body and headers,
 * minus the per-response values (CSRF token, `Set-Cookie`, `Date`, `ETag`). `typed` values the user
 * typed and the page echoes back (the username field) are replaced by `…`: compare answers to
 * usernames of equal length so `Content-Length` matches too.
 */
export function comparable(res: request.Response, ...typed: string[]): { status: number; headers: Record<string, unknown>; body: string } {
  const headers: Record<string, unknown> = { ...res.headers };
  for (const name of ['set-cookie', 'date', 'etag']) delete headers[name];
  let body = res.text.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value="…"');
  for (const value of typed) body = body.split(`value="${value}"`).join('value="…"');
  return { status: res.status, headers, body };
}

/** Who the agent's session is logged in as. */
export async function whoami(agent: Agent): Promise<{ user: TestUser | null; session: Record<string, unknown> }> {
  return (await agent.get('/whoami')).body;
}

/** The access token of the agent's pending login, read from the test app's session dump (`/whoami`). */
export async function pendingAccessToken(agent: Agent): Promise<string> {
  const session = (await whoami(agent)).session as { bindid?: { pending?: { accessToken?: unknown } } };
  const token = session.bindid?.pending?.accessToken;
  if (typeof token !== 'string') throw new Error('no pending login in this session');
  return token;
}

/** The session cookie value (connect.sid) currently in the agent's jar, from a response. */
export function sessionCookie(res: request.Response): string | undefined {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const sid = cookies.find((c) => c.startsWith('connect.sid='));
  return sid?.split(';')[0];
}

/** The session id inside a `connect.sid=s%3A<id>.<signature>` cookie (as express-session keeps it in its store). */
export function sessionIdOf(cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  if (!value.startsWith('s:')) throw new Error('not a signed express-session cookie');
  return value.slice(2, value.lastIndexOf('.'));
}

/** A BindID login minted straight from the emulator (authorize shortcut + /token), for seeding sessions. */
export interface MintedLogin {
  accessToken: string;
  expiresIn: number;
  claims: Record<string, unknown> & { sub: string };
}

/** Run the code flow against the emulator without an app (redirect URI must be registered). */
export async function mintLogin(emulator: Emulator, identity = 'new', redirectUri = `${APP_ORIGIN}/bindid/callback`): Promise<MintedLogin> {
  const authorize = new URL(`${emulator.issuer}/authorize`);
  authorize.search = new URLSearchParams({
    client_id: emulator.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid email',
    nonce: 'n-0S6_WzA2Mj',
    state: 'af0ifjsldkj',
    identity,
  }).toString();
  const code = new URL(await authorizeAt(authorize.href.replace(/&identity=[^&]*$/, ''), identity)).searchParams.get('code');
  const res = await fetch(`${emulator.issuer}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: redirectUri,
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
    }),
  });
  const body = (await res.json()) as { access_token: string; expires_in: number; id_token: string };
  // Seed data from a trusted local emulator: decoded, not verified (the app under test verifies its own).
  return { accessToken: body.access_token, expiresIn: body.expires_in, claims: decodeJwt(body.id_token) as MintedLogin['claims'] };
}

/** The least a valid `bindIdRouter` needs (nothing is contacted until a sign-in): the base of option tests. */
export const VALID_ROUTER_OPTIONS: Readonly<BindIdRouterOptions<TestUser>> = Object.freeze({
  issuer: 'https://signin.bindid-sandbox.io',
  apiUrl: 'https://api.bindid-sandbox.io',
  clientId: 'client',
  clientSecret: 'secret',
  baseUrl: 'https://app.example.com',
  findUserByAlias: () => null,
});
