/**
 * The three doors through which an app meets the sign-in flow, each as a small app over one
 * emulator, for the parity suite (test/flow/parity.test.ts):
 *
 * - `router`: `bindIdRouter` does everything;
 * - `strategy`: `BindIdStrategy` on the app's own login and callback routes, with its own confirm
 *   page, `createLocalStrategy` + `sendAuthenticationPerformed` on the confirm POST;
 * - `own-callback`: the app's own openid-client callback (as examples/own-callback), the helpers
 *   `isNewBindIdUser` + `storePendingLogin`, then `createLocalStrategy` + `sendAuthenticationPerformed`,
 *   and `unlinkBindId` for unlinking.
 *
 * Every door answers an error with JSON `{ code, status }` (its error handler), signs in with a
 * 303 to the return path, sends a new BindID user to its confirm page, and records the events the
 * library emits. The options a scenario sets (`DoorOptions`) reach each door the way that door takes
 * them; a door that cannot take one says so (`DoorUnsupported`).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import * as oidc from 'openid-client';
import passport from 'passport';
import request from 'supertest';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { assertSameOriginRequest, type AuthorizationParams, type BindIdAuthInfo, BindIdStrategy, bindIdRouter, CONFIRM_AGAIN, clearPendingLogin, createLocalStrategy, csrfToken, getPendingLogin, isBindIdError, isNewBindIdUser, MemoryBindIdStore, SessionFeedbackClient, sendAuthenticationPerformed, storePendingLogin, unlinkBindId } from '../../src/index.js';
import type { StaticOidcMetadata } from '../../src/oidc/static-metadata.js';
import { journeyEmulatorMode } from './emulator-mode.js';
import { TEST_SIGNING_KEY } from './signing-key.js';

export const DOOR_ORIGIN = 'http://localhost:4000';
/**
 * The https origin a door takes with `DoorOptions.https`: its sign-ins are bound to the browser by a
 * `__Host-` cookie (supertest still talks plain http to the app, as a TLS terminator would; the
 * agent does not send a `Secure` cookie back by itself).
 */
export const HTTPS_DOOR_ORIGIN = 'https://app.example';
export type DoorName = 'router' | 'strategy' | 'own-callback';
export const DOORS: readonly DoorName[] = ['router', 'strategy', 'own-callback'];

/** An account of the doors' apps; its alias is String(id). */
export interface DoorUser {
  id: number;
  username: string;
  email: string;
}
const ACCOUNTS: ReadonlyArray<DoorUser & { password: string }> = Array.from({ length: 40 }, (_, i) => ({
  id: i + 1,
  username: `user${i + 1}`,
  email: `user${i + 1}@example.com`,
  password: `user${i + 1}-password`,
}));
let spare = 0;
/** An account no scenario of this file used yet. */
export function freshAccount(): DoorUser & { password: string } {
  const account = ACCOUNTS[spare++];
  if (!account) throw new Error('out of door accounts');
  return account;
}
const publicUser = (a: DoorUser | undefined): DoorUser | undefined => (a ? { id: a.id, username: a.username, email: a.email } : undefined);

/** What a scenario configures, the same for every door. */
export interface DoorOptions {
  /** The app's lookup of a returning user (default: the account whose id is the alias). */
  findUserByAlias?: (alias: string) => DoorUser | typeof CONFIRM_AGAIN | null;
  authorizationParams?: AuthorizationParams;
  pkce?: boolean;
  metadata?: StaticOidcMetadata;
  failureMode?: 'open' | 'closed';
  /** The body field of the username in the confirm form (the local strategy's `usernameField`). */
  usernameField?: string;
  /** express-session's store (default its MemoryStore). */
  sessionStore?: session.Store;
  /** The library's shared store (default a fresh MemoryBindIdStore). */
  store?: MemoryBindIdStore;
  /** The app is at {@link HTTPS_DOOR_ORIGIN} (its sign-ins bound to the browser), not plain-http loopback. */
  https?: boolean;
}

/** One event the library emitted: its hook name and payload (without `req`). */
export type DoorEvent = [name: string, payload: Record<string, unknown>];

