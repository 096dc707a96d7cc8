/**
 * sendAuthenticationPerformed in an app built the way the issue asks: express-session + passport +
 * passport-local (createLocalStrategy), with the emulator as BindID. A test-only route seeds the
 * pending login with a real emulator access token, as an app's own BindID callback would.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import {
  createLocalStrategy,
  ErrorCode,
  isBindIdError,
  SessionFeedbackClient,
  type SendAuthenticationPerformedOptions,
  sendAuthenticationPerformed,
  storePendingLogin,
} from '../../src/index.js';
import { settlesAt, until, watch, withFakeClock } from '../helpers/fake-clock.js';
import { APP_ORIGIN, type MintedLogin, mintLogin, USERS } from '../helpers/flow.js';

interface User {
  id: number | string | undefined;
  username: string;
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: [`${APP_ORIGIN}/bindid/callback`], aliasConflict: 'allow' });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.clearReports();
  emulator.clearFaults();
});

interface Harness {
  agent: ReturnType<typeof request.agent>;
  /** How often the middleware called next(), and with what. */
  nexts: Array<{ code: string | null }>;
  /** Seed a pending login from a freshly minted emulator login. */
  seed(login?: MintedLogin, ttlSeconds?: number): Promise<MintedLogin>;
}

function harness(
  options: Partial<SendAuthenticationPerformedOptions<User>> = {},
  users: User[] = USERS.map((u) => ({ id: u.id, username: u.username })),
  mount: { session?: boolean } = {},
): Harness {
  const nexts: Harness['nexts'] = [];
  const instance = new passport.Passport();
  instance.serializeUser((user, done) => done(null, (user as User).username));
  instance.deserializeUser((name: string, done) => done(null, users.find((u) => u.username === name) ?? false));
  instance.use(
    createLocalStrategy<User>({
      verify: (username, password) =>
        USERS.some((u) => u.username === username && u.password === password) ? (users.find((u) => u.username === username) ?? false) : false,
    }),
  );
  const middleware = sendAuthenticationPerformed<User>({
    clientSecret: emulator.clientSecret,
    apiUrl: emulator.apiUrl,
    ...options,
  } as SendAuthenticationPerformedOptions<User>);

  const app = express();
  if (mount.session !== false) app.use(session({ secret: 'middleware-test', resave: false, saveUninitialized: false }));
  app.use(express.json());
  app.use(instance.initialize());
  app.use(instance.session());
  app.post('/seed', (req, res) => {
    const body = req.body as { login: MintedLogin; ttlSeconds?: number };
    storePendingLogin(req, body.login, { baseUrl: 'http://127.0.0.1', ...(body.ttlSeconds ? { ttlSeconds: body.ttlSeconds } : {}) });
    res.json({ ok: true });
  });
  app.post(
    '/confirm',
    express.urlencoded({ extended: false }),
    instance.authenticate('bindid-local', { session: false, failWithError: true }),
    (req: Request, res: Response, next: NextFunction) => {
      middleware(req, res, (err?: unknown) => {
        nexts.push({ code: err === undefined ? null : isBindIdError(err) ? err.code : 'other' });
        next(err);
      });
    },
    (req: Request, res: Response) => {
      res.json({ user: req.user, bindid: req.bindid, pending: req.session.bindid?.pending ?? null });
    },
  );
  app.get('/whoami', (req, res) => {
    res.json({ user: req.user ?? null, pending: req.session?.bindid?.pending ? 'present' : null });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status ?? 500;
    res.status(status).json({ code: isBindIdError(err) ? err.code : 'other', message: (err as Error).message });
  });
  const agent = request.agent(app);
  return {
    agent,
    nexts,
    async seed(login, ttlSeconds) {
      const minted = login ?? (await mintLogin(emulator));
      await agent.post('/seed').send({ login: minted, ttlSeconds }).expect(200);
      return minted;
    },
  };
}

const alice = { username: 'alice', password: 'alice-password' };

function confirm(h: Harness, credentials: Record<string, string> = alice) {
  return h.agent.post('/confirm').type('form').send(credentials);
}

