/**
 * The app of the `signin` scenario (issue 16), started by bench/scenarios/signin.ts in its own
 * process: a returning BindID user signs in (`GET /login/bindid` → BindID → `GET /bindid/callback`)
 * and then loads `GET /` as that user. One variant per process (`BENCH_VARIANT`):
 *
 * - `bindid`:        express-bindid's `bindIdRouter`.
 * - `eoc`:           auth0's express-openid-connect `auth()`, with its own session (the encrypted
 *                    `appSession` cookie, its default), response type `code` with PKCE, a client
 *                    secret, and `afterCallback` looking the user up by alias.
 * - `openid-client`: passport with openid-client's own strategy (`openid-client/passport`).
 * - `passport-oidc`: passport with `passport-openidconnect` 0.1.x (static endpoints, as its docs show).
 *
 * All four: the same Express 5 app (express-session with its MemoryStore, `passport.initialize()`,
 * `passport.session()`, the same `GET /`), the same {@link findUserByAlias} stub, BindID (the
 * emulator) over HTTPS trusted through `NODE_EXTRA_CA_CERTS`, and the same registered redirect URI.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { bindIdRouter, createLocalStrategy, isBindIdError } from 'express-bindid';
import { auth } from 'express-openid-connect';
import session from 'express-session';
import * as oidc from 'openid-client';
import { Strategy as OpenIdClientStrategy, type VerifyFunction } from 'openid-client/passport';
import { Passport } from 'passport';
import { Strategy as PassportOidcStrategy } from 'passport-openidconnect';
import { serve, startCounting } from '../lib/rpc.js';

process.setSourceMapsEnabled(false); // tsx turns them on; a production app runs without

interface BenchUser {
  id: number;
  username: string;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const VARIANTS = ['bindid', 'eoc', 'openid-client', 'passport-oidc'] as const;
type SigninVariant = (typeof VARIANTS)[number];
const variant = env('BENCH_VARIANT') as SigninVariant;
if (!VARIANTS.includes(variant)) throw new Error(`unknown BENCH_VARIANT ${variant}`);
const issuer = env('BENCH_ISSUER');
const clientId = env('BENCH_CLIENT_ID');
const clientSecret = env('BENCH_CLIENT_SECRET');
const apiUrl = env('BENCH_API_URL');
/** The app's public origin as configured; the redirect URI registered at the emulator is BASE_URL + CALLBACK. */
const BASE_URL = 'http://localhost:3000';
const LOGIN = '/login/bindid';
const CALLBACK = '/bindid/callback';
const SCOPE = 'openid email';

/** The app's user lookup by BindID alias, the same stub for every variant: alias `u<n>` is user n. */
function findUserByAlias(alias: unknown): BenchUser | null {
  if (typeof alias !== 'string' || !/^u\d{1,6}$/.test(alias)) return null;
  return { id: Number(alias.slice(1)), username: alias };
}

/** The claims of an ID token whose signature the caller's library already checked (or chose not to). */
function claimsOf(idToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

const passport = new Passport();
passport.serializeUser((user, done) => done(null, (user as BenchUser).id));
passport.deserializeUser((id: number, done) => done(null, { id, username: `u${id}` }));

const app = express();
app.disable('x-powered-by');
app.use(
  session({
    name: 'bench.sid',
    secret: 'bench-session-secret',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  }),
);
app.use(passport.initialize());
app.use(passport.session());

async function mountVariant(): Promise<void> {
  if (variant === 'bindid') {
    // The router's confirm step needs the app's password check (never reached by a returning user).
    passport.use(createLocalStrategy<BenchUser>({ verify: () => false }));
    app.use(bindIdRouter<BenchUser>({ issuer, apiUrl, clientId, clientSecret, baseUrl: BASE_URL, passport, findUserByAlias }));
    return;
  }
  if (variant === 'eoc') {
    app.use(
      auth({
        issuerBaseURL: issuer,
        baseURL: BASE_URL,
        clientID: clientId,
        clientSecret,
        // BindID takes client_secret_post only (the emulator likewise); express-openid-connect's default is basic.
        clientAuthMethod: 'client_secret_post',
        secret: 'bench-eoc-cookie-secret-of-32-characters',
        authRequired: false,
        auth0Logout: false,
        idpLogout: false,
        routes: { login: LOGIN, callback: CALLBACK, logout: false },
        authorizationParams: { response_type: 'code', scope: SCOPE },
        afterCallback: (_req, _res, appSession) => {
          const user = findUserByAlias(claimsOf(appSession.id_token).bindid_alias);
          if (!user) throw new Error('no user for this alias');
          return { ...appSession, userId: user.id };
        },
      }),
    );
    // The app reads its user from express-openid-connect's session, as it reads passport's from req.user.
    app.use((req, _res, next) => {
      const userId = (req as Request & { appSession?: { userId?: number } }).appSession?.userId;
      if (userId !== undefined) req.user = { id: userId, username: `u${userId}` };
      next();
    });
    return;
  }
  if (variant === 'openid-client') {
    const config = await oidc.discovery(new URL(issuer), clientId, clientSecret);
    const verify: VerifyFunction = (tokens, verified) => {
      const user = findUserByAlias(tokens.claims()?.bindid_alias);
      verified(null, user ?? false);
    };
    passport.use('oidc', new OpenIdClientStrategy({ config, scope: SCOPE, callbackURL: `${BASE_URL}${CALLBACK}` }, verify));
  } else {
    const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    passport.use(
      'oidc',
      new PassportOidcStrategy(
        {
          issuer,
          authorizationURL: metadata.authorization_endpoint as string,
          tokenURL: metadata.token_endpoint as string,
          userInfoURL: metadata.userinfo_endpoint as string,
          clientID: clientId,
          clientSecret,
          callbackURL: `${BASE_URL}${CALLBACK}`,
          scope: ['email'],
          nonce: 'true',
          skipUserProfile: true,
        },
        (_issuer: string, _profile: unknown, _context: object, idToken: string | object, verified: (err: Error | null, user?: Express.User) => void) => {
          const user = typeof idToken === 'string' ? findUserByAlias(claimsOf(idToken).bindid_alias) : null;
          verified(null, user ?? undefined);
        },
      ),
    );
  }
  app.get(LOGIN, passport.authenticate('oidc'));
  app.get(CALLBACK, passport.authenticate('oidc', { successRedirect: '/', failureRedirect: '/signin-failed' }));
}

await mountVariant();

app.get('/', (req, res) => {
  const user = req.user as BenchUser | undefined;
  res.send(user ? `<p>Hello ${user.username}</p>` : '<p>Hello, guest</p>');
});

let reported = 0;
app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
  const status = isBindIdError(err) ? err.status : 500;
  // Failed sign-ins would make the figures meaningless: say so (the message only, never a token).
  if (reported++ < 5) process.stderr.write(`signin app ${variant}: ${err instanceof Error ? err.message : 'error'}\n`);
  res.status(status).send(isBindIdError(err) ? err.code : 'error');
});

const server = app.listen(0, '127.0.0.1', () => {
  startCounting();
  serve(
    { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, baseUrl: BASE_URL, variant },
    {},
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
});
