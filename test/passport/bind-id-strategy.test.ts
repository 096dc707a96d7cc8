/**
 * `BindIdStrategy` in an app that only has passport-style routes (no `bindIdRouter`):
 * `GET /login/bindid` and `GET /bindid/callback` are `passport.authenticate('bindid')`, the confirm
 * page is the app's, and its POST is `createLocalStrategy` + `sendAuthenticationPerformed`. Each
 * journey step against the in-process emulator (supertest; nothing leaves 127.0.0.1).
 */
import { inspect } from 'node:util';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import {
  assertSameOriginRequest,
  type BindIdAuthInfo,
  BindIdStrategy,
  type BindIdStrategyOptions,
  CONFIRM_AGAIN,
  createLocalStrategy,
  csrfToken,
  ErrorCode,
  getPendingLogin,
  isBindIdError,
  MemoryBindIdStore,
  sendAuthenticationPerformed,
} from '../../src/index.js';
import { turns } from '../helpers/fake-clock.js';
import { claimsFor, forgedCallback, trustTestKey } from '../helpers/forged-tokens.js';
import {
  type Agent,
  APP_ORIGIN,
  appPath,
  authorizeAt,
  bindIdSignIn,
  confirmPage,
  freshUser,
  sessionCookie,
  startLogin,
  submitConfirm,
  type TestUser,
  USERS,
  whoami,
} from '../helpers/flow.js';
import { captureDebug, leaksIn, leaksInTexts } from '../helpers/leaks.js';
import { recordOutbound } from '../helpers/outbound.js';
import { transactionOf } from '../helpers/transaction-cookie.js';

interface StrategyApp {
  app: express.Express;
  agent(): Agent;
  /** Every error that reached the app's error handler. */
  errors: unknown[];
  /** Every `findUserByAlias` call (the alias). */
  lookups: string[];
  /** What a `pending: 'fail'` callback handed to the app's custom callback. */
  failures: unknown[];
  strategy: BindIdStrategy<TestUser>;
}

function publicUser(id: number): TestUser | undefined {
  const user = USERS.find((u) => u.id === id);
  return user ? { id: user.id, username: user.username } : undefined;
}

/** The app of this file: passport-style routes only. */
/** The strategy's options for the test emulator and the test app's origin. */
function emulatorOptions(emulator: Emulator): Pick<BindIdStrategyOptions<TestUser>, 'issuer' | 'apiUrl' | 'clientId' | 'clientSecret' | 'baseUrl'> {
  return { issuer: emulator.issuer, apiUrl: emulator.apiUrl, clientId: emulator.clientId, clientSecret: emulator.clientSecret, baseUrl: APP_ORIGIN };
}