describe('success', () => {
  it('sends exactly one authentication_performed with alias = String(user.id), clears the pending login, logs in, next() once', async () => {
    const h = harness();
    const login = await h.seed();
    const res = await confirm(h);
    expect(res.status).toBe(200);
    expect(res.body.bindid).toMatchObject({ alias: '1', sub: login.claims.sub });
    expect(res.body.pending).toBeNull();
    expect(h.nexts).toEqual([{ code: null }]);
    const reports = emulator.reports();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ accepted: true, type: 'authentication_performed', alias: '1', sub: login.claims.sub });
    expect(await h.agent.get('/whoami').then((r) => r.body)).toEqual({ user: { id: 1, username: 'alice' }, pending: null });
  });

  it('uses the alias option and amr; logIn: false leaves the login to the app', async () => {
    const h = harness({ alias: (user) => `user-${user.username}`, amr: ['pwd'], logIn: false });
    await h.seed();
    expect((await confirm(h)).status).toBe(200);
    expect(emulator.reports()[0]).toMatchObject({ alias: 'user-alice', amr: ['pwd'] });
    expect((await h.agent.get('/whoami')).body.user).toBeNull();
  });

  it('calls alias(user, req) with the request and awaits a promised alias', async () => {
    const seen: Array<[string, string]> = [];
    const h = harness({
      alias: async (user, req) => {
        seen.push([user.username, req.path]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return `async-${user.id}`;
      },
    });
    await h.seed();
    expect((await confirm(h)).status).toBe(200);
    expect(seen).toEqual([['alice', '/confirm']]);
    expect(emulator.reports()).toHaveLength(1);
    expect(emulator.reports()[0]).toMatchObject({ accepted: true, alias: 'async-1' });
  });

  it('fires onLinked with the user, alias and result', async () => {
    const events: unknown[] = [];
    const h = harness({ onLinked: ({ user, alias, result }) => void events.push([user.username, alias, result?.status]) });
    await h.seed();
    await confirm(h);
    expect(events).toEqual([['alice', '1', 200]]);
  });
});

