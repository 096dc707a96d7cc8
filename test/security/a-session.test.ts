/**
 * Checklist A (reliability.md §6): session fixation and cookies. Runs on Express 4 and 5.
 */
import { createHmac, randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import session from 'express-session';
import request from 'supertest';
import {
  type BindIdRouterOptions,
  bindIdRouter,
  isBindIdError,
  storePendingLogin,
} from '../../src/index.js';
import { warnAboutSessionCookie } from '../../src/router/session-cookie-warning.js';
import {
  APP_ORIGIN,
  type Agent,
  appPath,
  authorizeAt,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  freshUser,
  mintLogin,
  sessionCookie,
  submitConfirm,
  type TestUser,
  USERS,
  whoami,
} from '../helpers/flow.js';
import { FaultySessionStore, sessionIdOf } from '../helpers/session-store.js';
import { transactionCookieOf } from '../helpers/transaction-cookie.js';

const SESSION_SECRET = 'flow-test-session-secret'; // the one test/helpers/flow.ts configures

let flow: Flow;
let store: FaultySessionStore;

beforeAll(async () => {
  store = new FaultySessionStore();
  flow = await createFlow({ store });
  // A test-only route standing for any app feature that writes to the session before sign-in.
  flow.app.get('/test/plant', (req, res) => {
    const s = req.session as unknown as Record<string, unknown>;
    s.planted = 'attacker-chosen';
    s.bindid = { ...(req.session.bindid ?? {}), csrf: 'A'.repeat(43), extra: 'attacker-chosen' };
    res.sendStatus(204);
  });
  // A test-only route standing for any app page that starts a session before sign-in (a cart, a
  // consent banner): the session id a browser holds before the callback, which an attacker could
  // have obtained from the app and planted in a victim's browser.
  flow.app.get('/test/visit', (req, res) => {
    (req.session as unknown as Record<string, unknown>).visited = true;
    res.sendStatus(204);
  });
  // A test-only route that signs a user in while keeping the session (a pending login stays).
  flow.app.get('/test/login-keeping-session/:id', (req, res, next) => {
    const user = USERS.find((u) => String(u.id) === req.params.id);
    req.login({ id: user?.id ?? 0, username: user?.username ?? '' }, { session: true, keepSessionInfo: true }, (err) =>
      err ? next(err) : res.sendStatus(204),
    );
  });
});
afterAll(() => flow.close());
beforeEach(() => {
  flow.emulator.clearReports();
  store.heal();
});

/** The session data the server holds for a cookie, or undefined when it holds none. */
async function stored(cookie: string | undefined): Promise<Record<string, unknown> | undefined> {
  const sid = sessionIdOf(cookie);
  return sid === undefined ? undefined : store.peek(sid);
}

/** A browser that has nothing but `cookie` (an attacker replaying an old cookie). */
function replaying(cookie: string): { get(path: string): request.Test } {
  return { get: (path) => request(flow.app).get(path).set('Cookie', cookie) };
}

/**
 * A browser that holds a session before the sign-in (an app page started it), then signs in as a new
 * BindID user up to the confirm page. The login start keeps nothing on the server (the sign-in in
 * flight is its sealed transaction cookie, N179): the callback is where the session is written, and
 * renewed. Returns the session cookie before the sign-in, after the callback, and the transaction
 * cookie the login start set.
 */
async function toConfirm(
  agent: Agent,
  returnTo?: string,
): Promise<{ before: string; after: string; transaction: string; callback: request.Response }> {
  const before = sessionCookie(await agent.get('/test/visit'));
  const start = await agent.get(`/login/bindid${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`);
  expect(sessionCookie(start)).toBeUndefined();
  const transaction = transactionCookieOf(start);
  const callback = await agent.get(appPath(await authorizeAt(start.headers.location as string, 'new')));
  expect(callback.headers.location).toBe('/bindid/confirm');
  const after = sessionCookie(callback);
  if (!before || !after || !transaction) throw new Error('expected a session cookie from the visit and from the callback, a transaction cookie from /login/bindid');
  return { before, after, transaction, callback };
}

describe('A. Session fixation and cookies', () => {
  it('A1 the callback issues a new session id; the pre-set one holds no pending login', async () => {
    const agent = flow.agent();
    const { before, after } = await toConfirm(agent);
    expect(sessionIdOf(after)).not.toBe(sessionIdOf(before));
    // The old id is gone from the store, and replaying it finds nothing to confirm.
    expect(await stored(before)).toBeUndefined();
    const old = replaying(before);
    expect((await old.get('/bindid/confirm')).status).toBe(400);
    const me = (await old.get('/whoami')).body;
    expect(me.user).toBeNull();
    expect(me.session).not.toHaveProperty('bindid');
    // The new id holds the pending login.
    expect((await stored(after))?.bindid).toHaveProperty('pending');
  });

  it('A1 a returning BindID user (alias in the ID token) also gets a new session id at the callback; the pre-set one stays anonymous', async () => {
    const u = freshUser();
    flow.emulator.setAlias(flow.emulator.subOf('bob') as string, String(u.id)); // bob is linked to u
    const agent = flow.agent();
    const before = sessionCookie(await agent.get('/test/visit'));
    const start = await agent.get('/login/bindid');
    expect(sessionCookie(start)).toBeUndefined(); // the session the browser holds is left as it is until the callback
    const callback = await agent.get(appPath(await authorizeAt(start.headers.location as string, 'bob')));
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/');
    const after = sessionCookie(callback);
    if (!before || !after) throw new Error('expected a session cookie from the visit and from the callback');
    expect(sessionIdOf(after)).not.toBe(sessionIdOf(before));
    expect((await whoami(agent)).user).toEqual({ id: u.id, username: u.username });
    expect(await stored(before)).toBeUndefined();
    expect((await replaying(before).get('/whoami')).body.user).toBeNull();
  });

  it('A2 a successful confirm issues yet another session id; replaying the callback id is anonymous', async () => {
    const agent = flow.agent();
    const { after: callbackCookie } = await toConfirm(agent);
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    const done = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(done.status).toBe(303);
    const signedIn = sessionCookie(done);
    expect(signedIn).toBeDefined();
    expect(sessionIdOf(signedIn)).not.toBe(sessionIdOf(callbackCookie));
    expect((await whoami(agent)).user).toEqual({ id: u.id, username: u.username });
    // The callback-time id is destroyed: anonymous, nothing pending.
    expect(await stored(callbackCookie)).toBeUndefined();
    const me = (await replaying(callbackCookie).get('/whoami')).body;
    expect(me.user).toBeNull();
    expect(me.session).not.toHaveProperty('bindid');
  });

  it('A3 keys planted in the pre-session do not survive: after confirm only the returnTo allow-list carried over', async () => {
    const agent = flow.agent();
    const start = await agent.get('/login/bindid?returnTo=%2Faccount');
    expect((await agent.get('/test/plant')).status).toBe(204);
    const callback = await agent.get(appPath(await authorizeAt(start.headers.location as string, 'new')));
    expect(callback.headers.location).toBe('/bindid/confirm');

    // After the callback: the planted keys and the planted (attacker-known) CSRF token are gone.
    const pending = (await whoami(agent)).session;
    expect(Object.keys(pending).sort()).toEqual(['bindid', 'cookie']);
    expect(Object.keys(pending.bindid as object).sort()).toEqual(['pending', 'returnTo']);
    const { csrf } = await confirmPage(agent);
    expect(csrf).not.toBe('A'.repeat(43));

    // Planted again between callback and confirm: gone after confirm too.
    await agent.get('/test/plant');
    const u = freshUser();
    const done = await submitConfirm(agent, { _csrf: (await confirmPage(agent)).csrf, username: u.username, password: u.password });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/account'); // returnTo, carried across both renewals
    const after = (await whoami(agent)).session;
    expect(Object.keys(after).sort()).toEqual(['bindid', 'cookie', 'passport']);
    expect(after.bindid).toEqual({}); // returnTo was used up; no pending login, token, CSRF or transaction
    expect(after.passport).toEqual({ user: u.id });
    expect(JSON.stringify(after)).not.toMatch(/accessToken|attacker-chosen|pending/);
  });

  it('A4 a session id the server never issued is replaced by a fresh one (strict), and no pending login is accepted from it', async () => {
    const forgedId = randomBytes(24).toString('base64url');
    // Correctly signed (the attacker knows the test secret), so express-session does look it up.
    const signature = createHmac('sha256', SESSION_SECRET).update(forgedId).digest('base64').replace(/=+$/, '');
    const forged = `connect.sid=${encodeURIComponent(`s:${forgedId}.${signature}`)}`;

    // The forged id is in the browser through the whole sign-in. The login start writes no session
    // (only the transaction cookie); the callback, where the session is written, issues a fresh id.
    const start = await request(flow.app).get('/login/bindid').set('Cookie', forged);
    expect(sessionCookie(start)).toBeUndefined();
    const transaction = transactionCookieOf(start);
    expect(transaction).toBeDefined();
    const callback = await request(flow.app)
      .get(appPath(await authorizeAt(start.headers.location as string, 'new')))
      .set('Cookie', `${forged}; ${transaction}`);
    expect(callback.headers.location).toBe('/bindid/confirm');
    const issued = sessionCookie(callback);
    expect(issued).toBeDefined();
    expect(sessionIdOf(issued as string)).not.toBe(forgedId);
    expect((await stored(issued))?.bindid).toHaveProperty('pending');
    expect(await store.peek(forgedId)).toBeUndefined();

    // A victim completes a callback (own cookie jar); the forged id still holds nothing.
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    expect(await store.peek(forgedId)).toBeUndefined();
    const page = await replaying(forged).get('/bindid/confirm');
    expect(page.status).toBe(400);
    expect(sessionIdOf(sessionCookie(page))).not.toBe(forgedId);
    const post = await request(flow.app)
      .post('/bindid/confirm')
      .set('Cookie', forged)
      .set('Origin', APP_ORIGIN)
      .type('form')
      .send({ _csrf: 'x', username: USERS[0]?.username ?? '', password: USERS[0]?.password ?? '' });
    expect(post.status).toBe(403);
    expect(flow.emulator.reports()).toHaveLength(0);
  });

  it('A5 a passport 0.5-like req.login that keeps the session id: the session id still changes at sign-in', async () => {
    let legacyLogins = 0;
    // passport 0.5's SessionManager.logIn: serialize into the current session, no regenerate, no save.
    const legacyPassport: RequestHandler = (req, _res, next) => {
      const legacy = (user: Express.User, options: unknown, done?: (err?: unknown) => void) => {
        const callback = typeof options === 'function' ? (options as (err?: unknown) => void) : done;
        legacyLogins += 1;
        (req.session as unknown as Record<string, unknown>).passport = { user: (user as TestUser).id };
        req.user = user;
        callback?.();
      };
      Object.assign(req, { login: legacy, logIn: legacy });
      next();
    };
    const legacyStore = new FaultySessionStore();
    const legacy = await createFlow({ store: legacyStore, beforeRouter: [legacyPassport] });
    try {
      const agent = legacy.agent();
      const callback = await bindIdSignIn(agent, 'new');
      const callbackCookie = sessionCookie(callback) as string;
      const { csrf } = await confirmPage(agent);
      const u = freshUser();
      const done = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
      expect(done.status).toBe(303);
      expect(legacyLogins).toBeGreaterThan(0);
      const signedIn = sessionCookie(done);
      expect(sessionIdOf(signedIn)).toBeDefined();
      expect(sessionIdOf(signedIn)).not.toBe(sessionIdOf(callbackCookie));
      expect((await whoami(agent)).user).toEqual({ id: u.id, username: u.username });
      expect(await legacyStore.peek(sessionIdOf(callbackCookie) as string)).toBeUndefined();
      const replay = (await request(legacy.app).get('/whoami').set('Cookie', callbackCookie)).body;
      expect(replay.user).toBeNull();
      expect(replay.session).not.toHaveProperty('bindid');
    } finally {
      await legacy.close();
    }
  });

  it('A6 a cookie-session-like req.session (no regenerate/save) is refused with a coded error; the token never reaches the cookie', async () => {
    const minted = await mintLogin(flow.emulator, 'new');
    const app = express();
    app.use(fakeCookieSession);
    app.use(
      bindIdRouter<TestUser>({
        ...routerBasics(flow),
        findUserByAlias: () => null,
      }),
    );
    // An app with its own BindID callback that keeps the pending login with storePendingLogin().
    app.get('/own-callback', (req, res) => {
      storePendingLogin(req, { accessToken: minted.accessToken, expiresIn: minted.expiresIn, claims: minted.claims }, { baseUrl: 'http://127.0.0.1' });
      res.redirect(303, '/bindid/confirm');
    });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(isBindIdError(err) ? err.status : 500).json({ code: isBindIdError(err) ? err.code : 'unexpected', message: (err as Error).message });
    });

    const start = await request(app).get('/login/bindid');
    expect(start.status).toBe(500);
    expect(start.body.code).toBe('ERR_BINDID_SESSION_MISSING');
    expect(start.body.message).toMatch(/cookie-session/);
    expect(start.headers.location).toBeUndefined(); // nobody is sent to BindID

    const own = await request(app).get('/own-callback');
    expect(own.status).toBe(500);
    expect(own.body.code).toBe('ERR_BINDID_SESSION_MISSING');
    const cookie = ([] as string[]).concat(own.headers['set-cookie'] ?? []).find((c) => c.startsWith('cookie-session='));
    expect(cookie).toBeDefined(); // the fake did write its cookie: just not the token
    const written = Buffer.from(cookie?.slice('cookie-session='.length).split(';')[0] ?? '', 'base64').toString();
    expect(JSON.parse(written)).toEqual({ views: 1 });
    expect(`${cookie}${written}`.includes(minted.accessToken)).toBe(false);
  });

  describe('A7 weak session cookie in production', () => {
    const env = process.env.NODE_ENV;
    let warnings: jest.SpyInstance;
    beforeEach(() => {
      warnings = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    });
    afterEach(() => {
      warnings.mockRestore();
      process.env.NODE_ENV = env;
    });
    const ours = () => warnings.mock.calls.filter(([, options]) => (options as { code?: string })?.code === 'EXPRESS_BINDID_SESSION_COOKIE');

    it('A7 production, cookie without HttpOnly and SameSite: one EXPRESS_BINDID_SESSION_COOKIE warning, once per router', async () => {
      process.env.NODE_ENV = 'production';
      const app = cookieApp({ httpOnly: false });
      for (let i = 0; i < 3; i++) await request(app).get('/ping');
      expect(ours()).toHaveLength(1);
      expect(String(ours()[0]?.[0])).toMatch(/httpOnly is off.*sameSite is not set/);
    });

    it('A7 production, a strong cookie: no warning; development: no warning even for a weak one', async () => {
      process.env.NODE_ENV = 'production';
      await request(cookieApp({ httpOnly: true, sameSite: 'lax' })).get('/ping');
      process.env.NODE_ENV = 'development';
      await request(cookieApp({ httpOnly: false })).get('/ping');
      expect(ours()).toHaveLength(0);
    });

    it('A7 each weakness is named: Secure off on an https site, SameSite=None without Secure', () => {
      process.env.NODE_ENV = 'production';
      const req = (cookie: object) => ({ session: { cookie } }) as unknown as Request;
      expect(warnAboutSessionCookie(req({ httpOnly: true, secure: false, sameSite: 'lax' }), 'https://app.example.com')).toEqual([
        'secure is off on an https site',
      ]);
      expect(warnAboutSessionCookie(req({ httpOnly: true, secure: false, sameSite: 'none' }), 'http://localhost:3000')).toEqual([
        "sameSite 'none' without secure",
      ]);
      expect(warnAboutSessionCookie(req({ httpOnly: true, secure: true, sameSite: 'strict' }), 'https://app.example.com')).toEqual([]);
    });

    it('N123 on an https site, a session cookie the browser sent under a name without __Host- is named in the warning', () => {
      process.env.NODE_ENV = 'production';
      const strong = { httpOnly: true, secure: true, sameSite: 'lax' };
      const req = (cookieHeader: string | undefined) =>
        ({ session: { cookie: strong }, sessionID: 'sid-1', headers: cookieHeader ? { cookie: cookieHeader } : {} }) as unknown as Request;
      const https = 'https://app.example.com';
      expect(warnAboutSessionCookie(req('theme=dark; connect.sid=s%3Asid-1.c2lnbmF0dXJl'), https)).toEqual([
        'its name "connect.sid" lacks the __Host- prefix',
      ]);
      expect(ours()).toHaveLength(1);
      expect(String(ours()[0]?.[0])).toContain('its name "connect.sid" lacks the __Host- prefix');
      // Prefixed, another session's cookie, no cookie at all, or a plain-http site: nothing to say about the name.
      expect(warnAboutSessionCookie(req('__Host-sid=s%3Asid-1.c2lnbmF0dXJl'), https)).toEqual([]);
      expect(warnAboutSessionCookie(req('connect.sid=s%3Asid-2.c2lnbmF0dXJl'), https)).toEqual([]);
      expect(warnAboutSessionCookie(req(undefined), https)).toEqual([]);
      expect(warnAboutSessionCookie(req('connect.sid=s%3Asid-1.c2lnbmF0dXJl'), 'http://localhost:3000')).toEqual([]);
      expect(ours()).toHaveLength(1);
    });

    it('N123 the warning always recommends a __Host- name (the name is unknown until the browser sends the cookie)', () => {
      process.env.NODE_ENV = 'production';
      const req = { session: { cookie: { httpOnly: false, secure: true, sameSite: 'lax' } }, sessionID: 'sid-1', headers: {} } as unknown as Request;
      expect(warnAboutSessionCookie(req, 'https://app.example.com')).toEqual(['httpOnly is off']);
      expect((ours()[0]?.[1] as { detail?: string } | undefined)?.detail).toMatch(/__Host- prefix \(name: "__Host-sid", no cookie\.domain\)/);
    });

    it('N123 through express-session: a restarted app that first sees a returning browser names its connect.sid cookie', async () => {
      process.env.NODE_ENV = 'production';
      const sessions = new session.MemoryStore();
      const httpsApp = () => {
        const app = express();
        app.set('trust proxy', true);
        app.use(session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false, store: sessions, cookie: { secure: true, sameSite: 'lax' } }));
        app.use(bindIdRouter<TestUser>({ ...routerBasics(flow), baseUrl: 'https://app.example.com', findUserByAlias: () => null }));
        app.get('/visit', (req, res) => {
          req.session.bindid = { returnTo: '/' };
          res.send('ok');
        });
        return app;
      };
      const first = await request(httpsApp()).get('/visit').set('X-Forwarded-Proto', 'https');
      const cookie = sessionCookie(first);
      expect(cookie).toBeDefined();
      expect(ours()).toHaveLength(0); // a fresh browser sent no cookie: its name could not be read
      await request(httpsApp()).get('/visit').set('X-Forwarded-Proto', 'https').set('Cookie', cookie as string);
      expect(ours().map(([message]) => String(message))).toEqual([
        'express-bindid: the session cookie is weak: its name "connect.sid" lacks the __Host- prefix.',
      ]);
    });
  });

  it('A8 confirm page and every confirm/cancel POST answer Cache-Control: no-store; no token or session id in a body or Location', async () => {
    const agent = flow.agent();
    const { after, transaction, callback } = await toConfirm(agent);
    const token = ((await stored(after))?.bindid as { pending: { accessToken: string } } | undefined)?.pending.accessToken ?? '';
    const secrets: Record<string, string> = {
      'access token': token,
      'session id': sessionIdOf(after) as string,
      'sealed transaction': transaction.slice(transaction.indexOf('=') + 1),
    };
    const u = freshUser();
    const responses: Array<[string, request.Response]> = [['callback', callback]];
    const page = await confirmPage(agent);
    responses.push(['confirm page', page.res]);
    responses.push(['POST without CSRF token', await submitConfirm(agent, { username: u.username, password: u.password })]);
    responses.push(['POST cross-site', await submitConfirm(agent, { _csrf: page.csrf }, { 'Sec-Fetch-Site': 'cross-site' })]);
    responses.push(['POST wrong password', await submitConfirm(agent, { _csrf: page.csrf, username: u.username, password: 'wrong' })]);
    flow.emulator.setFault('session-feedback', { status: 500 });
    responses.push(['POST BindID down', await submitConfirm(agent, { _csrf: page.csrf, username: u.username, password: u.password })]);
    flow.emulator.clearFaults();
    const success = await submitConfirm(agent, { _csrf: page.csrf, username: u.username, password: u.password });
    responses.push(['POST success', success]);
    secrets['signed-in session id'] = sessionIdOf(sessionCookie(success)) as string;
    responses.push(['POST after success (nothing pending)', await submitConfirm(agent, { _csrf: page.csrf, username: u.username, password: u.password })]);
    responses.push(['confirm page, nothing pending (signed in: sent on)', (await confirmPage(agent)).res]);

    const other = flow.agent();
    await toConfirm(other);
    const otherPage = await confirmPage(other);
    responses.push(['POST cancel', await other.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: otherPage.csrf })]);
    responses.push(['POST cancel without CSRF token', await other.post('/bindid/confirm/cancel').type('form').send({})]);

    expect(responses.map(([name, res]) => [name, res.status])).toEqual([
      ['callback', 303],
      ['confirm page', 200],
      ['POST without CSRF token', 403],
      ['POST cross-site', 403],
      ['POST wrong password', 401],
      ['POST BindID down', 503],
      ['POST success', 303],
      ['POST after success (nothing pending)', 403],
      ['confirm page, nothing pending (signed in: sent on)', 303],
      ['POST cancel', 303],
      ['POST cancel without CSRF token', 403],
    ]);
    const problems: string[] = [];
    for (const [name, res] of responses) {
      if (res.headers['cache-control'] !== 'no-store') problems.push(`${name}: Cache-Control is ${res.headers['cache-control']}`);
      for (const [what, value] of Object.entries(secrets)) {
        if (res.text.includes(value)) problems.push(`${name}: body contains the ${what}`);
        if (String(res.headers.location ?? '').includes(value)) problems.push(`${name}: Location contains the ${what}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('A9 cancel ("not me") renews the session without throwing (passport 0.7); the old id holds nothing', async () => {
    const agent = flow.agent();
    const { after } = await toConfirm(agent);
    const { csrf } = await confirmPage(agent);
    const cancel = await agent.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: csrf });
    expect(cancel.status).toBe(303);
    expect(cancel.headers.location).toBe('/');
    const renewed = sessionCookie(cancel);
    expect(sessionIdOf(renewed)).toBeDefined();
    expect(sessionIdOf(renewed)).not.toBe(sessionIdOf(after));
    expect(await stored(after)).toBeUndefined();
    expect((await whoami(agent)).session).not.toHaveProperty('bindid.pending');
    expect(flow.emulator.reports()).toHaveLength(0);
  });

  it('A9 cancel while a user is signed in (the app kept the session at its own login) signs that user out too', async () => {
    const agent = flow.agent();
    await toConfirm(agent);
    const bob = USERS[1] as TestUser;
    expect((await agent.get(`/test/login-keeping-session/${bob.id}`)).status).toBe(204);
    const before = await whoami(agent);
    expect(before.user).toEqual({ id: bob.id, username: bob.username });
    expect(before.session).toHaveProperty('bindid.pending');
    const { csrf } = await confirmPage(agent);
    const cancel = await agent.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: csrf });
    expect(cancel.status).toBe(303);
    const after = await whoami(agent);
    expect(after.user).toBeNull();
    expect(after.session).not.toHaveProperty('passport');
    expect(after.session).not.toHaveProperty('bindid.pending');
  });
});

/** A stand-in for cookie-session: `req.session` is a plain object serialised into a cookie at the end. */
const fakeCookieSession: RequestHandler = (req, res, next) => {
  const data: Record<string, unknown> = { views: 1 };
  (req as unknown as { session: unknown }).session = data;
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    if (!res.headersSent) res.append('Set-Cookie', `cookie-session=${Buffer.from(JSON.stringify(data)).toString('base64')}; Path=/`);
    return end(...args);
  }) as Response['end'];
  next();
};

/** The router options pointing at the flow's emulator. */
function routerBasics(f: Flow): Pick<BindIdRouterOptions<TestUser>, 'issuer' | 'apiUrl' | 'clientId' | 'clientSecret' | 'baseUrl'> {
  return {
    issuer: f.emulator.issuer,
    apiUrl: f.emulator.apiUrl,
    clientId: f.emulator.clientId,
    clientSecret: f.emulator.clientSecret,
    baseUrl: APP_ORIGIN,
  };
}

/** An app with express-session (given cookie options) and the router; `GET /ping` passes through the router. */
function cookieApp(cookie: Record<string, unknown>): express.Express {
  const app = express();
  app.use(session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false, cookie }));
  app.use(bindIdRouter<TestUser>({ ...routerBasics(flow), findUserByAlias: () => null }));
  app.get('/ping', (_req, res) => res.send('pong'));
  return app;
}
