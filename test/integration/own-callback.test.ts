/**
 * The confirmation step for apps with their own BindID callback: `storePendingLogin` +
 * `passport.authenticate('bindid-local', { session: false })` + `sendAuthenticationPerformed`,
 * against the emulator, on the Express this Jest project loads (4 or 5). Every failure must reach
 * the app's error handler through `next(err)` with its code.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import {
  createLocalStrategy,
  isBindIdError,
  type SendAuthenticationPerformedOptions,
  sendAuthenticationPerformed,
  storePendingLogin,
} from '../../src/index.js';
import { login, REDIRECT_URI } from '../emulator/helpers.js';
import { alice, Browser, expressUnderTest, PASSWORD, type Served, serve, type TestUser } from './helpers.js';

const { major, version } = expressUnderTest();

let served: Served;

beforeAll(async () => {
  served = await serve('/unused', { redirectUris: [REDIRECT_URI] });
});
afterAll(() => served.close());
beforeEach(() => {
  const { emulator } = served;
  emulator.setAlias(emulator.subOf('alice') as string, undefined);
  emulator.clearReports();
  emulator.clearFaults();
});

/** The app: `/test/pending` stands in for its own BindID callback; `/confirm` is the documented chain. */
function buildApp(options: Partial<SendAuthenticationPerformedOptions<TestUser>> = {}) {
  const { emulator } = served;
  const passport = new Passport();
  passport.serializeUser((user, done) => done(null, (user as TestUser).id));
  passport.deserializeUser((id: number, done) => done(null, id === alice.id ? alice : false));
  passport.use(createLocalStrategy<TestUser>({ verify: (username, password) => (username === 'alice' && password === PASSWORD ? alice : false) }));
  const confirm = sendAuthenticationPerformed<TestUser>({ clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl, ...options });

  const app = express();
  app.use(session({ secret: 'integration-session-secret', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.post('/test/pending', express.json(), (req: Request, res: Response, next: NextFunction) => {
    storePendingLogin(req, req.body);
    req.session.save((err) => (err ? next(err) : res.sendStatus(204)));
  });
  app.post(
    '/confirm',
    express.urlencoded({ extended: false }),
    passport.authenticate('bindid-local', { session: false }),
    confirm,
    (req: Request, res: Response) => {
      res.json({ bindid: req.bindid ?? null, user: req.user ?? null });
    },
  );
  app.post('/confirm-without-password-check', confirm, (_req: Request, res: Response) => {
    res.json({ unreachable: true });
  });
  app.get('/whoami', (req: Request, res: Response) => {
    res.json({ user: req.user ?? null, pending: req.session.bindid?.pending !== undefined });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(isBindIdError(err) ? err.status : 500).json({ code: isBindIdError(err) ? err.code : 'unexpected' });
  });
  return app;
}

/** A browser whose session holds a pending login for the emulator's `alice`. */
async function withPendingLogin(): Promise<{ browser: Browser; sub: string }> {
  const tokens = await login(served.emulator, 'alice');
  const browser = new Browser();
  const res = await browser.postJson(`${served.baseUrl}/test/pending`, {
    accessToken: tokens.accessToken,
    expiresIn: 3600,
    claims: tokens.claims,
  });
  expect(res.status).toBe(204);
  return { browser, sub: tokens.claims.sub as string };
}

const post = (browser: Browser, path: string, form: Record<string, string>) =>
  browser.post(`${served.baseUrl}${path}`, form);

describe(`sendAuthenticationPerformed on Express ${major} (${version})`, () => {
  it('after the password check: reports, signs the user in, and sets req.bindid', async () => {
    served.mount(buildApp());
    const { browser, sub } = await withPendingLogin();
    const res = await post(browser, '/confirm', { username: 'alice', password: PASSWORD });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.user).toEqual(alice);
    expect(body.bindid).toMatchObject({ alias: '7', sub, claims: { sub } });
    expect(JSON.parse((await browser.get(`${served.baseUrl}/whoami`)).text)).toEqual({ user: alice, pending: false });
    expect(served.emulator.reports()).toMatchObject([{ accepted: true, alias: '7', sub }]);
  });

  it('logIn: false leaves signing in to the app', async () => {
    served.mount(buildApp({ logIn: false }));
    const { browser } = await withPendingLogin();
    expect((await post(browser, '/confirm', { username: 'alice', password: PASSWORD })).status).toBe(200);
    expect(JSON.parse((await browser.get(`${served.baseUrl}/whoami`)).text)).toEqual({ user: null, pending: false });
  });

  it('a wrong password stops at passport (401): nothing is reported, the pending login stays', async () => {
    served.mount(buildApp());
    const { browser } = await withPendingLogin();
    expect((await post(browser, '/confirm', { username: 'alice', password: 'wrong' })).status).toBe(401);
    expect(served.emulator.reports()).toEqual([]);
    expect(JSON.parse((await browser.get(`${served.baseUrl}/whoami`)).text)).toEqual({ user: null, pending: true });
  });

  it.each([
    ['no pending login', 'ERR_BINDID_NO_PENDING_LOGIN', 400],
    ['BindID unavailable', 'ERR_BINDID_UNAVAILABLE', 503],
    ['a wrong client secret', 'ERR_BINDID_UNAUTHORIZED', 502],
  ] as const)('%s reaches the error handler as %s (%d), nobody signed in', async (situation, code, status) => {
    served.mount(buildApp(situation === 'a wrong client secret' ? { clientSecret: 'not-the-secret' } : {}));
    const browser = situation === 'no pending login' ? new Browser() : (await withPendingLogin()).browser;
    if (situation === 'BindID unavailable') served.emulator.setFault('session-feedback', { status: 503, retryAfter: '0' });
    const res = await post(browser, '/confirm', { username: 'alice', password: PASSWORD });
    expect({ status: res.status, body: JSON.parse(res.text) }).toEqual({ status, body: { code } });
    const after = JSON.parse((await browser.get(`${served.baseUrl}/whoami`)).text);
    expect(after.user).toBeNull();
    // Kept for a retry when BindID could not be reached; a refusal (the secret) ends it: 'start again'.
    expect(after.pending).toBe(situation === 'BindID unavailable');
  });

  it('mounted without the password check it refuses with ERR_BINDID_NOT_AUTHENTICATED', async () => {
    served.mount(buildApp());
    const { browser } = await withPendingLogin();
    const res = await post(browser, '/confirm-without-password-check', {});
    expect({ status: res.status, body: JSON.parse(res.text) }).toEqual({ status: 401, body: { code: 'ERR_BINDID_NOT_AUTHENTICATED' } });
    expect(served.emulator.reports()).toEqual([]);
  });
});
