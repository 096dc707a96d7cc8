/**
 * Checklist H, the logs (reliability §1.6, §3.7; cases 61 and 67): every flow, successful or not,
 * run with the library's debug output on and the console captured, prints no access token, client
 * secret, HMAC, password or session id; and values that come from users cannot forge log lines.
 *
 * The requirement is about this library's logs, the `debug` namespaces `express-bindid:*`. Other
 * libraries log under their own namespaces, and some print session ids (express-session does, under
 * `express-session`): the last test of H61 shows it, so that nobody turns on `DEBUG=*` in production.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import session from 'express-session';
import { SessionFeedbackClient } from '../../src/index.js';
import { printable } from '../../src/internal/log.js';
import { TransactionCookie } from '../../src/oidc/transaction-cookie.js';
import {
  APP_ORIGIN,
  appPath,
  authorizeAt,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  freshUser,
  linkAs,
  startLogin,
  submitConfirm,
} from '../helpers/flow.js';
import { until, useFakeClock } from '../helpers/fake-clock.js';
import { hmac, SECRET } from '../helpers/feedback.js';
import { captureConsole, captureDebug, leaksIn, leaksInTexts, type Needles } from '../helpers/leaks.js';
import { recordOutbound } from '../helpers/outbound.js';
import { transactionCookieOf } from '../helpers/transaction-cookie.js';

/** express-session's memory store, noting every session id it ever stored. */
class RecordingStore extends session.MemoryStore {
  readonly ids = new Set<string>();
  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    this.ids.add(sid);
    super.set(sid, data, callback);
  }
}

// Jest's fake clock (test/helpers/fake-clock.ts): the router's 400 ms deadline passes only when a
// test moves time (BindID hanging), never because the machine is slow; retries wait no backoff.
useFakeClock();

/**
 * Every sealed transaction cookie the app set (the sign-in in flight lives there since the login
 * start writes no session): the sealed value and the PKCE verifier inside it are secrets too.
 */
const transactions = new Set<string>();
const recordTransactions: RequestHandler = (_req, res, next) => {
  res.on('finish', () => {
    const set = transactionCookieOf({ headers: { 'set-cookie': res.getHeader('set-cookie') } });
    if (set !== undefined) transactions.add(set.slice(set.indexOf('=') + 1));
  });
  next();
};

const store = new RecordingStore();
/** Errors that reached the app's error handler, and errors handed to the hooks. */
const errors: unknown[] = [];
let flow: Flow;
beforeAll(async () => {
  flow = await createFlow({
    store,
    errors,
    configure: (app) => app.use(recordTransactions),
    emulator: { clientSecret: SECRET },
    router: (emulator) => ({
      clientSecret: SECRET,
      client: new SessionFeedbackClient({
        clientSecret: SECRET,
        apiUrl: emulator.apiUrl,
        timeoutMs: 400,
        retries: 1,
        backoff: { baseMs: 1, maxMs: 5 },
        random: () => 0,
        circuitBreaker: false,
      }),
      maxAttempts: 2,
      onFeedbackError: (e) => void errors.push(e.error),
      onLinkFailed: (e) => void (e.error && errors.push(e.error)),
    }),
  });
});
afterAll(() => flow.close());
beforeEach(() => {
  flow.emulator.clearFaults();
});

let discovered = false;

/**
 * Every flow of the router once: discovery down, success, wrong then right password, too many
 * attempts, CSRF failures, BindID answering 400/401/500 or hanging, a returning user, an alias of
 * nobody, each callback failure, and "not me". Returns every password typed.
 */