export interface Door {
  readonly name: DoorName;
  readonly emulator: Emulator;
  readonly app: express.Express;
  readonly events: DoorEvent[];
  /** The library's store (the link registry, fail-open's outbox and self-heal records). */
  readonly store: MemoryBindIdStore;
  readonly paths: { login: string; callback: string; confirm: string; cancel: string; unlink: string };
  /** The username field the confirm form posts. */
  readonly usernameField: string;
  /** How many times the app's password check (the local strategy's `verify`) ran. */
  passwordChecks(): number;
  agent(): ReturnType<typeof request.agent>;
  close(): Promise<void>;
}

/** The door cannot take this option at all (today): the scenario fails on it. */
export class DoorUnsupported extends Error {}

/** Start a door's app and its emulator (in the journey suites' mode, then `emulatorOptions`). */
export async function openDoor(
  name: DoorName,
  given: DoorOptions | ((emulator: Emulator) => DoorOptions) = {},
  emulatorOptions: EmulatorOptions = {},
): Promise<Door> {
  const paths = {
    login: name === 'own-callback' ? '/auth/bindid' : '/login/bindid',
    callback: name === 'own-callback' ? '/auth/bindid/callback' : '/bindid/callback',
    confirm: '/bindid/confirm',
    cancel: '/bindid/confirm/cancel',
    unlink: '/bindid/unlink',
  };
  const emulator = await createEmulator({
    ...journeyEmulatorMode(),
    ...emulatorOptions,
    signingKey: TEST_SIGNING_KEY,
    redirectUris: [`${DOOR_ORIGIN}${paths.callback}`, `${HTTPS_DOOR_ORIGIN}${paths.callback}`],
  });
  const events: DoorEvent[] = [];
  try {
    const options = typeof given === 'function' ? given(emulator) : given;
    const store = options.store ?? new MemoryBindIdStore();
    const checks = { count: 0 };
    const app = buildApp(name, emulator, options, events, paths, store, checks);
    return {
      name,
      emulator,
      app,
      events,
      store,
      paths,
      usernameField: (typeof given === 'function' ? undefined : given.usernameField) ?? 'username',
      passwordChecks: () => checks.count,
      agent: () => request.agent(app),
      close: () => emulator.close(),
    };
  } catch (err) {
    await emulator.close();
    throw err;
  }
}

type Paths = Door['paths'];

