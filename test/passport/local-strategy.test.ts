import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import {
  createLocalStrategy,
  ErrorCode,
  isBindIdError,
  type LocalStrategyOptions,
  storePendingLogin,
} from '../../src/index.js';
import { DEFAULT_FAILURE_MESSAGE } from '../../src/passport/local-strategy.js';

interface TestUser {
  id: number;
  username: string;
}

const alice: TestUser = { id: 42, username: 'alice' };

let tokens = 0;
/**
 * An app whose POST /login runs the strategy with { session: false } and answers 200 with the user,
 * or the failure status with `{ message }`, or the error code. Each request first gets a pending
 * BindID login of its own in its session (the strategy checks nothing without one).
 */
function appWith(options: LocalStrategyOptions<TestUser>, withSession = true) {
  const instance = new passport.Passport();
  const strategy = createLocalStrategy<TestUser>(options);
  instance.use(strategy);
  const app = express();
  if (withSession) app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }));
  // Large body limits, so the strategy's own caps are what rejects oversized credentials.
  app.use(express.urlencoded({ extended: true, limit: '2mb' }));
  app.use(express.json({ limit: '2mb' }));
  app.use(instance.initialize());
  app.use((req, _res, next) => {
    if (req.session) storePendingLogin(req, { accessToken: `test-token-${++tokens}`, expiresIn: 3600, claims: { sub: 'test-sub' } }, { baseUrl: 'http://127.0.0.1' });
    next();
  });
  app.post('/login', (req: Request, res: Response, next: NextFunction) => {
    instance.authenticate(strategy.name, { session: false }, (err: unknown, user: unknown, info: unknown, status: unknown) => {
      if (err) return next(err);
      if (!user) return res.status(typeof status === 'number' ? status : 401).json({ info, status });
      return res.json({ user });
    })(req, res, next);
  });
  app.use((err: Error & { code?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? 'unknown', message: err.message });
  });
  return { app, strategy };
}

const credentials = { username: 'alice', password: 'correct horse' };

function checkPassword(username: string, password: string): TestUser | false {
  return username === 'alice' && password === 'correct horse' ? alice : false;
}

