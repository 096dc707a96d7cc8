/**
 * The library's own cost per pass-through request, in process (issue 16, point 3): the handler
 * `bindIdRouter` mounts (`app.use(bindIdRouter(...))`) called directly, with the request and
 * response objects of a real `GET /` as they reach it: the pass-through scenario's app (Express 5,
 * express-session with its MemoryStore, `passport.initialize()`, `passport.session()`) serves one
 * real request over loopback, anonymous or with a passport login's cookie, and a middleware in the
 * handler's place keeps that request's `req` and `res` (session loaded, user deserialized, URL parsed
 * by Express's router, as always before an app-level handler).
 *
 * `measure` then times, with `process.hrtime.bigint()`, `calls` calls of the handler and `calls`
 * calls of an empty handler (`(req, res, next) => next()`) on the same objects, alternating the two
 * loops `rounds` times; the library's cost is the difference, per call. Started by
 * bench/scenarios/pass-through.ts under the same flags as the apps.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { bindIdRouter, createLocalStrategy } from 'express-bindid';
import session from 'express-session';
import { Passport } from 'passport';
import { serve } from '../lib/rpc.js';
import { spread } from '../lib/stats.js';

process.setSourceMapsEnabled(false);

const passport = new Passport();
passport.serializeUser((user, done) => done(null, (user as { id: number }).id));
passport.deserializeUser((id: number, done) => done(null, { id, username: `u${id}` }));

const app = express();
app.disable('x-powered-by');
app.use(session({ name: 'bench.sid', secret: 'bench-session-secret', resave: false, saveUninitialized: false, cookie: { httpOnly: true, sameSite: 'lax' } }));
app.use(passport.initialize());
app.use(passport.session());

/** The handler under test, with the options of the pass-through scenario's `library` app (discovery is lazy: no network). */
// The router's confirm step needs the app's password check (never reached by a pass-through request).
passport.use(createLocalStrategy({ verify: () => false }));
const handler: RequestHandler = bindIdRouter({
  issuer: 'https://signin.bindid-sandbox.io',
  apiUrl: 'https://api.bindid-sandbox.io',
  clientId: 'bench-client',
  clientSecret: 'bench-client-secret-that-is-long-enough',
  baseUrl: 'http://localhost:3000',
  passport,
  findUserByAlias: () => null,
});
const empty: RequestHandler = (_req, _res, next) => next();

let captured: { req: Request; res: Response } | undefined;
app.post('/__bench/login', (req, res, next) => {
  req.login({ id: 1, username: 'u1' }, (err) => (err ? next(err) : res.status(204).end()));
});
// In the handler's place: keep the request as it arrives there, then answer as GET / would.
app.use((req: Request, res: Response, next: NextFunction) => {
  captured = { req, res };
  handler(req, res, next);
});
app.get('/', (req, res) => {
  res.send(req.user ? `<p>Hello ${(req.user as { username: string }).username}</p>` : '<p>Hello, guest</p>');
});

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

function send(method: string, path: string, cookie?: string): Promise<{ status: number; cookie?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      'accept-language': 'en-US,en;q=0.9',
      'accept-encoding': 'gzip, deflate, br',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      ...(cookie ? { cookie } : {}),
    };
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => {
        const set = res.headers['set-cookie']?.[0]?.split(';')[0];
        resolve({ status: res.statusCode ?? 0, ...(set ? { cookie: set } : {}), body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A `GET /` as `user`, captured where the handler is mounted. */
async function capture(user: 'anonymous' | 'logged-in'): Promise<{ req: Request; res: Response }> {
  let cookie: string | undefined;
  if (user === 'logged-in') cookie = (await send('POST', '/__bench/login')).cookie;
  captured = undefined;
  const page = await send('GET', '/', cookie);
  const expected = user === 'logged-in' ? 'Hello u1' : 'Hello, guest';
  if (page.status !== 200 || !page.body.includes(expected) || !captured) throw new Error(`GET / as ${user} did not go as expected`);
  return captured;
}

/** ns per call of `fn` over `calls` calls (next must be called synchronously, as it is here). */
function time(fn: RequestHandler, req: Request, res: Response, calls: number): number {
  let nexts = 0;
  const next = (() => {
    nexts += 1;
  }) as NextFunction;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn(req, res, next);
  const ns = Number(process.hrtime.bigint() - t0);
  if (nexts !== calls) throw new Error(`next was called ${nexts} times for ${calls} calls`);
  return ns / calls;
}

serve(
  { url: base },
  {
    measure: async (arg) => {
      const { user, calls, rounds } = arg as { user: 'anonymous' | 'logged-in'; calls: number; rounds: number };
      const { req, res } = await capture(user);
      time(handler, req, res, Math.min(calls, 100_000)); // warm-up: JIT
      time(empty, req, res, Math.min(calls, 100_000));
      const withLib: number[] = [];
      const without: number[] = [];
      const net: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const a = time(handler, req, res, calls);
        const b = time(empty, req, res, calls);
        withLib.push(a);
        without.push(b);
        net.push(a - b);
      }
      return { handler: spread(withLib), empty: spread(without), net: spread(net) };
    },
  },
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);