function buildApp(
  name: DoorName,
  emulator: Emulator,
  options: DoorOptions,
  events: DoorEvent[],
  paths: Paths,
  store: MemoryBindIdStore,
  checks: { count: number },
): express.Express {
  const origin = options.https ? HTTPS_DOOR_ORIGIN : DOOR_ORIGIN;
  const record = (hook: string) => (event: object) => {
    const { req: _req, ...payload } = event as { req?: unknown } & Record<string, unknown>;
    events.push([hook, payload]);
  };
  const hooks = {
    onLinked: record('onLinked'),
    onLinkFailed: record('onLinkFailed'),
    onRecognized: record('onRecognized'),
    onUnlinked: record('onUnlinked'),
    onFeedbackError: record('onFeedbackError'),
  };
  // Fail-open's own event, and no background worker: what fail-open queued stays queued.
  const openOnly = options.failureMode === 'open' ? { onReportQueued: record('onReportQueued'), outboxWorker: false as const } : {};
  const findUserByAlias = (alias: string) =>
    options.findUserByAlias ? options.findUserByAlias(alias) : (publicUser(ACCOUNTS.find((a) => String(a.id) === alias)) ?? null);
  const instance = new passport.Passport();
  instance.serializeUser((user, done) => done(null, (user as DoorUser).id));
  instance.deserializeUser((id: number, done) => done(null, publicUser(ACCOUNTS.find((a) => a.id === id)) ?? false));
  instance.use(
    createLocalStrategy<DoorUser>({
      store,
      ...(options.usernameField ? { usernameField: options.usernameField } : {}),
      verify: (username, password) => {
        checks.count += 1;
        const account = ACCOUNTS.find((a) => a.username === username || a.email === username);
        return account && account.password === password ? (publicUser(account) as DoorUser) : false;
      },
    }),
  );
  const common = {
    issuer: emulator.issuer,
    apiUrl: emulator.apiUrl,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    baseUrl: origin,
    store,
    ...(options.failureMode ? { failureMode: options.failureMode } : {}),
  };
  const flowOptions = {
    ...(options.authorizationParams ? { authorizationParams: options.authorizationParams } : {}),
    ...(options.pkce === undefined ? {} : { pkce: options.pkce }),
    ...(options.metadata ? { metadata: options.metadata } : {}),
  };

  const app = express();
  app.use(
    session({
      secret: 'door-test-session-secret',
      resave: false,
      saveUninitialized: false,
      ...(options.sessionStore ? { store: options.sessionStore } : {}),
    }),
  );
  app.use(instance.initialize());
  app.use(instance.session());
  const form = express.urlencoded({ extended: false });
  const sameOrigin = (req: Request, _res: Response, next: NextFunction) => {
    try {
      assertSameOriginRequest(req, (req.body as { _csrf?: unknown } | undefined)?._csrf, origin);
      next();
    } catch (err) {
      next(err);
    }
  };
  const confirmRoutes = () => {
    app.get(paths.confirm, (req, res) => {
      if (!getPendingLogin(req)) return res.status(400).json({ code: 'nothing-to-confirm', status: 400 });
      res.type('html').send(confirmForm(csrfToken(req), options.usernameField ?? 'username', paths));
    });
    app.post(
      paths.confirm,
      form,
      sameOrigin,
      (req, res, next) =>
        instance.authenticate('bindid-local', { session: false }, (err: unknown, user: unknown) => {
          if (err) return next(err);
          if (!user) return res.status(401).json({ code: 'bad-credentials', status: 401 });
          req.user = user as DoorUser;
          next();
        })(req, res, next),
      sendAuthenticationPerformed<DoorUser>({ ...withoutBase(common), onLinked: hooks.onLinked, onFeedbackError: hooks.onFeedbackError, ...openOnly }),
      (req, res) => res.redirect(303, req.session.bindid?.returnTo ?? '/account'),
    );
    app.post(paths.cancel, form, sameOrigin, (req, res) => {
      clearPendingLogin(req);
      res.redirect(303, '/');
    });
  };

  if (name === 'router') {
    app.use(
      bindIdRouter<DoorUser>({
        ...common,
        ...flowOptions,
        passport: instance,
        findUserByAlias,
        ...openOnly,
        ...hooks,
      }),
    );
  } else if (name === 'strategy') {
    instance.use(
      new BindIdStrategy<DoorUser>({
        ...common,
        ...flowOptions,
        findUserByAlias,
        onRecognized: hooks.onRecognized,
        onLinkFailed: hooks.onLinkFailed,
        onUnlinked: hooks.onUnlinked,
      } as ConstructorParameters<typeof BindIdStrategy<DoorUser>>[0]),
    );
    app.get(paths.login, instance.authenticate('bindid'));
    app.get(paths.callback, instance.authenticate('bindid'), (req, res) => res.redirect(303, (req.authInfo as BindIdAuthInfo).returnTo));
    app.post(paths.unlink, form, sameOrigin, instance.authenticate('bindid', { unlink: true }));
    confirmRoutes();
  } else {
    if (options.authorizationParams || options.pkce !== undefined || options.metadata || options.failureMode === 'open') {
      throw new DoorUnsupported('an own callback sets these on its own OIDC client');
    }
    const client = new SessionFeedbackClient({ apiUrl: emulator.apiUrl, clientSecret: emulator.clientSecret });
    ownCallbackRoutes(app, emulator, { findUserByAlias, paths, client, store, origin });
    confirmRoutes();
  }
  // The CSRF token of the session, for the signed-in user's unlink form.
  app.get('/csrf', (req, res) => {
    res.json({ csrf: csrfToken(req) });
  });
  app.get('/whoami', (req, res) => {
    res.json({ user: req.user ?? null });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = isBindIdError(err) ? err.status : 500;
    res.status(status).json({ code: isBindIdError(err) ? err.code : 'unexpected', status });
  });
  return app;
}

function withoutBase<T extends { baseUrl: string; issuer: string; clientId: string }>(common: T): Omit<T, 'baseUrl' | 'issuer' | 'clientId'> {
  const { baseUrl: _b, issuer: _i, clientId: _c, ...rest } = common;
  return rest;
}