describe('failures call next(err) once and report nothing accepted', () => {
  it('no pending login → ERR_BINDID_NO_PENDING_LOGIN (400), nothing sent', async () => {
    const h = harness();
    const res = await confirm(h);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(ErrorCode.NO_PENDING_LOGIN);
    // createLocalStrategy refuses it before the middleware runs (no password check without a pending login).
    expect(h.nexts).toEqual([]);
    expect(emulator.reports()).toHaveLength(0);
  });

  it('expired pending login → ERR_BINDID_PENDING_LOGIN_EXPIRED (400), nothing sent, removed', async () => {
    const h = harness({ now: () => Date.now() + 601_000 });
    await h.seed();
    const res = await confirm(h);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(ErrorCode.PENDING_LOGIN_EXPIRED);
    expect(h.nexts).toEqual([{ code: ErrorCode.PENDING_LOGIN_EXPIRED }]);
    expect(emulator.reports()).toHaveLength(0);
    expect((await h.agent.get('/whoami')).body.pending).toBeNull();
  });

  it('the pending login never outlives its access token', async () => {
    const h = harness({ now: () => Date.now() + 61_000 });
    const login = await mintLogin(emulator);
    await h.seed({ ...login, expiresIn: 60 }, 600);
    expect((await confirm(h)).body.code).toBe(ErrorCode.PENDING_LOGIN_EXPIRED);
  });

  it.each([
    ['empty', ''],
    ['control characters', 'a\nb'],
    ['too long', 'x'.repeat(257)],
    ['not a string', 42 as unknown as string],
  ])('a bad alias (%s) → ERR_BINDID_INVALID_ALIAS, nothing sent, pending kept', async (_name, alias) => {
    const h = harness({ alias: () => alias });
    await h.seed();
    const res = await confirm(h);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe(ErrorCode.INVALID_ALIAS);
    expect(h.nexts).toHaveLength(1);
    expect(emulator.reports()).toHaveLength(0);
    expect((await h.agent.get('/whoami')).body.pending).toBe('present');
  });

  it('a user without an id and no alias option → ERR_BINDID_INVALID_ALIAS naming the option', async () => {
    const h = harness({}, [{ id: undefined, username: 'alice' }]);
    await h.seed();
    const res = await confirm(h);
    expect(res.body.code).toBe(ErrorCode.INVALID_ALIAS);
    expect(res.body.message).toMatch(/alias` option/);
  });

  it.each([
    // A refusal is final: the pending login ends (a retry says 'start again', not 409 until it expires);
    // an outage may pass, so the pending login stays for the user's retry.
    ['400', 400, ErrorCode.REJECTED, null],
    ['401', 401, ErrorCode.UNAUTHORIZED, null],
    ['403', 403, ErrorCode.UNAUTHORIZED, null],
    ['500 (twice)', 500, ErrorCode.UNAVAILABLE, 'present'],
    ['503 (three times)', 503, ErrorCode.UNAVAILABLE, 'present'],
  ])('N186 BindID answering %s → coded error, nobody logged in, pending login: %s', async (_name, status, code, pending) => {
    const client = new SessionFeedbackClient({
      clientSecret: emulator.clientSecret,
      apiUrl: emulator.apiUrl,
      backoff: { baseMs: 1, maxMs: 5 },
    });
    const h = harness({ client, clientSecret: undefined, apiUrl: undefined });
    await h.seed();
    emulator.setFault('session-feedback', { status });
    const res = await confirm(h);
    expect(res.body.code).toBe(code);
    expect(h.nexts).toEqual([{ code }]);
    expect(emulator.reports().every((r) => !r.accepted)).toBe(true);
    expect(await h.agent.get('/whoami').then((r) => r.body)).toEqual({ user: null, pending });
    client.close();
  });

  it('a timeout → ERR_BINDID_TIMEOUT at the deadline, next(err) once', async () => {
    const client = new SessionFeedbackClient({ clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl, timeoutMs: 300 });
    const h = harness({ client, clientSecret: undefined, apiUrl: undefined });
    await h.seed();
    emulator.setFault('session-feedback', { hang: true });
    // The client's deadline on a fake clock (the app's dates stay real): the answer comes when it reads 300 ms, not before, not later.
    const res = await withFakeClock(async () => {
      const since = jest.now();
      const answer = watch(confirm(h));
      await until(() => emulator.reports().length === 1, 'the report reached the hanging emulator');
      return settlesAt(answer, 300, since);
    }, ['Date']);
    expect(res.body.code).toBe(ErrorCode.TIMEOUT);
    expect(h.nexts).toHaveLength(1);
    client.close();
  });

  it('onFeedbackError fires with the coded error', async () => {
    const codes: string[] = [];
    const h = harness({ onFeedbackError: ({ error }) => void codes.push(error.code) });
    await h.seed();
    emulator.setFault('session-feedback', { status: 400 });
    await confirm(h);
    expect(codes).toEqual([ErrorCode.REJECTED]);
  });

  it('a hook that throws does not break the flow', async () => {
    const h = harness({
      onLinked: () => {
        throw new Error('mailer down');
      },
    });
    await h.seed();
    expect((await confirm(h)).status).toBe(200);
    expect(h.nexts).toEqual([{ code: null }]);
  });
});

describe('mounting mistakes get "did you forget" errors', () => {
  function bare(middlewares: express.RequestHandler[]) {
    const app = express();
    for (const m of middlewares) app.use(m);
    app.post('/confirm', sendAuthenticationPerformed({ clientSecret: 's', apiUrl: emulator.apiUrl }), (_req, res) => {
      res.send('unreachable');
    });
    app.use((err: { code?: string; status?: number; message: string }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(err.status ?? 500).json({ code: err.code, message: err.message });
    });
    return app;
  }

  it('no express-session → ERR_BINDID_SESSION_MISSING', async () => {
    const res = await request(bare([])).post('/confirm');
    expect(res.body.code).toBe(ErrorCode.SESSION_MISSING);
    expect(res.body.message).toMatch(/Did you forget app\.use\(session/);
  });

  it('no passport → ERR_BINDID_PASSPORT_MISSING', async () => {
    const res = await request(bare([session({ secret: 'x', resave: false, saveUninitialized: false })])).post('/confirm');
    expect(res.body.code).toBe(ErrorCode.PASSPORT_MISSING);
    expect(res.body.message).toMatch(/Did you forget app\.use\(passport\.initialize\(\)\)/);
  });

  it('no req.user (strategy not run) → ERR_BINDID_NOT_AUTHENTICATED (401)', async () => {
    const instance = new passport.Passport();
    const res = await request(bare([session({ secret: 'x', resave: false, saveUninitialized: false }), instance.initialize()])).post(
      '/confirm',
    );
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(ErrorCode.NOT_AUTHENTICATED);
  });

  it('a session without regenerate/save (cookie-session) is refused before anything is stored', async () => {
    const fakeCookieSession: express.RequestHandler = (req, _res, next) => {
      (req as unknown as { session: object }).session = {};
      next();
    };
    const res = await request(bare([fakeCookieSession])).post('/confirm');
    expect(res.body.code).toBe(ErrorCode.SESSION_MISSING);
    expect(res.body.message).toMatch(/cookie-session/);
  });
});

describe('options are validated once, at the factory', () => {
  function optionError(options: unknown): string {
    try {
      sendAuthenticationPerformed(options as SendAuthenticationPerformedOptions);
    } catch (err) {
      expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
      return (err as Error).message;
    }
    throw new Error('expected a throw');
  }
  it.each([
    ['nothing', {}, /clientSecret.*required/],
    ['apiUrl missing', { clientSecret: 's' }, /apiUrl.*required/],
    ['both client and secret', { client: new SessionFeedbackClient({ clientSecret: 's', apiUrl: 'https://api.example' }), clientSecret: 's' }, /client/],
    ['client of the wrong kind', { client: {} }, /SessionFeedbackClient/],
    ['a typo', { clientSecret: 's', apiUrl: 'https://a.example', alais: () => 'x' }, /Did you mean `alias`/],
    ['alias not a function', { clientSecret: 's', apiUrl: 'https://a.example', alias: 'id' }, /alias.*function/],
    ['bad amr', { clientSecret: 's', apiUrl: 'https://a.example', amr: 'pwd' }, /amr/],
    ['logIn not boolean', { clientSecret: 's', apiUrl: 'https://a.example', logIn: 'yes' }, /logIn/],
    ['http apiUrl to a remote host', { clientSecret: 's', apiUrl: 'http://api.example' }, /sendAuthenticationPerformed\(\) option `apiUrl` must use https/],
  ])('%s', (_name, options, message) => {
    expect(optionError(options)).toMatch(message);
  });
});
