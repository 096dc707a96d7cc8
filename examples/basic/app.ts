/**
 * The example app: an Express app that already has password sign-in (passport-local) and adds
 * "Sign in with BindID" with express-bindid. `createApp` builds it; `server.ts` runs it next to an
 * embedded BindID emulator.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  assertSameOriginRequest,
  type BindIdRouterOptions,
  bindIdRouter,
  createLocalStrategy,
  csrfToken,
  ErrorCode,
  isBindIdError,
} from 'express-bindid';
import session from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { accountPage, errorPage, homePage, passwordLoginPage } from './pages.js';
import type { User, UserStore } from './users.js';
import { describeError, noFraming } from './web-safety.js';

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
  // No page of this app may be framed (clickjacking); the BindID router sets its own, stricter CSP.
  app.use(noFraming);
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

  // The app's own forms (password sign-in, sign-out) carry the session's CSRF token, and their POSTs
  // must come from this origin: the same checks express-bindid makes on its confirm form.
  const origin = new URL(config.baseUrl).origin;
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const sameOrigin = (req: Request, _res: Response, next: NextFunction) => {
    try {
      assertSameOriginRequest(req, (req.body as { _csrf?: unknown } | undefined)?._csrf, origin);
      next();
    } catch (err) {
      next(err);
    }
  };

  app.get('/', (req, res) => {
    const user = req.user as User | undefined;
    res.send(homePage(user, user ? csrfToken(req) : ''));
  });
  app.get('/login', (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.send(passwordLoginPage(req.query.failed === '1', csrfToken(req)));
  });
  app.post(
    '/login',
    form,
    sameOrigin,
    passport.authenticate('local', { successRedirect: '/account', failureRedirect: '/login?failed=1' }),
  );
  app.get('/account', (req, res) => {
    const user = req.user as User | undefined;
    if (!user) return res.redirect('/login');
    res.set('Cache-Control', 'no-store');
    res.send(accountPage(user, false, csrfToken(req)));
  });
  app.post('/logout', form, sameOrigin, (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.redirect(303, '/')));
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  // The app's own 404 page (Express's default one would drop the framing headers).
  app.use((req, res) => {
    res.status(404).send(errorPage(404, 'There is no page here.', req.user as User | undefined, 'Page not found', req.user ? csrfToken(req) : ''));
  });

  // Coded errors from express-bindid carry a status and a message safe to show when `expose` is true;
  // body-parser's 4xx (413 too large, 415 charset) keep their status; everything else is a 500.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, message, log } = describeError(err);
    if (log) console.error(log);
    const user = req.user as User | undefined;
    const csrf = user && req.session ? csrfToken(req) : '';
    if (user && isBindIdError(err, ErrorCode.CSRF)) {
      // A stale form posted again (the back button after confirming): nothing was done.
      const stale = 'This form is out of date and nothing was changed: you are already signed in.';
      return res.status(status).send(errorPage(status, stale, user, 'Already signed in', csrf));
    }
    res.status(status).send(errorPage(status, message, user, undefined, csrf));
  });
  return app;
}