/** The app's own callback, as examples/own-callback writes it, with unlinking through `unlinkBindId`. */
function ownCallbackRoutes(
  app: express.Express,
  emulator: Emulator,
  own: {
    findUserByAlias: (alias: string) => DoorUser | typeof CONFIRM_AGAIN | null;
    paths: Paths;
    client: SessionFeedbackClient;
    store: MemoryBindIdStore;
    origin: string;
  },
): void {
  const { findUserByAlias, paths, client, store, origin } = own;
  type Check = { state: string; nonce: string; codeVerifier: string; returnTo: string; unlink?: string; startedAt?: number };
  const redirectUri = `${origin}${paths.callback}`;
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc.discovery(new URL(emulator.issuer), emulator.clientId, emulator.clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    return discovered;
  };
  const start = async (req: Request, res: Response, extra: Partial<Check>, params: Record<string, string> = {}) => {
    const check: Check = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier(), returnTo: '/account', ...extra };
    (req.session as unknown as { check?: Check }).check = check;
    const url = oidc.buildAuthorizationUrl(await configuration(), {
      redirect_uri: redirectUri,
      scope: 'openid email',
      state: check.state,
      nonce: check.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(check.codeVerifier),
      code_challenge_method: 'S256',
      ...params,
    });
    req.session.save(() => res.redirect(303, url.href));
  };
  app.get(paths.login, (req, res, next) => {
    const returnTo = typeof req.query.returnTo === 'string' && req.query.returnTo.startsWith('/') ? req.query.returnTo : '/account';
    start(req, res, { returnTo }).catch(next);
  });
  app.post(paths.unlink, express.urlencoded({ extended: false }), (req, res, next) => {
    const user = req.user as DoorUser | undefined;
    if (!user) return res.status(401).json({ code: 'ERR_BINDID_NOT_AUTHENTICATED', status: 401 });
    try {
      assertSameOriginRequest(req, (req.body as { _csrf?: unknown })._csrf, origin);
    } catch (err) {
      return next(err);
    }
    const returnTo = (req.body as { returnTo?: unknown }).returnTo;
    // The unlink's start is kept with its state: the ID token's auth_time must not be earlier.
    const unlink = { unlink: String(user.id), startedAt: Date.now(), returnTo: typeof returnTo === 'string' && returnTo.startsWith('/') ? returnTo : '/' };
    start(req, res, unlink, { prompt: 'login', max_age: '0' }).catch(next);
  });
  app.get(paths.callback, async (req, res, next) => {
    try {
      const check = (req.session as unknown as { check?: Check }).check;
      delete (req.session as unknown as { check?: Check }).check;
      if (!check) return res.status(400).json({ code: 'ERR_BINDID_LOGIN_STATE_MISSING', status: 400 });
      const tokens = await oidc.authorizationCodeGrant(await configuration(), new URL(req.originalUrl, origin), {
        pkceCodeVerifier: check.codeVerifier,
        expectedState: check.state,
        expectedNonce: check.nonce,
      });
      const claims = tokens.claims();
      if (!claims) return res.status(400).json({ code: 'no-id-token', status: 400 });
      if (check.unlink !== undefined) {
        await unlinkBindId({ client, store, accessToken: tokens.access_token, claims, expectedAlias: check.unlink, startedAt: check.startedAt ?? 0 });
        return res.redirect(303, check.returnTo);
      }
      const pending = { accessToken: tokens.access_token, expiresIn: tokens.expires_in ?? 3600, claims };
      const keepPending = (relink: boolean) =>
        req.session.regenerate((err) => {
          if (err) return next(err);
          storePendingLogin(req, pending, { baseUrl: origin, ...(relink ? { relink: true } : {}) });
          req.session.bindid = { ...req.session.bindid, returnTo: check.returnTo };
          req.session.save((saveErr) => (saveErr ? next(saveErr) : res.redirect(303, paths.confirm)));
        });
      if (isNewBindIdUser(claims)) return keepPending(false);
      const user = findUserByAlias(String(claims.bindid_alias));
      if (user === CONFIRM_AGAIN) return keepPending(true);
      if (!user) return res.status(403).json({ code: 'app-refused', status: 403 });
      req.login(user, (err) => (err ? next(err) : res.redirect(303, check.returnTo)));
    } catch (err) {
      next(err);
    }
  });
}

function confirmForm(csrf: string, usernameField: string, paths: Paths): string {
  return `<form method="post" action="${paths.confirm}"><input type="hidden" name="_csrf" value="${csrf}">
<input name="${usernameField}"><input name="password" type="password"><button>Confirm</button></form>
<form method="post" action="${paths.cancel}"><input type="hidden" name="_csrf" value="${csrf}"><button>Not me</button></form>`;
}