function strategyApp(emulator: Emulator, options: Partial<BindIdStrategyOptions<TestUser>> = {}): StrategyApp {
  const errors: unknown[] = [];
  const lookups: string[] = [];
  const failures: unknown[] = [];
  const store = new MemoryBindIdStore();
  const instance = new passport.Passport();
  instance.serializeUser((user, done) => done(null, (user as TestUser).id));
  instance.deserializeUser((id: number, done) => done(null, publicUser(id) ?? false));
  instance.use(
    createLocalStrategy<TestUser>({
      store,
      verify: (username, password) => {
        const user = USERS.find((u) => u.username === username);
        return user && user.password === password ? (publicUser(user.id) ?? false) : false;
      },
    }),
  );
  const strategy = new BindIdStrategy<TestUser>({
    ...emulatorOptions(emulator),
    store,
    findUserByAlias: (alias) => {
      lookups.push(alias);
      return publicUser(Number(alias));
    },
    ...options,
  });
  instance.use(strategy);

  const app = express();
  app.use(session({ secret: 'strategy-test-session-secret', resave: false, saveUninitialized: false }));
  app.use(instance.initialize());
  app.use(instance.session());
  app.get('/login/bindid', instance.authenticate('bindid'));
  if (options.pending === 'fail') {
    app.get('/bindid/callback', (req, res, next) => {
      instance.authenticate('bindid', (err: unknown, user: TestUser | false, info: BindIdAuthInfo) => {
        if (err) return next(err);
        if (user) return req.logIn(user, (e) => (e ? next(e) : res.redirect(303, info.returnTo)));
        failures.push(info);
        res.redirect(303, '/my-confirm');
      })(req, res, next);
    });
  } else {
    app.get(['/bindid/callback', '/auth/cb'], instance.authenticate('bindid', { failureRedirect: '/login' }), (req, res) => {
      res.redirect(303, (req.authInfo as BindIdAuthInfo).returnTo);
    });
  }
  app.get('/bindid/confirm', (req, res) => {
    if (!getPendingLogin(req)) return res.status(400).send('Nothing to confirm.');
    res.send(`<form method="post"><input type="hidden" name="_csrf" value="${csrfToken(req)}"></form>`);
  });
  app.post(
    '/bindid/confirm',
    express.urlencoded({ extended: false }),
    (req, _res, next) => {
      try {
        assertSameOriginRequest(req, (req.body as { _csrf?: unknown })._csrf, APP_ORIGIN);
        next();
      } catch (err) {
        next(err);
      }
    },
    instance.authenticate('bindid-local', { session: false, failureRedirect: '/bindid/confirm?failed=1' }),
    sendAuthenticationPerformed<TestUser>({ clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl, store }),
    (req, res) => res.redirect(303, req.session.bindid?.returnTo ?? '/'),
  );
  app.get('/whoami', (req, res) => {
    res.json({ user: req.user ?? null, session: req.session });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    errors.push(err);
    if (isBindIdError(err)) return res.status(err.status).json({ code: err.code, message: err.message });
    res.status(500).json({ code: 'unexpected' });
  });
  return { app, agent: () => request.agent(app), errors, lookups, failures, strategy };
}

let emulator: Emulator;
beforeAll(async () => {
  const identities = ['carol-bindid', 'dave-bindid', 'erin-bindid', 'frank-bindid'].map((id) => ({ id, email: `${id}@example.com` }));
  emulator = await createEmulator({ identities, redirectUris: [`${APP_ORIGIN}/bindid/callback`, `${APP_ORIGIN}/auth/cb`] });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.clearReports();
  emulator.clearFaults();
});

/** Link BindID identity `identity` to a fresh local user through the strategy app; the user. */
async function link(s: StrategyApp, identity: string): Promise<TestUser> {
  const agent = s.agent();
  const callback = await bindIdSignIn(agent, identity);
  expect(callback.headers.location).toBe('/bindid/confirm');
  const { csrf } = await confirmPage(agent);
  const u = freshUser();
  const res = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
  expect(res.status).toBe(303);
  return { id: u.id, username: u.username };
}

