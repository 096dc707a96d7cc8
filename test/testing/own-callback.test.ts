/**
 * `mintPendingLogin` for apps with their own BindID callback: a real login from the emulator, stored
 * through the public `storePendingLogin` in a test route of the app, then confirmed with
 * `confirmWithPassword` (own confirm page and path) and reported by `sendAuthenticationPerformed`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import request from 'supertest';
import {
  assertSameOriginRequest,
  createLocalStrategy,
  csrfToken,
  getPendingLogin,
  isBindIdError,
  sendAuthenticationPerformed,
  storePendingLogin,
} from '../../src/index.js';
import { confirmWithPassword, mintPendingLogin, startTestBindId, type TestBindId } from '../../src/testing/index.js';

const ORIGIN = 'http://localhost:5000';
const USER = { id: 7, username: 'grace', password: 'grace-password' };
/** The `Origin` header of each confirm POST the app received. */
const origins: Array<string | undefined> = [];

let bindid: TestBindId;
beforeAll(async () => {
  bindid = await startTestBindId({ redirectUri: `${ORIGIN}/auth/callback` });
});
afterAll(() => bindid.close());

/** An app with its own callback (not shown: the test seeds the pending login instead) and confirm page. */
function ownCallbackApp(): express.Express {
  const passport = new Passport();
  passport.serializeUser((user, done) => done(null, (user as { id: number }).id));
  passport.deserializeUser((id: number, done) => done(null, id === USER.id ? { id, username: USER.username } : false));
  passport.use(
    createLocalStrategy({
      verify: (username, password) => (username === USER.username && password === USER.password ? { id: USER.id, username } : false),
    }),
  );
  const app = express();
  app.use(session({ secret: 'own-callback-test', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  // The test route: what the app's callback would do with a new BindID user's login.
  app.post('/test/pending-login', express.json(), (req, res) => {
    storePendingLogin(req, req.body, { baseUrl: 'http://127.0.0.1' });
    res.sendStatus(204);
  });
  app.get('/auth/confirm', (req, res) => {
    if (!getPendingLogin(req)) return res.status(400).send('Nothing to confirm.');
    res.send(`<form method="post"><input name="csrf" type="hidden" value="${csrfToken(req)}"><input name="username"><input name="password"></form>`);
  });
  app.post(
    '/auth/confirm',
    express.urlencoded({ extended: false }),
    (req, _res, next) => {
      origins.push(req.get('origin'));
      try {
        assertSameOriginRequest(req, (req.body as { csrf?: unknown }).csrf, ORIGIN);
        next();
      } catch (err) {
        next(err);
      }
    },
    passport.authenticate('bindid-local', { session: false, failureRedirect: '/auth/confirm?failed=1' }),
    sendAuthenticationPerformed({ clientSecret: bindid.clientSecret, apiUrl: bindid.apiUrl }),
    (_req, res) => res.redirect(303, '/account'),
  );
  app.get('/whoami', (req, res) => {
    res.json({ user: req.user ?? null });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(isBindIdError(err) ? err.status : 500).json({ code: isBindIdError(err) ? err.code : 'unexpected' });
  });
  return app;
}

describe('mintPendingLogin + storePendingLogin (own callback)', () => {
  it('a minted login is a real one: stored, confirmed once with the password, reported; the same identity returns with the alias', async () => {
    const agent = request.agent(ownCallbackApp());
    const login = await mintPendingLogin(bindid, { identity: 'grace-bindid' });
    expect(login).toEqual({ accessToken: expect.any(String), expiresIn: 3600, claims: expect.objectContaining({ sub: bindid.emulator.subOf('grace-bindid') }) });
    expect(login.claims.bindid_alias).toBeUndefined();
    expect(login.claims.iss).toBe(bindid.issuer);

    await agent.post('/test/pending-login').send(login).expect(204);
    const wrong = await confirmWithPassword(agent, bindid, { username: USER.username, password: 'nope', path: '/auth/confirm', csrfField: 'csrf' });
    expect(wrong.headers.location).toBe('/auth/confirm?failed=1');
    expect(bindid.reports()).toEqual([]);

    const right = await confirmWithPassword(agent, bindid, { username: USER.username, password: USER.password, path: '/auth/confirm', csrfField: 'csrf' });
    expect(right.headers.location).toBe('/account');
    expect(bindid.reports()).toEqual([expect.objectContaining({ alias: String(USER.id), sub: login.claims.sub })]);
    expect((await agent.get('/whoami')).body.user).toEqual({ id: USER.id, username: USER.username });
    // Both POSTs came from the app's own origin (the origin of the TestBindId's redirectUri), as a browser's would.
    expect(origins).toEqual([ORIGIN, ORIGIN]);

    const again = await mintPendingLogin(bindid, { identity: 'grace-bindid' });
    expect(again.claims).toMatchObject({ sub: login.claims.sub, bindid_alias: String(USER.id) });
    expect(again.accessToken).not.toBe(login.accessToken);
  });

  it('without an identity each minted login is a new BindID user', async () => {
    const [a, b] = await Promise.all([mintPendingLogin(bindid), mintPendingLogin(bindid)]);
    expect(a?.claims.sub).not.toBe(b?.claims.sub);
  });

  it("a fault on the emulator's /token: a clear Error", async () => {
    bindid.fail('down', { endpoint: 'token' });
    try {
      await expect(mintPendingLogin(bindid)).rejects.toThrow("mintPendingLogin(): the emulator's /token answered 503");
      bindid.emulator.setFault('token', { status: 502, body: '<html>bad gateway</html>' });
      await expect(mintPendingLogin(bindid)).rejects.toThrow("mintPendingLogin(): the emulator's /token answered 502 without a usable token response");
    } finally {
      bindid.recover();
    }
  });
});