async function everyFlow(): Promise<string[]> {
  const typed: string[] = [];
  const user = () => {
    const u = freshUser();
    typed.push(u.password);
    return u;
  };
  const wrong = () => {
    const password = `wrong-${randomBytes(8).toString('hex')}`;
    typed.push(password);
    return password;
  };
  const pendingSignIn = async () => {
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    return { agent, csrf: (await confirmPage(agent)).csrf };
  };
  const { emulator } = flow;

  // BindID's discovery is down at the first sign-in of the router (the router caches it afterwards).
  if (!discovered) {
    emulator.setFault('discovery', { status: 500, times: 1 });
    expect((await flow.agent().get('/login/bindid')).status).toBe(503);
    discovered = true;
  }

  // Success, with a returnTo.
  const u1 = user();
  expect((await linkAs(flow.agent(), 'new', u1.username, u1.password, '/account')).status).toBe(303);

  // A wrong password, then the right one.
  {
    const { agent, csrf } = await pendingSignIn();
    const u = user();
    expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: wrong() })).status).toBe(401);
    expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })).status).toBe(303);
  }

  // Too many attempts (maxAttempts: 2): the pending login is destroyed.
  {
    const { agent, csrf } = await pendingSignIn();
    const u = user();
    expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: wrong() })).status).toBe(401);
    expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: wrong() })).status).toBe(400);
  }

  // CSRF: no token; a cross-site POST with the token.
  {
    const { agent, csrf } = await pendingSignIn();
    const u = user();
    expect((await submitConfirm(agent, { username: u.username, password: u.password })).status).toBe(403);
    const crossSite = { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' };
    expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password }, crossSite)).status).toBe(403);
  }

  // BindID answers 400, 401, 500 (and 500 again on the retry), or hangs past the deadline.
  for (const [fault, status] of [
    [{ status: 400, times: 1 }, 502],
    [{ status: 401, times: 1 }, 502],
    [{ status: 500, times: 2 }, 503],
    [{ hang: true, times: 2 }, 503],
  ] as const) {
    const { agent, csrf } = await pendingSignIn();
    const u = user();
    emulator.setFault('session-feedback', fault);
    const held = emulator.reports().length + 1;
    const answer = Promise.resolve(submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password }));
    if ('hang' in fault) {
      await until(() => emulator.reports().length === held, 'the report held by BindID');
      await jest.advanceTimersByTimeAsync(400);
    }
    expect((await answer).status).toBe(status);
    emulator.clearFaults();
  }

  // A returning user (alias known), and an alias that maps to nobody.
  const bob = emulator.subOf('bob') ?? '';
  emulator.setAlias(bob, '2');
  expect((await bindIdSignIn(flow.agent(), 'bob', '/orders')).headers.location).toBe('/orders');
  emulator.setAlias(bob, '999');
  expect((await bindIdSignIn(flow.agent(), 'bob')).status).toBe(403);
  emulator.setAlias(bob, undefined);

  // Callback failures: another browser's callback, a forged state, cancelled at BindID, token endpoint down.
  const callback = await authorizeAt(await startLogin(flow.agent()), 'new');
  expect((await flow.agent().get(appPath(callback))).status).toBe(400);
  {
    const agent = flow.agent();
    const forged = new URL(await authorizeAt(await startLogin(agent), 'new'));
    forged.searchParams.set('state', 'forged');
    expect((await agent.get(appPath(forged.href))).status).toBe(400);
  }
  expect((await bindIdSignIn(flow.agent(), 'cancel')).status).toBe(403);
  {
    const agent = flow.agent();
    const back = await authorizeAt(await startLogin(agent), 'new');
    emulator.setFault('token', { status: 503, times: 1 });
    expect((await agent.get(appPath(back))).status).toBe(503);
  }

  // "Not me".
  {
    const { agent, csrf } = await pendingSignIn();
    const res = await agent.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: csrf });
    expect(res.status).toBe(303);
  }
  return typed;
}

/**
 * The secrets of a run, named: the client secret, each access token and its HMAC, each password, each
 * session id, each sealed transaction cookie and the PKCE verifier sealed in it.
 */
