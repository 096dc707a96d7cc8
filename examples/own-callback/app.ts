/**
 * An app that already has its own BindID callback (openid-client used directly) and adds only the
 * core of express-bindid: the hardened passport-local strategy and the confirmation middleware.
 * Compare with examples/basic, where bindIdRouter does all of this.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  assertSameOriginRequest,
  createLocalStrategy,
  csrfToken,
  getPendingLogin,
  isNewBindIdUser,
  sendAuthenticationPerformed,
  storePendingLogin,
} from 'express-bindid';
import session from 'express-session';
import * as oidc from 'openid-client';
import { Passport } from 'passport';
import type { User, UserStore } from '../basic/users.js';
import { describeError, escapeHtml, noFraming } from '../basic/web-safety.js';

declare module 'express-session' {
  interface SessionData {
    /** The app's own authorization request in flight. */
    oidcCheck?: { state: string; nonce: string; codeVerifier: string };
  }
}

export interface OwnCallbackConfig {
  issuer: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  baseUrl: string;
  sessionSecret: string;
  users: UserStore;
}

export function createOwnCallbackApp(config: OwnCallbackConfig): express.Express {
  const { users } = config;
  const redirectUri = `${config.baseUrl}/auth/bindid/callback`;
  const passport = new Passport();
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: number, done) => done(null, users.findById(id) ?? false));
  // 1. The app's password check, as the strategy that confirms new BindID users.
  passport.use(createLocalStrategy<User>({ verify: (username, password) => users.checkPassword(username, password) }));

  // The app's own OIDC client (discovery once; plain http only because the emulator is on loopback).
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc
      .discovery(new URL(config.issuer), config.clientId, config.clientSecret, undefined, {
        execute: config.issuer.startsWith('http://') ? [oidc.allowInsecureRequests] : [],
      })
      .catch((err: unknown) => {
        discovered = undefined;
        throw err;
      });
    return discovered;
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(noFraming);
  app.use(session({ secret: config.sessionSecret, resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
  app.use(passport.initialize());
  app.use(passport.session());

  app.get('/auth/bindid', async (req, res, next) => {
    try {
      const check = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
      req.session.oidcCheck = check;
      const url = oidc.buildAuthorizationUrl(await configuration(), {
        redirect_uri: redirectUri,
        scope: 'openid email',
        state: check.state,
        nonce: check.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(check.codeVerifier),
        code_challenge_method: 'S256',
      });
      req.session.save((err) => (err ? next(err) : res.redirect(url.href)));
    } catch (err) {
      next(err);
    }
  });

  app.get('/auth/bindid/callback', async (req, res, next) => {
    try {
      const check = req.session.oidcCheck;
      delete req.session.oidcCheck;
      if (!check) return res.status(400).send('Start again from "Sign in with BindID".');
      const currentUrl = new URL(req.originalUrl, config.baseUrl);
      const tokens = await oidc.authorizationCodeGrant(await configuration(), currentUrl, {
        pkceCodeVerifier: check.codeVerifier,
        expectedState: check.state,
        expectedNonce: check.nonce,
      });
      const claims = tokens.claims();
      if (!claims) return res.status(400).send('No ID token.');
      if (!isNewBindIdUser(claims)) {
        const user = users.findByAlias(String(claims.bindid_alias));
        if (!user) return res.status(403).send('This BindID account is not linked to an active account.');
        return req.login(user, (err) => (err ? next(err) : res.redirect('/account')));
      }
      // 2. A new BindID user: keep the login server-side until they confirm with their password.
      req.session.regenerate((err) => {
        if (err) return next(err);
        // Bound to this browser: a __Host- cookie the confirmation requires (plain http on localhost: the session alone).
        storePendingLogin(req, { accessToken: tokens.access_token, expiresIn: tokens.expires_in ?? 3600, claims }, { baseUrl: config.baseUrl });
        req.session.save((saveErr) => (saveErr ? next(saveErr) : res.redirect('/auth/bindid/confirm')));
      });
    } catch (err) {
      next(err);
    }
  });

  app.get('/auth/bindid/confirm', (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!getPendingLogin(req)) return res.status(400).send('<p>Nothing to confirm. <a href="/auth/bindid">Start again</a></p>');
    const failed = req.query.failed === '1' ? '<p role="alert">Invalid username or password.</p>' : '';
    res.send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Confirm your account</title></head><body>
<h1>Confirm your account</h1>${failed}
<form method="post" action="/auth/bindid/confirm">
<input type="hidden" name="_csrf" value="${escapeHtml(csrfToken(req))}">
<label for="u">Username</label> <input id="u" name="username" autocomplete="username" required>
<label for="p">Password</label> <input id="p" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Confirm</button></form></body></html>`);
  });

  // 3. The confirm route: CSRF check, the password check without a login session, then the report.
  app.post(
    '/auth/bindid/confirm',
    express.urlencoded({ extended: false }),
    (req, _res, next) => {
      try {
        assertSameOriginRequest(req, (req.body as { _csrf?: unknown })._csrf, new URL(config.baseUrl).origin);
        next();
      } catch (err) {
        next(err);
      }
    },
    passport.authenticate('bindid-local', { session: false, failureRedirect: '/auth/bindid/confirm?failed=1' }),
    sendAuthenticationPerformed<User>({ clientSecret: config.clientSecret, apiUrl: config.apiUrl }),
    (_req, res) => res.redirect('/account'),
  );

  app.get('/account', (req, res) => {
    if (!req.user) return res.redirect('/');
    res.json({ user: req.user });
  });
  app.use((_req, res) => {
    res.status(404).send('Not found.');
  });
  // The same error handling as examples/basic: a coded error's status, body-parser's 4xx, else 500.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, message, log } = describeError(err);
    if (log) console.error(log);
    res.status(status).send(escapeHtml(message));
  });
  return app;
}