describe('login: passport.authenticate("bindid") on GET /login/bindid', () => {
  it('N140 redirects (303, no-store) to BindID with state, nonce, PKCE S256 and the registered redirect URI; the verifier only sealed in the transaction cookie', async () => {
    const s = strategyApp(emulator);
    const agent = s.agent();
    const res = await agent.get('/login/bindid');
    expect(res.status).toBe(303);
    expect(res.headers['cache-control']).toBe('no-store');
    const authorize = new URL(res.headers.location as string);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.issuer}/authorize`);
    const q = authorize.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(emulator.clientId);
    expect(q.get('redirect_uri')).toBe(`${APP_ORIGIN}/bindid/callback`);
    expect(q.get('scope')).toBe('openid email');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge') ?? '').toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const name of ['state', 'nonce']) expect(q.get(name) ?? '').toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('state')).not.toBe(q.get('nonce'));
    // The verifier is sealed in the transaction cookie (AES-256-GCM): neither the URL nor the cookie shows it.
    const auth = transactionOf(agent, emulator.clientSecret);
    expect(auth?.state).toBe(q.get('state'));
    expect(auth?.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.href).not.toContain(auth?.codeVerifier ?? '<none>');
    expect(String(res.headers['set-cookie'])).not.toContain(auth?.codeVerifier ?? '<none>');
  });

  it('with callbackURL instead of baseUrl: exactly that redirect URI, and the sign-in completes there', async () => {
    const s = strategyApp(emulator, { baseUrl: undefined, callbackURL: `${APP_ORIGIN}/auth/cb` });
    const agent = s.agent();
    const authorize = new URL(await startLogin(agent, '/account'));
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${APP_ORIGIN}/auth/cb`);
    const callback = await authorizeAt(authorize.href, 'new');
    expect(new URL(callback).pathname).toBe('/auth/cb');
    const res = await agent.get(appPath(callback));
    expect(res.headers.location).toBe('/bindid/confirm');
    expect(((await whoami(agent)).session as { bindid?: { returnTo?: string } }).bindid?.returnTo).toBe('/account');
  });

  it('proves the PKCE verifier at /token (its SHA-256 is the challenge sent)', async () => {
    const s = strategyApp(emulator);
    const agent = s.agent();
    const outbound = recordOutbound();
    try {
      const authorize = new URL(await startLogin(agent));
      await agent.get(appPath(await authorizeAt(authorize.href, 'new')));
      const token = outbound.requests.find((r) => r.origin === emulator.issuer && r.path === '/token');
      const verifier = new URLSearchParams(token?.body ?? '').get('code_verifier') ?? '';
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(verifier).digest('base64url')).toBe(authorize.searchParams.get('code_challenge'));
    } finally {
      outbound.stop();
    }
  });

  it('without express-session: ERR_BINDID_SESSION_MISSING through next(err), once', async () => {
    const strategy = new BindIdStrategy<TestUser>({ ...emulatorOptions(emulator), findUserByAlias: () => undefined });
    const instance = new passport.Passport();
    instance.use(strategy);
    const errors: unknown[] = [];
    const app = express();
    app.get('/login/bindid', instance.authenticate('bindid'));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(err);
      res.status(isBindIdError(err) ? err.status : 500).end();
    });
    const res = await request(app).get('/login/bindid');
    expect(res.status).toBe(503);
    expect(errors).toHaveLength(1);
    expect(isBindIdError(errors[0], ErrorCode.SESSION_MISSING)).toBe(true);
  });

  it('BindID unreachable at discovery: ERR_BINDID_UNAVAILABLE (503), once, and the next login tries again', async () => {
    const s = strategyApp(emulator);
    emulator.setFault('discovery', { status: 500, times: 1 });
    const first = await s.agent().get('/login/bindid');
    expect(first.status).toBe(503);
    expect(first.body.code).toBe(ErrorCode.UNAVAILABLE);
    expect(s.errors).toHaveLength(1);
    expect((await s.agent().get('/login/bindid')).status).toBe(303);
  });
});

