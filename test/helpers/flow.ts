/**
 * The BindID sign-in flow under test: an Express app (express-session + passport + the
 * passport-local helper + `bindIdRouter`) talking to an in-process emulator, and a supertest agent
 * (cookie jar) walking the journey. The browser's hop through BindID uses the emulator's
 * `identity=` shortcut over plain HTTP. Nothing leaves 127.0.0.1: the app's public origin
 * `http://localhost:4000` only appears in URLs (supertest listens on its own port).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { decodeJwt } from 'jose';
import passport from 'passport';
import request from 'supertest';
import { type Emulator, type EmulatorOptions, createEmulator } from '../../src/emulator/index.js';
import { type BindIdRouterOptions, bindIdRouter, createLocalStrategy, isBindIdError } from '../../src/index.js';

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
  /** A session store (default: express-session's MemoryStore). */
  store?: session.Store;
  /** Calls to the password check, for "verify was (not) called" assertions. */
  verifyCalls?: string[];
  /** Every error that reaches the app's error handler is pushed here (the error object itself). */
  errors?: unknown[];
  /** Mount the app's own middleware (body parsers...) after passport and before the router. */
  beforeRouter?: (app: express.Express) => void;
}

export interface Flow {
  emulator: Emulator;
  app: express.Express;
  agent(): Agent;
  close(): Promise<void>;
}

/** Build the app and its emulator. Close with `flow.close()`. */
export async function createFlow(options: FlowOptions = {}): Promise<Flow> {
  const emulator = await createEmulator({
    ...options.emulator,
    redirectUris: [`${APP_ORIGIN}/bindid/callback`, ...(options.emulator?.redirectUris ?? [])],
  });
  try {
    return buildFlow(emulator, options);
  } catch (err) {
    await emulator.close();
    throw err;
  }
}

function buildFlow(emulator: Emulator, options: FlowOptions): Flow {
  const instance = new passport.Passport();
  instance.serializeUser((user, done) => done(null, (user as TestUser).id));
  instance.deserializeUser((id: number, done) => done(null, publicUser(USERS.find((u) => u.id === id)) ?? false));
  instance.use(
    createLocalStrategy<TestUser>({
      verify: async (username, password) => {
        options.verifyCalls?.push(username);
        const user = USERS.find((u) => u.username === username);
        return user && user.password === password ? publicUser(user) : false;
      },
    }),
  );

  const routerOptions = (typeof options.router === 'function' ? options.router(emulator) : options.router) ?? {};
  const app = express();
  app.use(
    session({
      secret: 'flow-test-session-secret',
      resave: false,
      saveUninitialized: false,
      ...(options.store ? { store: options.store } : {}),
    }),
  );
  app.use(instance.initialize());
  app.use(instance.session());
  options.beforeRouter?.(app);
  app.use(
    bindIdRouter<TestUser>({
      issuer: emulator.issuer,
      // A ready `client` comes with its own API URL.
      ...(routerOptions.client ? {} : { apiUrl: emulator.apiUrl }),
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      baseUrl: APP_ORIGIN,
      passport: instance,
      findUserByAlias: (alias) => publicUser(USERS.find((u) => String(u.id) === alias)),
      ...routerOptions,
    }),
  );
  app.get('/whoami', (req, res) => {
    res.json({ user: req.user ?? null, session: req.session });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    options.errors?.push(err);
    if (isBindIdError(err)) return res.status(err.status).json({ code: err.code, message: err.message });
    res.status(500).json({ code: 'unexpected', message: err instanceof Error ? err.message : String(err) });
  });

  return {
    emulator,
    app,
    agent: () => request.agent(app),
    close: () => emulator.close(),
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

/** The whole first-time journey for `identity`, confirmed as `username`. Returns the final response. */
export async function linkAs(agent: Agent, identity: string, username: string, password: string, returnTo?: string): Promise<request.Response> {
  const callback = await bindIdSignIn(agent, identity, returnTo);
  if (callback.headers.location !== '/bindid/confirm') throw new Error(`expected the confirm page, got ${callback.status} ${callback.headers.location}`);
  const { csrf } = await confirmPage(agent);
  return submitConfirm(agent, { _csrf: csrf, username, password });
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