function needlesOf(tokens: readonly string[], passwords: readonly string[], sessionIds: Iterable<string>, sealed: Iterable<string>): Needles {
  const needles: Needles = { 'client secret': SECRET };
  tokens.forEach((token, i) => {
    needles[`access token #${i + 1}`] = token;
    needles[`HMAC of access token #${i + 1}`] = hmac(SECRET, token);
  });
  passwords.forEach((password, i) => {
    needles[`password #${i + 1}`] = password;
  });
  [...sessionIds].forEach((id, i) => {
    needles[`session id #${i + 1}`] = id;
  });
  const opener = new TransactionCookie(SECRET, false);
  // Opened at the app's time: its clock is the `Date.now` it took when it was built, before this
  // file's fake clock was installed (real time), so the transactions' `createdAt` are real time.
  const now = jest.getRealSystemTime();
  [...sealed].forEach((value, i) => {
    needles[`transaction cookie #${i + 1}`] = value;
    const verifier = opener.open(value, now)?.codeVerifier;
    if (verifier === undefined) throw new Error(`transaction cookie #${i + 1} does not open: its PKCE verifier cannot be looked for`);
    needles[`PKCE verifier #${i + 1}`] = verifier;
  });
  return needles;
}

/** Run every flow under `namespaces`; return what was printed and the secrets to look for. */
async function runCaptured(namespaces: string) {
  errors.length = 0;
  store.ids.clear();
  transactions.clear();
  const debug = captureDebug(namespaces);
  const printed = captureConsole();
  const outbound = recordOutbound();
  let passwords: string[];
  try {
    passwords = await everyFlow();
  } finally {
    outbound.stop();
    printed.stop();
    debug.stop();
  }
  // The needles are real: tokens were issued, sessions stored, sign-ins sealed in flight, passwords typed.
  // A login start writes no session (its transaction is a sealed cookie): sessions are those of the
  // callbacks and confirmations, the login starts are the transaction cookies.
  expect(outbound.issuedTokens.length).toBeGreaterThanOrEqual(10);
  expect(store.ids.size).toBeGreaterThanOrEqual(10);
  expect(transactions.size).toBeGreaterThanOrEqual(12);
  return { debug, printed, needles: needlesOf(outbound.issuedTokens, passwords, store.ids, transactions) };
}