describe('callback: passport.authenticate("bindid") on GET /bindid/callback', () => {
  it('N141 a new BindID user: a new session id holding the pending login, 303 to the confirm page, nobody signed in', async () => {
    const s = strategyApp(emulator);
    const agent = s.agent();
    const start = await agent.get('/login/bindid');
    const before = sessionCookie(start);
    const callback = await agent.get(appPath(await authorizeAt(start.headers.location as string, 'new')));
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/bindid/confirm');
    expect(callback.headers['cache-control']).toBe('no-store');
    expect(sessionCookie(callback)).toBeDefined();
    expect(sessionCookie(callback)).not.toBe(before);
    const me = await whoami(agent);
    expect(me.user).toBeNull();
    const state = (me.session as { bindid?: { pending?: { claims: { sub: string } }; auth?: unknown } }).bindid;
    expect(state?.pending?.claims.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(state?.auth).toBeUndefined();
    expect(s.lookups).toEqual([]);
  });

  it('wrong password on the confirm page: no report, nobody signed in; the right one: one report, signed in', async () => {
    const s = strategyApp(emulator);
    const agent = s.agent();
    await bindIdSignIn(agent, 'carol-bindid');
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    const wrong = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: 'not-the-password' });
    expect(wrong.headers.location).toBe('/bindid/confirm?failed=1');
    expect(emulator.reports()).toHaveLength(0);
    expect((await whoami(agent)).user).toBeNull();

    const right = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('/');
    expect(emulator.reports()).toEqual([expect.objectContaining({ accepted: true, alias: String(u.id), sub: emulator.subOf('carol-bindid') })]);
    expect((await whoami(agent)).user).toEqual({ id: u.id, username: u.username });
  });

  it('N142 a returning BindID user: findUserByAlias, signed in under a new session id, straight to returnTo, no report', async () => {
    const s = strategyApp(emulator);
    const user = await link(s, 'dave-bindid');
    emulator.clearReports();
    const agent = s.agent();
    const start = await agent.get(`/login/bindid?returnTo=${encodeURIComponent('/account?tab=keys')}`);
    const before = sessionCookie(start);
    const callback = await agent.get(appPath(await authorizeAt(start.headers.location as string, 'dave-bindid')));
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/account?tab=keys');
    expect(sessionCookie(callback)).toBeDefined();
    expect(sessionCookie(callback)).not.toBe(before);
    expect(s.lookups).toContain(String(user.id));
    const me = await whoami(agent);
    expect(me.user).toEqual(user);
    expect((me.session as { bindid?: unknown }).bindid).toBeUndefined();
    expect(emulator.reports()).toHaveLength(0);
  });

  it('an alias the app does not know: ERR_BINDID_UNKNOWN_ALIAS (403), once, nobody signed in', async () => {
    const s = strategyApp(emulator, { findUserByAlias: () => null });
    const forger = await trustTestKey(emulator);
    const agent = s.agent();
    const res = await forgedCallback(agent, emulator, (ctx) => forger.sign(claimsFor(ctx, { bindid_alias: '999' })));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(ErrorCode.UNKNOWN_ALIAS);
    expect(s.errors).toHaveLength(1);
    expect((await whoami(agent)).user).toBeNull();
  });

  it('CONFIRM_AGAIN from findUserByAlias: the pending login is kept for a re-link and the confirm page opens', async () => {
    const s = strategyApp(emulator, { findUserByAlias: () => CONFIRM_AGAIN });
    const forger = await trustTestKey(emulator);
    const agent = s.agent();
    const res = await forgedCallback(agent, emulator, (ctx) => forger.sign(claimsFor(ctx, { bindid_alias: '7' })));
    expect(res.headers.location).toBe('/bindid/confirm');
    const pending = ((await whoami(agent)).session as { bindid?: { pending?: { relink?: boolean } } }).bindid?.pending;
    expect(pending?.relink).toBe(true);
    expect((await whoami(agent)).user).toBeNull();
  });

  it("pending: 'fail' hands { bindidPending: true, returnTo } to the app's callback, with the pending login stored", async () => {
    const s = strategyApp(emulator, { pending: 'fail' });
    const agent = s.agent();
    const res = await bindIdSignIn(agent, 'new', '/welcome');
    expect(res.headers.location).toBe('/my-confirm');
    expect(s.failures).toEqual([expect.objectContaining({ bindidPending: true, returnTo: '/welcome' })]);
    const me = await whoami(agent);
    expect(me.user).toBeNull();
    expect((me.session as { bindid?: { pending?: unknown; returnTo?: string } }).bindid).toEqual(
      expect.objectContaining({ pending: expect.any(Object), returnTo: '/welcome' }),
    );
  });

  it('an alias BindID should never send (whitespace around it): ERR_BINDID_ALIAS_UNUSABLE (403), as the router, before any lookup', async () => {
    const s = strategyApp(emulator);
    const forger = await trustTestKey(emulator);
    const agent = s.agent();
    const res = await forgedCallback(agent, emulator, (ctx) => forger.sign(claimsFor(ctx, { bindid_alias: ' 1 ' })));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(ErrorCode.ALIAS_UNUSABLE);
    expect(s.lookups).toEqual([]);
    expect((await whoami(agent)).user).toBeNull();
  });

  it("an app callback that throws inside the outcome reaches the app's error handler, once", async () => {
    const s = strategyApp(emulator, { pending: 'fail' });
    const thrown = new Error('the app callback failed');
    // The app's custom callback records the failure with failures.push: make that throw.
    s.failures.push = () => {
      throw thrown;
    };
    const agent = s.agent();
    const res = await bindIdSignIn(agent, 'new');
    expect(res.status).toBe(500);
    expect(s.errors).toEqual([thrown]);
  });

  it('an app callback that throws when given the error is called once (no second outcome)', async () => {
    const strategy = new BindIdStrategy<TestUser>({ ...emulatorOptions(emulator), findUserByAlias: () => undefined });
    const instance = new passport.Passport();
    instance.use(strategy);
    const calls: unknown[] = [];
    const app = express();
    app.use(session({ secret: 'strategy-test-session-secret', resave: false, saveUninitialized: false }));
    app.use(instance.initialize());
    app.get('/bindid/callback', (req, res, next) => {
      instance.authenticate('bindid', (err: unknown) => {
        calls.push(err);
        void turns().then(() => res.status(418).end()); // answered later: room for a second call first
        throw new Error('the app callback failed');
      })(req, res, next);
    });
    const res = await request(app).get('/bindid/callback?code=c&state=s');
    expect(res.status).toBe(418);
    expect(calls).toHaveLength(1);
    expect(isBindIdError(calls[0], ErrorCode.LOGIN_STATE_MISSING)).toBe(true);
  });

  it('BindID answers access_denied: ERR_BINDID_ACCESS_DENIED (403), once', async () => {
    const s = strategyApp(emulator);
    const agent = s.agent();
    const authorize = new URL(await startLogin(agent));
    const state = authorize.searchParams.get('state') ?? '';
    const res = await agent.get(`/bindid/callback?error=access_denied&state=${state}`);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(ErrorCode.ACCESS_DENIED);
    expect(s.errors).toHaveLength(1);
  });

  it.each([
    [500, ErrorCode.UNAVAILABLE, 503],
    [400, ErrorCode.CALLBACK_INVALID, 400],
  ])('the token endpoint answers %i: %s (%i), the router’s code, once, nobody signed in', async (upstream, code, status) => {
    const s = strategyApp(emulator);
    const agent = s.agent();
    const callback = await authorizeAt(await startLogin(agent), 'new');
    emulator.setFault('token', { status: upstream, times: 1, body: JSON.stringify({ error: upstream === 400 ? 'invalid_grant' : 'server_error' }) });
    const res = await agent.get(appPath(callback));
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(s.errors).toHaveLength(1);
    expect((await whoami(agent)).user).toBeNull();
  });
});

