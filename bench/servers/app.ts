/**
 * The Express app under test, started by bench/run.ts in its own process. One app, three variants
 * (`BENCH_VARIANT`):
 *
 * - `plain`:    express-session (memory store) + passport session + `GET /`. The app without the library.
 * - `library`:  the same, with express-bindid mounted: `bindIdRouter` (confirm at `POST /bindid/confirm`)
 *               and the lower-level `sendAuthenticationPerformed` middleware at `POST /mw/confirm`.
 * - `baseline`: the same as `plain`, with the hand-written confirm route of BindID's public samples at
 *               `POST /baseline/confirm` (HMAC + `axios.post(apiUrl + '/session-feedback', ...)`, no
 *               retries, no deadline), in two forms: `/baseline/confirm` gives axios a `new http.Agent()`
 *               (no keep-alive: the default of Node ≤ 18, which the samples were written for), and
 *               `/baseline/confirm-default-agent` leaves axios' defaults alone (Node ≥ 19's global
 *               agent keeps connections alive).
 *
 * Every variant does the same work around the confirmation: the pending login comes from the same
 * bench seeding route, the password check is the same cheap stub (no hashing), and the user is
 * signed in with `req.login` (session regenerated) before a 303 to `/`.
 *
 * BENCH-ONLY: everything under `/__bench/` exists only in this benchmark, never in `src/`.
 *
 * @module
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  bindIdRouter,
  createLocalStrategy,
  isBindIdError,
  SessionFeedbackClient,
  sendAuthenticationPerformed,
  storePendingLogin,
} from 'express-bindid';
import session from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { serve, startCounting } from '../lib/rpc.js';
import type { MintedLogin } from '../lib/tokens.js';

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
const variant = env('BENCH_VARIANT');
if (!['plain', 'library', 'baseline'].includes(variant)) throw new Error(`unknown BENCH_VARIANT ${variant}`);
const apiUrl = env('BENCH_API_URL');
const clientSecret = env('BENCH_CLIENT_SECRET');
/** The app's public origin as configured (the Origin header of confirm POSTs must match it). */
export const BASE_URL = 'http://localhost:3000';

/** The stub password check: user `u<n>` with password `pw` is user n. Nothing is hashed. */
function checkPassword(username: string, password: string): BenchUser | false {
  if (password !== 'pw' || !/^u\d{1,6}$/.test(username)) return false;
  return { id: Number(username.slice(1)), username };
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

const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

if (variant === 'library') {
  const timeoutMs = Number(env('BENCH_DEADLINE_MS'));
  // Without the circuit breaker every failed confirmation waits for BindID, up to the deadline: the
  // case the "BindID down" targets are about. With it (the default), a known outage fails at once.
  const client = new SessionFeedbackClient({ clientSecret, apiUrl, timeoutMs, circuitBreaker: false });
  const withBreaker = new SessionFeedbackClient({ clientSecret, apiUrl, timeoutMs });
  passport.use(createLocalStrategy<BenchUser>({ verify: checkPassword }));
  const routerOptions = {
    issuer: env('BENCH_ISSUER'),
    clientId: env('BENCH_CLIENT_ID'),
    clientSecret,
    baseUrl: BASE_URL,
    passport,
    findUserByAlias: () => null,
  };
  app.use(bindIdRouter<BenchUser>({ ...routerOptions, client }));
  // The same router with the default circuit breaker, for scenario 3 only: mounted under /cb, so that
  // other requests (the pass-through scenario's) never reach it; Express only matches the prefix.
  app.use('/cb', bindIdRouter<BenchUser>({ ...routerOptions, client: withBreaker }));
  app.post(
    '/mw/confirm',
    form,
    passport.authenticate('bindid-local', { session: false }),
    sendAuthenticationPerformed<BenchUser>({ client }),
    (_req, res) => {
      res.redirect(303, '/');
    },
  );
}

if (variant === 'baseline') {
  passport.use('local', new LocalStrategy((username, password, done) => done(null, checkPassword(username, password))));
  // keepAlive: false, as Node ≤ 18's global agents
  const noKeepAlive = { httpAgent: new http.Agent(), httpsAgent: new https.Agent() };
  const handwritten = (agents: typeof noKeepAlive | undefined) => (req: Request, res: Response, next: NextFunction): void => {
    const pending = req.session.bindid?.pending;
    if (!pending || pending.expiresAt <= Date.now()) {
      res.status(400).send('No pending BindID login.');
      return;
    }
    const user = req.user as BenchUser;
    const hmac = createHmac('sha256', clientSecret).update(pending.accessToken).digest('base64');
    axios
      .post(
        `${apiUrl}/session-feedback`,
        {
          subject_session_at: pending.accessToken,
          reports: [{ type: 'authentication_performed', alias: String(user.id), time: Math.floor(Date.now() / 1000) }],
        },
        {
          headers: { Authorization: `BindIdBackend AccessToken ${pending.accessToken}; ${hmac}` },
          ...agents,
        },
      )
      .then(() => {
        delete req.session.bindid?.pending;
        req.login(user, (err) => (err ? next(err) : res.redirect(303, '/')));
      }, next);
  };
  const check = passport.authenticate('local', { session: false });
  app.post('/baseline/confirm', form, check, handwritten(noKeepAlive));
  app.post('/baseline/confirm-default-agent', form, check, handwritten(undefined));
}

app.get('/', (req, res) => {
  const user = req.user as BenchUser | undefined;
  res.send(user ? `<p>Hello ${user.username}</p>` : '<p>Hello, guest</p>');
});
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});

