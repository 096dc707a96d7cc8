/**
 * An app that uses the lower-level `sendAuthenticationPerformed` middleware the documented way
 * (express-session + passport + `createLocalStrategy`, its own BindID callback), against an
 * emulator. A test-only `POST /seed` stores a pending login minted straight from the emulator, as
 * the app's own callback would with `storePendingLogin`; `POST /confirm` runs the password check
 * and the middleware. It records what the middleware passed to `next()` and every error that
 * reached the app's error handler.
 *
 * ```ts
 * const app = createMiddlewareApp(emulator, { onFeedbackError: (e) => events.push(e) });
 * const login = await app.seed();
 * const res = await app.confirm({ username: 'alice', password: 'alice-password' });
 * expect(app.nexts).toEqual([undefined]); // next() once, without an error
 * ```
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import type { Emulator } from '../../src/emulator/index.js';
import {
  createLocalStrategy,
  type SendAuthenticationPerformedOptions,
  sendAuthenticationPerformed,
  storePendingLogin,
} from '../../src/index.js';
import { type Agent, type MintedLogin, mintLogin, type TestUser, USERS } from './flow.js';

export interface MiddlewareApp {
  agent: Agent;
  /** Another browser on the same app, with a fresh pending login of its own (and its BindID `sub`). */
  browser(): Promise<{ agent: Agent; sub: string }>;
  /** One entry per call of the middleware's `next`: `undefined` for success, else the error. */
  nexts: unknown[];
  /** Every error that reached the app's error handler. */
  errors: unknown[];
  /** Store a pending login (a fresh emulator login unless given) in the agent's session. */
  seed(login?: MintedLogin): Promise<MintedLogin>;
  /** POST the credentials to the confirm route. */
  confirm(credentials: { username: string; password: string }): Promise<request.Response>;
}

/**
 * Build the app. `options` go to `sendAuthenticationPerformed` (default: the emulator's secret and
 * API URL); `verify` replaces the password check (default: the exact credentials of {@link USERS}).
 */
export function createMiddlewareApp(
  emulator: Emulator,
  options: Partial<SendAuthenticationPerformedOptions<TestUser>> = {},
  verify?: (username: string, password: string) => unknown,
): MiddlewareApp {
  const nexts: unknown[] = [];
  const errors: unknown[] = [];
  const instance = new passport.Passport();
  instance.serializeUser((user, done) => done(null, (user as TestUser).id));
  instance.deserializeUser((id: number, done) => done(null, USERS.find((u) => u.id === id) ?? false));
  instance.use(
    createLocalStrategy<TestUser>({
      verify: (username, password) => {
        if (verify) return verify(username, password) as TestUser | false;
        const user = USERS.find((u) => u.username === username && u.password === password);
        return user ? { id: user.id, username: user.username } : false;
      },
    }),
  );
  const middleware = sendAuthenticationPerformed<TestUser>(
    options.client ? { ...options } : { clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl, ...options },
  );

  const app = express();
  app.use(session({ secret: 'middleware-app-test', resave: false, saveUninitialized: false }));
  app.use(express.json());
  app.use(instance.initialize());
  app.use(instance.session());
  app.post('/seed', (req, res) => {
    storePendingLogin(req, (req.body as { login: MintedLogin }).login, { baseUrl: 'http://127.0.0.1' });
    res.json({ ok: true });
  });
  app.post(
    '/confirm',
    express.urlencoded({ extended: false }),
    instance.authenticate('bindid-local', { session: false, failWithError: true }),
    (req: Request, res: Response, next: NextFunction) => {
      middleware(req, res, (err?: unknown) => {
        nexts.push(err);
        next(err);
      });
    },
    (req: Request, res: Response) => {
      res.json({ user: req.user ?? null });
    },
  );
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    errors.push(err);
    const status = (err as { status?: unknown }).status;
    res.status(typeof status === 'number' ? status : 500).json({ code: (err as { code?: unknown }).code ?? null });
  });

  app.get('/whoami', (req: Request, res: Response) => void res.json({ user: req.user ?? null }));

  const agent = request.agent(app);
  return {
    agent,
    async browser() {
      const other = request.agent(app);
      const minted = await mintLogin(emulator);
      await other.post('/seed').send({ login: minted }).expect(200);
      return { agent: other, sub: minted.claims.sub };
    },
    nexts,
    errors,
    async seed(login) {
      const minted = login ?? (await mintLogin(emulator));
      await agent.post('/seed').send({ login: minted }).expect(200);
      return minted;
    },
    confirm: (credentials) => agent.post('/confirm').type('form').send(credentials),
  };
}