describe('the defences of the router', () => {
  it('N143 state is single-use: a burst of 6 concurrent callbacks with one state and one session exchanges the code once; the rest are refused', async () => {
    const s = strategyApp(emulator);
    const agent = s.agent();
    const callback = appPath(await authorizeAt(await startLogin(agent), 'new'));
    const outbound = recordOutbound();
    let answers: request.Response[];
    try {
      answers = await Promise.all(Array.from({ length: 6 }, () => agent.get(callback)));
    } finally {
      outbound.stop();
    }
    const ok = answers.filter((r) => r.status === 303);
    const refused = answers.filter((r) => r.status === 400);
    expect(ok).toHaveLength(1);
    expect(ok[0]?.headers.location).toBe('/bindid/confirm');
    expect(refused).toHaveLength(5);
    // The state is consumed by the first (CALLBACK_INVALID for a copy that still held it); a copy that
    // loaded the session after the first renewed it finds no sign-in at all (LOGIN_STATE_MISSING).
    for (const r of refused) expect([ErrorCode.CALLBACK_INVALID, ErrorCode.LOGIN_STATE_MISSING]).toContain(r.body.code);
    expect(outbound.requests.filter((r) => r.origin === emulator.issuer && r.path === '/token')).toHaveLength(1);
    expect(s.errors).toHaveLength(5);
  });

  it('N143 a replayed callback (after the first completed) is refused: ERR_BINDID_LOGIN_STATE_MISSING, nobody signed in', async () => {
    const s = strategyApp(emulator);
    const user = await link(s, 'erin-bindid');
    const agent = s.agent();
    const callback = appPath(await authorizeAt(await startLogin(agent), 'erin-bindid'));
    expect((await agent.get(callback)).status).toBe(303);
    const attacker = s.agent();
    const replay = await attacker.get(callback);
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe(ErrorCode.LOGIN_STATE_MISSING);
    expect((await whoami(attacker)).user).toBeNull();
    expect((await whoami(agent)).user).toEqual(user);
  });

  it('N144 a callback whose state is not the session’s is refused before the code is exchanged (ERR_BINDID_CALLBACK_INVALID)', async () => {
    const s = strategyApp(emulator);
    const agent = s.agent();
    const callback = new URL(await authorizeAt(await startLogin(agent), 'new'));
    callback.searchParams.set('state', 'x'.repeat(43));
    const outbound = recordOutbound();
    let res: request.Response;
    try {
      res = await agent.get(`${callback.pathname}${callback.search}`);
    } finally {
      outbound.stop();
    }
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(ErrorCode.CALLBACK_INVALID);
    expect(outbound.requests.filter((r) => r.path === '/token')).toHaveLength(0);
    expect(s.errors).toHaveLength(1);
    expect(((await whoami(agent)).session as { bindid?: { pending?: unknown } }).bindid?.pending).toBeUndefined();
  });

  it('N145 an ID token with another nonce is refused (ERR_BINDID_CALLBACK_INVALID) before any lookup, nobody signed in', async () => {
    const s = strategyApp(emulator);
    const forger = await trustTestKey(emulator);
    const agent = s.agent();
    const res = await forgedCallback(agent, emulator, (ctx) => forger.sign(claimsFor({ ...ctx, nonce: 'another-nonce-0123456789' }, { bindid_alias: '1' })));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(ErrorCode.CALLBACK_INVALID);
    expect(s.lookups).toEqual([]);
    expect(s.errors).toHaveLength(1);
    expect((await whoami(agent)).user).toBeNull();
  });

  it('N146 returnTo is kept through the confirmation; off-site values fall back to defaultReturnTo', async () => {
    const s = strategyApp(emulator, { defaultReturnTo: '/home' });
    const agent = s.agent();
    await bindIdSignIn(agent, 'frank-bindid', '/account?tab=1');
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    const done = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(done.headers.location).toBe('/account?tab=1');

    for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/\t/evil.example', 'javascript:alert(1)']) {
      const returning = s.agent();
      const res = await bindIdSignIn(returning, 'frank-bindid', evil);
      expect([evil, res.headers.location]).toEqual([evil, '/home']);
    }
  });

  it('N147 the client secret and access tokens appear in no log line, error, Location header, session cookie or inspected strategy', async () => {
    const s = strategyApp(emulator);
    const debug = captureDebug();
    const outbound = recordOutbound();
    const texts: Array<[string, string]> = [];
    try {
      const agent = s.agent();
      const start = await agent.get('/login/bindid');
      texts.push(['login Location', String(start.headers.location)]);
      const callback = await agent.get(appPath(await authorizeAt(start.headers.location as string, 'new')));
      texts.push(['callback Location', String(callback.headers.location)], ['callback cookie', String(callback.headers['set-cookie'])]);
      // A failing callback too: its error and log lines.
      const other = s.agent();
      const cb = await authorizeAt(await startLogin(other), 'new');
      emulator.setFault('token', { status: 500, times: 1, body: JSON.stringify({ error: 'server_error' }) });
      texts.push(['error body', (await other.get(appPath(cb))).text]);
    } finally {
      debug.stop();
      outbound.stop();
    }
    texts.push(['inspected strategy', inspect(s.strategy, { showHidden: true, depth: 5 })]);
    const needles: Record<string, string> = { 'client secret': emulator.clientSecret };
    for (const [i, token] of outbound.issuedTokens.entries()) needles[`access token ${i + 1}`] = token;
    expect(outbound.issuedTokens.length).toBeGreaterThan(0);
    const found = [...leaksInTexts(texts, needles), ...s.errors.flatMap((err) => leaksIn(err, debug.lines, needles))];
    expect(found).toEqual([]);
    expect(debug.lines.length).toBeGreaterThan(0);
  });
});