describe('verify forms', () => {
  it('promise form: resolves the user → success', async () => {
    const { app } = appWith({ verify: async (u, p) => checkPassword(u, p) });
    const res = await request(app).post('/login').type('form').send(credentials);
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual(alice);
  });

  it('sync form: returns the user → success', async () => {
    const { app } = appWith({ verify: (u, p) => checkPassword(u, p) });
    expect((await request(app).post('/login').send(credentials)).body.user).toEqual(alice);
  });

  it.each([
    ['false', false],
    ['null', null],
    ['undefined', undefined],
  ])('promise form: resolving %s fails with the generic message', async (_name, value) => {
    const { app } = appWith({ verify: async () => value as false | null | undefined });
    const res = await request(app).post('/login').send(credentials);
    expect(res.status).toBe(401);
    expect(res.body.info).toEqual({ message: DEFAULT_FAILURE_MESSAGE });
  });

  it('callback form: done(null, user) → success; done(null, false) → generic failure', async () => {
    const ok = appWith({
      verify: (u, p, done) => {
        setImmediate(() => done(null, checkPassword(u, p)));
      },
    });
    expect((await request(ok.app).post('/login').send(credentials)).body.user).toEqual(alice);
    const wrong = await request(ok.app).post('/login').send({ ...credentials, password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.info).toEqual({ message: DEFAULT_FAILURE_MESSAGE });
  });

  it('callback form: done(err) → next(err) once', async () => {
    const { app } = appWith({ verify: (_u, _p, done) => done(new Error('db down')) });
    const res = await request(app).post('/login').send(credentials);
    expect(res.status).toBe(500);
    expect(res.body.message).toBe('db down');
  });

  it('callback form calling done twice only counts the first call', async () => {
    const { app } = appWith({
      verify: (_u, _p, done) => {
        done(null, alice);
        done(new Error('second call'));
      },
    });
    const res = await request(app).post('/login').send(credentials);
    expect(res.status).toBe(200);
  });

  it('promise form: a rejection or a throw → next(err)', async () => {
    const rejects = appWith({
      verify: async () => {
        throw new Error('rejected');
      },
    });
    expect((await request(rejects.app).post('/login').send(credentials)).body.message).toBe('rejected');
    const throws = appWith({
      verify: () => {
        throw new Error('thrown');
      },
    });
    expect((await request(throws.app).post('/login').send(credentials)).body.message).toBe('thrown');
  });

  it('passReqToCallback: promise form gets (req, username, password)', async () => {
    const seen: string[] = [];
    const { app } = appWith({
      passReqToCallback: true,
      verify: async (req, u, p) => {
        seen.push(req.path);
        return checkPassword(u, p);
      },
    });
    expect((await request(app).post('/login').send(credentials)).body.user).toEqual(alice);
    expect(seen).toEqual(['/login']);
  });

  it('passReqToCallback: callback form gets (req, username, password, done)', async () => {
    const { app } = appWith({
      passReqToCallback: true,
      verify: (req, u, p, done) => done(null, req.method === 'POST' ? checkPassword(u, p) : false),
    });
    expect((await request(app).post('/login').send(credentials)).body.user).toEqual(alice);
  });
});

describe('credentials are checked before verify runs', () => {
  const calls: unknown[][] = [];
  const { app } = appWith({
    verify: async (u, p) => {
      calls.push([u, p]);
      return checkPassword(u, p);
    },
  });
  beforeEach(() => {
    calls.length = 0;
  });

  async function expectGenericFailure(res: request.Response) {
    expect(res.status).toBe(401);
    expect(res.body.info).toEqual({ message: DEFAULT_FAILURE_MESSAGE });
    expect(calls).toHaveLength(0);
  }

  it('unknown user and wrong password give byte-identical responses', async () => {
    const unknown = await request(app).post('/login').send({ username: 'mallory', password: 'x' });
    const wrong = await request(app).post('/login').send({ username: 'alice', password: 'x' });
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.text).toBe(wrong.text);
  });

  it.each([
    ['username as an object', { username: { $gt: '' }, password: 'x' }],
    ['username as an array', { username: ['alice', 'bob'], password: 'x' }],
    ['username as a number', { username: 42, password: 'x' }],
    ['password as an object', { username: 'alice', password: { a: 1 } }],
    ['missing password', { username: 'alice' }],
    ['missing username', { password: 'x' }],
    ['empty strings', { username: '', password: '' }],
    ['10 KB username', { username: 'a'.repeat(10_240), password: 'x' }],
    ['1 MB password', { username: 'alice', password: 'p'.repeat(1024 * 1024 - 64) }],
  ])('%s → generic failure, verify not called', async (_name, body) => {
    const res = await request(app).post('/login').set('Content-Type', 'application/json').send(JSON.stringify(body));
    await expectGenericFailure(res);
  });

  it('urlencoded username[]=a (array) → generic failure, verify not called', async () => {
    await expectGenericFailure(await request(app).post('/login').type('form').send('username[]=alice&password=x'));
  });

  it('credentials in the query string are ignored', async () => {
    await expectGenericFailure(await request(app).post('/login?username=alice&password=correct%20horse').send({}));
  });

  it('prototype keys in the body do not count as credentials', async () => {
    const res = await request(app)
      .post('/login')
      .set('Content-Type', 'application/json')
      .send('{"__proto__":{"username":"alice","password":"correct horse"}}');
    await expectGenericFailure(res);
  });
});

describe('request context', () => {
  it('without express-session the strategy errors with ERR_BINDID_SESSION_MISSING and a hint', async () => {
    const { app } = appWith({ verify: async (u, p) => checkPassword(u, p) }, false);
    const res = await request(app).post('/login').send(credentials);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe(ErrorCode.SESSION_MISSING);
    expect(res.body.message).toMatch(/Did you forget app\.use\(session/);
  });
});

describe('options are validated when the strategy is built', () => {
  function optionError(options: unknown): { code?: string; message: string } {
    try {
      createLocalStrategy(options as LocalStrategyOptions);
    } catch (err) {
      expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
      return err as { code?: string; message: string };
    }
    throw new Error('expected createLocalStrategy to throw');
  }

  it('verify is required', () => {
    expect(optionError({}).message).toMatch(/`verify` is required/);
  });
  it('unknown key gets a typo hint', () => {
    expect(optionError({ verify: () => false, usernameFeild: 'email' }).message).toMatch(/Did you mean `usernameField`\?/);
  });
  it('field names must be plain names', () => {
    expect(optionError({ verify: () => false, usernameField: 'user[name]' }).message).toMatch(/usernameField/);
  });
  it('length caps must be whole numbers', () => {
    expect(optionError({ verify: () => false, maxPasswordLength: 0 }).message).toMatch(/maxPasswordLength/);
  });
  it('options must be an object', () => {
    expect(optionError('verify').message).toMatch(/must be an object/);
  });
  it('name, fields and message are applied', async () => {
    const { app, strategy } = appWith({
      name: 'confirm-password',
      usernameField: 'email',
      passwordField: 'secret',
      message: 'Nope.',
      verify: async (u, p) => (u === 'alice@example.com' && p === 'pw' ? alice : false),
    });
    expect(strategy.name).toBe('confirm-password');
    expect((await request(app).post('/login').send({ email: 'alice@example.com', secret: 'pw' })).body.user).toEqual(alice);
    expect((await request(app).post('/login').send({ email: 'alice@example.com', secret: 'x' })).body.info).toEqual({
      message: 'Nope.',
    });
  });
});