// --- BENCH-ONLY routes --------------------------------------------------------------------------
let pool: MintedLogin[] = [];
/** How many sessions may hold each token of the pool (see `setPool`). */
let sessionsPerToken = 1;
/** Where this process's user ids start: ids (aliases) must differ between processes, whose BindID users differ. */
const USER_ID_BASE = Number(process.env.BENCH_USER_BASE ?? 0);
let next = 0;
const bench = express.Router();
/**
 * A fresh session holding a pending BindID login, as the BindID callback leaves it; answers who
 * confirms it. Each pool entry goes to at most `sessionsPerToken` sessions, then the pool is used
 * up (the runner mints a new one before each run): the attempt guard counts attempts per token.
 */
bench.get('/seed', (req, res, nextFn) => {
  const entry = pool[Math.floor(next / sessionsPerToken)];
  if (!entry) return nextFn(new Error('the token pool is used up: call setPool first'));
  next++;
  // A pending login is a new BindID user's, whose ID token has no alias: once an earlier run confirmed this identity,
  // BindID's token carries one, and the same alias again is a re-link that sends nothing (issue 24), no confirmation.
  const { bindid_alias: _alias, ...claims } = entry.claims;
  // The app's base URL: plain-http loopback, where the pending login is bound to the session alone (no __Host- cookie).
  storePendingLogin(req, { accessToken: entry.accessToken, expiresIn: 3600, claims }, { baseUrl: BASE_URL });
  // The user who confirms it: one per BindID identity (BindID refuses an alias held by another sub).
  req.session.save((err) => (err ? nextFn(err) : res.json({ username: `u${USER_ID_BASE + entry.user}` })));
});
/** Sign user 1 in (the logged-in case of the pass-through scenario). */
bench.post('/login', (req, res, nextFn) => {
  req.login({ id: 1, username: 'u1' }, (err) => (err ? nextFn(err) : res.status(204).end()));
});
app.use('/__bench', bench);

let reported = 0;
app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
  const status = isBindIdError(err) ? err.status : 500;
  // Unexpected errors would make the figures meaningless: say so (the message only: an AxiosError's
  // config holds the Authorization header).
  if (status === 500 && reported++ < 5) process.stderr.write(`app ${variant}: ${err instanceof Error ? err.message : 'error'}\n`);
  res.status(status).send(isBindIdError(err) ? err.code : 'error');
});

const server = app.listen(0, '127.0.0.1', () => {
  startCounting();
  serve(
    { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, baseUrl: BASE_URL, variant },
    {
      setPool: (arg) => {
        ({ logins: pool, sessionsPerToken } = arg as { logins: MintedLogin[]; sessionsPerToken: number });
        next = 0;
        return pool.length;
      },
    },
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
});