describe('options, checked once by the constructor', () => {
  const base = (): BindIdStrategyOptions<TestUser> => ({
    issuer: 'https://signin.bindid-sandbox.io',
    apiUrl: 'https://api.bindid-sandbox.io',
    clientId: 'client',
    clientSecret: 'secret',
    baseUrl: 'https://app.example.com',
    findUserByAlias: () => null,
  });
  const messageOf = (options: unknown): string => {
    try {
      new BindIdStrategy(options as BindIdStrategyOptions);
    } catch (err) {
      expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
      return (err as Error).message;
    }
    throw new Error('no error');
  };

  it('takes the callback URL whole or as baseUrl + callbackPath, and names the strategy "bindid" unless told', () => {
    expect(new BindIdStrategy(base()).name).toBe('bindid');
    const { baseUrl: _b, ...rest } = base();
    expect(new BindIdStrategy({ ...rest, name: 'sso', callbackURL: 'https://app.example.com/auth/cb' }).name).toBe('sso');
  });

  it('authenticate() on an object that is not a BindIdStrategy throws a TypeError', () => {
    expect(() => BindIdStrategy.prototype.authenticate.call({}, {} as Request)).toThrow(TypeError);
  });

  it.each([
    [{ baseUrl: undefined }, /option `callbackURL` is required \(or baseUrl\)/],
    [{ callbackURL: 'https://app.example.com/cb' }, /option `callbackURL` cannot be combined with baseUrl/],
    [{ baseUrl: undefined, callbackURL: 'https://app.example.com' }, /option `callbackURL` must include the path/],
    [{ baseUrl: 'http://app.example.com' }, /option `baseUrl` must use https:/],
    [{ clientSecret: '' }, /option `clientSecret` is required/],
    [{ clientSecret: ' secret' }, /option `clientSecret` has leading or trailing whitespace/],
    [{ findUserByAlias: undefined }, /option `findUserByAlias` is required/],
    [{ pending: 'later' }, /option `pending` must be one of "redirect", "fail"/],
    [{ pending: 'fail', confirmPath: '/c' }, /option `confirmPath` is only used with pending: 'redirect'/],
    [{ confirmPath: 'confirm' }, /option `confirmPath` must be an absolute path/],
    [{ defaultReturnTo: '//evil.example' }, /option `defaultReturnTo` must be a path on this site/],
    [{ scope: 'email' }, /option `scope` must include openid/],
    [{ store: {} }, /option `store` must be a BindIdStore/],
    [{ callbackUrl: 'https://app.example.com/cb' }, /option `callbackUrl` is not a known option. Did you mean `callbackURL`\?/],
  ])('refuses %p, naming the option', (change, message) => {
    expect(messageOf({ ...base(), ...change })).toMatch(message);
  });
});
