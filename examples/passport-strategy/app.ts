/**
 * An app that signs people in with BindID through passport-style routes only: `BindIdStrategy`
 * on `GET /login/bindid` and `GET /bindid/callback`, and its own confirm page, where the app's
 * password check (`createLocalStrategy`) and `sendAuthenticationPerformed` link a new BindID user
 * once. Compare with examples/basic (`bindIdRouter` does all of this) and examples/own-callback.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  assertSameOriginRequest,
  type BindIdAuthInfo,
  BindIdStrategy,
  clearPendingLogin,
  createLocalStrategy,
  csrfToken,
  getPendingLogin,
  MemoryBindIdStore,
  sendAuthenticationPerformed,
} from 'express-bindid';
import session from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { accountPage, errorPage, homePage, layout, passwordLoginPage } from '../basic/pages.js';
import type { User, UserStore } from '../basic/users.js';
import { describeError, escapeHtml, noFraming } from '../basic/web-safety.js';

export interface PassportStrategyConfig {
  issuer: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** This app's own origin, e.g. http://localhost:3000. */
  baseUrl: string;
  sessionSecret: string;
  users: UserStore;
}

export function createPassportStrategyApp(config: PassportStrategyConfig): express.Express {
  const { users } = config;
  // One shared store for the single-use states and the attempt limits (a RedisBindIdStore with several instances).
  const store = new MemoryBindIdStore();
  const passport = new Passport();
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: number, done) => done(null, users.findById(id) ?? false));
  passport.use('local', new LocalStrategy((username, password, done) => {
    users.checkPassword(username, password).then((user) => done(null, user), done);
  }));
  // The same password check, hardened, confirms a new BindID user once.
  passport.use(createLocalStrategy<User>({ store, verify: (username, password) => users.checkPassword(username, password) }));
  // BindID sign-in: new users go to /bindid/confirm, returning users are found by their alias.
  passport.use(
    new BindIdStrategy<User>({
      issuer: config.issuer,
      apiUrl: config.apiUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      baseUrl: config.baseUrl,
      store,
      findUserByAlias: (alias) => users.findByAlias(alias),
    }),
  );

  const app = express();
  app.disable('x-powered-by');
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

  // 1. BindID sign-in, the Passport way.
  app.get('/login/bindid', passport.authenticate('bindid'));
  app.get('/bindid/callback', passport.authenticate('bindid', { failureRedirect: '/' }), (req, res) => {
    res.redirect(303, (req.authInfo as BindIdAuthInfo).returnTo);
  });

  // 2. A new BindID user confirms once with their password; then the app reports the link to BindID.
  app.get('/bindid/confirm', (req, res) => {
    res.set('Cache-Control', 'no-store');
    const pending = getPendingLogin(req);
    if (!pending) return res.status(400).send(errorPage(400, 'There is nothing to confirm: start again from "Sign in with BindID".'));
    res.send(confirmPage(req.query.failed === '1', csrfToken(req), pending.claims.email_verified === true ? pending.claims.email : undefined));
  });
  app.post(
    '/bindid/confirm',
    form,
    sameOrigin,
    passport.authenticate('bindid-local', { session: false, failureRedirect: '/bindid/confirm?failed=1' }),
    sendAuthenticationPerformed<User>({ clientSecret: config.clientSecret, apiUrl: config.apiUrl, store }),
    (req, res) => res.redirect(303, req.session.bindid?.returnTo ?? '/account'),
  );
  app.post('/bindid/confirm/cancel', form, sameOrigin, (req, res) => {
    clearPendingLogin(req);
    res.redirect(303, '/');
  });

  // The app's own pages.
  app.get('/', (req, res) => {
    const user = req.user as User | undefined;
    res.send(homePage(user, user ? csrfToken(req) : ''));
  });
  app.get('/login', (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.send(passwordLoginPage(req.query.failed === '1', csrfToken(req)));
  });
  app.post('/login', form, sameOrigin, passport.authenticate('local', { successRedirect: '/account', failureRedirect: '/login?failed=1' }));
  app.get('/account', (req, res) => {
    const user = req.user as User | undefined;
    if (!user) return res.redirect('/login');
    res.set('Cache-Control', 'no-store');
    res.send(accountPage(user, false, csrfToken(req)));
  });
  app.post('/logout', form, sameOrigin, (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.redirect(303, '/')));
  });
  app.use((req, res) => {
    res.status(404).send(errorPage(404, 'There is no page here.', req.user as User | undefined, 'Page not found', req.user ? csrfToken(req) : ''));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, message, log } = describeError(err);
    if (log) console.error(log);
    const user = req.user as User | undefined;
    res.status(status).send(errorPage(status, message, user, undefined, user && req.session ? csrfToken(req) : ''));
  });
  return app;
}

function confirmPage(failed: boolean, csrf: string, email: unknown): string {
  // Only a verified address (else say there is none): an unverified one is whatever was typed at BindID.
  const who =
    typeof email === 'string'
      ? `<p>BindID signed you in as <strong>${escapeHtml(email)}</strong>.</p>`
      : '<p>BindID gave no verified email for this sign-in. If you did not just sign in with BindID, choose "This is not me".</p>';
  const field = `<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">`;
  return layout(
    'Confirm your account',
    `${who}<p>Enter this site's password once; next time BindID alone signs you in.</p>
${failed ? '<p class="alert" role="alert">Invalid username or password.</p>' : ''}
<form method="post" action="/bindid/confirm">${field}
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">Confirm</button></p></form>
<form method="post" action="/bindid/confirm/cancel">${field}<button type="submit">This is not me</button></form>`,
  );
}
