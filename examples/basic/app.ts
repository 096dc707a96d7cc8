/**
 * The example app: an Express app that already has password sign-in (passport-local) and adds
 * "Sign in with BindID" with express-bindid. `createApp` builds it; `server.ts` runs it next to an
 * embedded BindID emulator.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { type BindIdRouterOptions, bindIdRouter, createLocalStrategy, ErrorCode, isBindIdError } from 'express-bindid';
import session from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { accountPage, errorPage, homePage, passwordLoginPage } from './pages.js';
import type { User, UserStore } from './users.js';

export interface ExampleConfig {
  /** BindID (or emulator) issuer and API base URL. */
  issuer: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** This app's own origin, e.g. http://localhost:3000. */
  baseUrl: string;
  sessionSecret: string;
  users: UserStore;
  /**
   * More options of the BindID router: the confirm page's strings, its render hook, the time to
   * confirm, and what to do when BindID is down (`failureMode`, `onReportQueued`, `outboxWorker`).
   */
  bindid?: Pick<BindIdRouterOptions<User>, 'messages' | 'render' | 'pendingTtlSeconds' | 'failureMode' | 'onReportQueued' | 'outboxWorker'>;
}

export function createApp(config: ExampleConfig): express.Express {
  const { users } = config;
  const passport = new Passport();
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: number, done) => done(null, users.findById(id) ?? false));
  // The app's existing password login...
  passport.use('local', new LocalStrategy((username, password, done) => {
    users.checkPassword(username, password).then((user) => done(null, user), done);
  }));
  // ...and the same check, hardened, for the one-time BindID confirmation.
  passport.use(createLocalStrategy<User>({ verify: (username, password) => users.checkPassword(username, password) }));

  const app = express();
  app.disable('x-powered-by');
  app.use(
    session({
      name: 'example.sid',
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.baseUrl.startsWith('https:') },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());

  app.use(
    bindIdRouter<User>({
      issuer: config.issuer,
      apiUrl: config.apiUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      baseUrl: config.baseUrl,
      passport,
      findUserByAlias: (alias) => users.findByAlias(alias),
      onLinked: ({ user }) => console.log(`BindID linked to user ${user.id} (${user.username}); the owner would get an email here.`),
      ...config.bindid,
    }),
  );

  app.get('/', (req, res) => {
    res.send(homePage(req.user as User | undefined));
  });
  app.get('/login', (req, res) => {
    res.send(passwordLoginPage(req.query.failed === '1'));
  });
  app.post(
    '/login',
    express.urlencoded({ extended: false }),
    passport.authenticate('local', { successRedirect: '/account', failureRedirect: '/login?failed=1' }),
  );
  app.get('/account', (req, res) => {
    const user = req.user as User | undefined;
    if (!user) return res.redirect('/login');
    res.set('Cache-Control', 'no-store');
    res.send(accountPage(user, false));
  });
  app.post('/logout', (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.redirect(303, '/')));
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  // Coded errors from express-bindid carry a status and a message safe to show when `expose` is true.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = isBindIdError(err) ? err.status : 500;
    const message = isBindIdError(err) && err.expose ? err.message : 'Please try again.';
    if (status >= 500) console.error('request failed:', isBindIdError(err) ? err.code : err);
    const user = req.user as User | undefined;
    if (user && isBindIdError(err, ErrorCode.CSRF)) {
      // A stale confirm form posted again (the back button after confirming): nothing was done.
      const stale = 'This form is out of date and nothing was changed: you are already signed in.';
      return res.status(status).send(errorPage(status, stale, user, 'Already signed in'));
    }
    res.status(status).send(errorPage(status, message, user));
  });
  return app;
}