describe('H secrets and token leakage: logs', () => {
  it('H61 every flow (success and each failure) with DEBUG=express-bindid:* and the console captured: no token, secret, HMAC, password or session id printed', async () => {
    const { debug, printed, needles } = await runCaptured('express-bindid:*');
    expect(leaksIn(undefined, debug.lines, needles)).toEqual([]);
    expect(leaksInTexts(printed.lines.map((line, i) => [`printed line ${i + 1}`, line] as const), needles)).toEqual([]);
    for (const err of errors) expect(leaksIn(err, [], needles)).toEqual([]);
    // The log check above checked something: each kind of event was logged.
    const text = debug.lines.join('\n');
    for (const event of ['discovery failed', 'accepted', 'ERR_BINDID_REJECTED', 'ERR_BINDID_UNAUTHORIZED', 'HTTP 500', 'timed out', 'linked BindID sub', 'maps to no user', 'ERR_BINDID_CSRF', 'ERR_BINDID_LOGIN_STATE_MISSING', 'ERR_BINDID_CALLBACK_INVALID', 'ERR_BINDID_ACCESS_DENIED']) {
      expect({ event, logged: text.includes(event) }).toEqual({ event, logged: true });
    }
    expect(errors.length).toBeGreaterThanOrEqual(8);
  });

  it('H61 with DEBUG=* (every library that logs through the same debug module): still nothing secret', async () => {
    const { debug, needles } = await runCaptured('*');
    const ours = debug.entries.filter((e) => e.namespace.startsWith('express-bindid:'));
    const theirs = debug.entries.filter((e) => !e.namespace.startsWith('express-bindid:'));
    expect(ours.length).toBeGreaterThan(10);
    expect(theirs.length).toBeGreaterThan(10); // express's router and body parsers logged too
    expect(leaksIn(undefined, ours.map((e) => e.line), needles)).toEqual([]);
    expect(leaksIn(undefined, theirs.map((e) => e.line), needles)).toEqual([]);
  });

  it('H61 (other libraries, documented) express-session prints session ids under its own `express-session` namespace', async () => {
    // express-session has its own copy of `debug` (2.x), which reads DEBUG when the module loads:
    // load a private copy of both with that namespace on, and capture what it prints.
    const lines: string[] = [];
    let isolatedSession: typeof session | undefined;
    jest.isolateModules(() => {
      const debug2 = require('express-session/node_modules/debug') as { enable(ns: string): void; log: (...a: unknown[]) => void };
      debug2.enable('express-session');
      debug2.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
      isolatedSession = require('express-session') as typeof session;
    });
    const app = express();
    app.use((isolatedSession as typeof session)({ secret: 'demo', resave: false, saveUninitialized: false }));
    app.get('/', (req, res) => {
      (req.session as unknown as { seen: boolean }).seen = true;
      res.end('ok');
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const cookie = res.headers.get('set-cookie') ?? '';
      const sid = decodeURIComponent(cookie.split(';')[0]?.split('=')[1] ?? '').slice(2).split('.')[0] ?? '';
      expect(sid.length).toBeGreaterThan(10);
      // What DEBUG=express-session (or DEBUG=*) would print in production: the session id itself.
      expect(leaksIn(undefined, lines, { 'session id': sid })).not.toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('H67 values from users cannot forge log lines', () => {
    it('H67 printable() escapes CR, LF, the other C0/C1 controls and the Unicode line separators, and cuts long values', () => {
      expect(printable('alice\r\nexpress-bindid:login forged')).toBe('alice\\u000d\\u000aexpress-bindid:login forged');
      expect(printable('a\u2028b\u2029c\u0085d\u001b[31me\u0000')).toBe('a\\u2028b\\u2029c\\u0085d\\u001b[31me\\u0000');
      expect(printable('x'.repeat(300))).toBe(`${'x'.repeat(200)}…`);
      expect(printable('x'.repeat(200))).toBe('x'.repeat(200)); // exactly the limit: whole, no ellipsis
      expect(printable(42)).toBe('42');
    });

    it('H67 an alias with a line separator, from the ID token, is logged escaped on one line', async () => {
      const bob = flow.emulator.subOf('bob') ?? '';
      flow.emulator.setAlias(bob, 'nobody\u2028express-bindid:login alias 1 signed in');
      const debug = captureDebug();
      try {
        expect((await bindIdSignIn(flow.agent(), 'bob')).status).toBe(403);
      } finally {
        debug.stop();
        flow.emulator.setAlias(bob, undefined);
      }
      const line = debug.lines.find((l) => l.includes('maps to no user'));
      expect(line).toContain('nobody\\u2028express-bindid:login alias 1 signed in');
      expect(debug.lines.filter((l) => /[\r\n\u2028\u2029]/.test(l))).toEqual([]);
    });

    it('H67 a username and a returnTo with CR LF: never logged at all, and every line stays one line', async () => {
      const forged = 'express-bindid:confirm linked BindID sub forged';
      const agent = flow.agent();
      const debug = captureDebug();
      try {
        const back = await bindIdSignIn(agent, 'new', `/account\r\n${forged}`);
        expect(back.headers.location).toBe('/bindid/confirm');
        const { csrf } = await confirmPage(agent);
        const res = await submitConfirm(agent, { _csrf: csrf, username: `alice\r\n${forged}`, password: 'nope' });
        expect(res.status).toBe(401);
        const u = freshUser();
        expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })).headers.location).toBe('/');
      } finally {
        debug.stop();
      }
      expect(debug.lines.length).toBeGreaterThan(0);
      expect(debug.lines.filter((l) => l.includes('forged'))).toEqual([]);
      expect(debug.lines.filter((l) => /[\r\n\u2028\u2029]/.test(l))).toEqual([]);
    });
  });
});
