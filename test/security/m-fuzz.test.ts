/**
 * Checklist M (reliability §5 "Fuzzing with fast-check"; cases 116–119): property and fuzz tests of
 * the header builder, the returnTo sanitiser, the confirm form and the alias, on the real code paths
 * (a fake BindID API, the router, the middleware). M120 (random fault sequences against the retry
 * policy) is in test/feedback/client-properties.test.ts.
 *
 * Every property runs a fixed number of inputs from a fixed seed, never cut short by a time limit (the
 * same checks on a slow machine as on a fast one), and is replayable (test/helpers/fuzz.ts): on a
 * failure fast-check prints the seed and the path of the smallest counterexample;
 * `FC_SEED=<seed> FC_PATH=<path>` replays it.
 */
import fc from 'fast-check';
import express, { type Request } from 'express';
import {
  ErrorCode,
  isBindIdError,
  sanitizeReturnTo,
  SessionFeedbackClient,
  storePendingLogin,
} from '../../src/index.js';
import { assertAlias } from '../../src/feedback/assert-alias.js';
import { FakeBindId } from '../helpers/fake-bindid.js';
import { hmac, SECRET } from '../helpers/feedback.js';
import { APP_ORIGIN, bindIdSignIn, confirmPage, createFlow, type Flow, mintLogin } from '../helpers/flow.js';
import { fuzzRuns } from '../helpers/fuzz.js';
import { transactionOf } from '../helpers/transaction-cookie.js';
import { createMiddlewareApp } from '../helpers/middleware-app.js';

const DEFAULT = '/home';
const verifyCalls: string[] = [];
let flow: Flow;
beforeAll(async () => {
  flow = await createFlow({
    verifyCalls,
    // M119 reports the same alias from two BindID users on purpose (its stability check).
    emulator: { clientSecret: SECRET, aliasConflict: 'allow' },
    router: {
      clientSecret: SECRET,
      defaultReturnTo: DEFAULT,
      maxAttempts: 100,
      attemptLimits: { perAccount: 10_000, perIp: 1_000_000 },
    },
    // The app's own body parsers, before the router: nested objects (qs) and JSON reach the confirm POST.
    beforeRouter: (app) => {
      app.use(express.urlencoded({ extended: true }));
      app.use(express.json());
    },
  });
});
afterAll(() => flow.close());

describe('M property-based and fuzz tests', () => {
  describe('M116 random bytes as the access token', () => {
    const b64token = fc
      .tuple(
        fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/'.split('')), minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 2 }),
      )
      .map(([body, pad]) => body + '='.repeat(pad));
    const anyToken = fc.oneof(
      { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')), weight: 3 },
      { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('utf8')), weight: 3 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 64 }), weight: 2 },
      { arbitrary: b64token, weight: 3 },
      { arbitrary: fc.tuple(b64token, fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), b64token).map((p) => p.join('')), weight: 2 },
      { arbitrary: fc.integer({ min: 4090, max: 4100 }).map((n) => 'a'.repeat(n)), weight: 1 },
      { arbitrary: fc.anything(), weight: 1 },
    );

    function parse(header: string | undefined): { token: string; mac: string } | undefined {
      const match = /^BindIdBackend AccessToken ([A-Za-z0-9\-._~+/]+=*); ([A-Za-z0-9+/]+=*)$/.exec(header ?? '');
      return match ? { token: match[1] as string, mac: match[2] as string } : undefined;
    }

    /** Whether the session gate (the router's callback, an own callback) keeps this token. */
    function kept(token: unknown): boolean {
      const req = { session: { regenerate: () => {}, save: () => {} } } as unknown as Request;
      try {
        storePendingLogin(req, { accessToken: token as string, expiresIn: 3600, claims: { sub: 's' } }, { baseUrl: 'http://127.0.0.1' });
        return true;
      } catch (err) {
        if (!isBindIdError(err, ErrorCode.INVALID_ARGUMENT)) throw err;
        return false;
      }
    }

    it('M116 either exactly one request whose header parses back to the token (body the same, HMAC verifies), or a coded error and no request; the session gate agrees', async () => {
      const api = await FakeBindId.start();
      const client = new SessionFeedbackClient({ clientSecret: SECRET, apiUrl: api.url, retries: 0, circuitBreaker: false });
      let sent = 0;
      let refused = 0;
      try {
        await fc.assert(
          fc.asyncProperty(anyToken, async (token) => {
            api.reset();
            let error: unknown;
            try {
              await client.aliasDeleted({ accessToken: token as string });
            } catch (err) {
              error = err;
            }
            if (error !== undefined) {
              expect(isBindIdError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
              expect(api.requests).toHaveLength(0);
              expect(kept(token)).toBe(false);
              refused += 1;
              return;
            }
            expect(api.requests).toHaveLength(1);
            const header = parse(api.requests[0]?.headers.authorization);
            const body = JSON.parse(api.requests[0]?.body.toString('utf8') ?? '{}') as { subject_session_at?: unknown };
            expect(header !== undefined && header.token === token && body.subject_session_at === token).toBe(true);
            expect(header?.mac === hmac(SECRET, token as string)).toBe(true);
            expect(kept(token)).toBe(true);
            sent += 1;
          }),
          fuzzRuns(300),
        );
      } finally {
        client.close();
        await api.close();
      }
      // Both branches were exercised.
      expect(sent).toBeGreaterThan(10);
      expect(refused).toBeGreaterThan(10);
    });
  });

  describe('M117 random strings as returnTo', () => {
    const pieces = fc.constantFrom(
      '/', '//', '\\', '/\\', '\t', '\n', '\r', ' ', '\u0000', '\u200b', '\u2028', '%', '%2F', '%5C', '%0a', '%09',
      '.', '..', '@', ':', '?', '#', 'evil.example', 'localhost:4000', 'javascript:', 'data:', 'http:', 'https://', 'a', 'é',
    );
    const returnTo = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(pieces, { maxLength: 8 }).map((p) => p.join('')),
      fc.array(pieces, { maxLength: 8 }).map((p) => `/${p.join('')}`),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.webPath(),
    );

    /** A path a browser keeps on the app's origin, from any page of the app. */
    function onOrigin(path: string): boolean {
      return (
        path.startsWith('/') &&
        !path.startsWith('//') &&
        !/[\\\s\p{Cc}\p{Cf}]/u.test(path) &&
        [`${APP_ORIGIN}/`, `${APP_ORIGIN}/bindid/confirm`, `${APP_ORIGIN}/a/b/c/`].every((page) => new URL(path, page).origin === APP_ORIGIN)
      );
    }

    it('M117 sanitizeReturnTo: always the default or a same-origin path, and sanitising again changes nothing', () => {
      fc.assert(
        fc.property(returnTo, (value) => {
          const result = sanitizeReturnTo(value, APP_ORIGIN, DEFAULT);
          expect(result === DEFAULT || onOrigin(result)).toBe(true);
          expect(sanitizeReturnTo(result, APP_ORIGIN, DEFAULT)).toBe(result);
        }),
        fuzzRuns(3000),
      );
    });

    it('M117 through the router: the returnTo kept at login start is what the sanitiser gives, on the origin', async () => {
      await fc.assert(
        fc.asyncProperty(returnTo, async (value) => {
          const agent = flow.agent();
          const res = await agent.get(`/login/bindid?${new URLSearchParams({ returnTo: value })}`);
          expect(res.status).toBe(303);
          const kept = transactionOf(agent, flow.emulator.clientSecret)?.returnTo ?? '';
          expect(kept).toBe(sanitizeReturnTo(value.toWellFormed(), APP_ORIGIN, DEFAULT));
          expect(kept === DEFAULT || onOrigin(kept)).toBe(true);
        }),
        fuzzRuns(60),
      );
    });
  });

  describe('M118 random confirm-form bodies', () => {
    const keys = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          'username', 'password', '_csrf', 'returnTo', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
          'username[]', 'password[]', '_csrf[]', 'username[a]', 'password[length]', 'username[0]', 'username[__proto__]',
          '__proto__[polluted]', 'constructor[prototype][polluted]', 'username[constructor][prototype][polluted]',
          'password[__proto__][polluted]', '__proto__[username]', 'username[a][b][c][d][e][f]',
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    );
    const values = fc.oneof(
      fc.constantFrom('alice', 'polluted', '', 'true', '1e309', '[object Object]', 'null'),
      fc.string({ maxLength: 24 }),
      fc.string({ unit: 'binary', maxLength: 24 }),
    );
    const jsonValues = fc.oneof(values, fc.jsonValue({ maxDepth: 3 }), fc.constant({ polluted: 'yes' }));
    /** Mostly the plain field, sometimes a bracketed (array, object) variant of it. */
    const field = (name: string, ...variants: string[]) =>
      fc.oneof({ weight: 4, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: fc.constantFrom(...variants) });
    /** A username and a password field (plain, array or nested), then random extra fields. */
    const pairs = <T>(v: fc.Arbitrary<T>) =>
      fc
        .tuple(
          fc.tuple(field('username', 'username[]', 'username[a]', 'username[__proto__]', 'username[0]'), v),
          fc.tuple(field('password', 'password[]', 'password[a]', 'password[constructor]'), v),
          fc.array(fc.tuple(keys, v), { maxLength: 5 }),
        )
        .map(([username, password, extra]) => [username, password, ...extra]);
    /** Whether the valid CSRF token goes along (mostly: the password check must be reached). */
    const withToken = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

    const prototypeNames = () =>
      [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join());

    let before: string[];
    beforeAll(() => {
      before = prototypeNames();
    });

    /** A browser at the confirm page, its CSRF token, and a check that nothing was polluted or sent. */
    async function confirmContext() {
      const agent = flow.agent();
      await bindIdSignIn(agent, 'new');
      const { csrf } = await confirmPage(agent);
      flow.emulator.clearReports();
      verifyCalls.length = 0;
      return { agent, csrf };
    }

    /** How often each status came back: both the CSRF check and the password check must be reached. */
    const statuses = new Map<number, number>();
    function expectSafe(status: number): void {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      // A generic failure page or refusal: 401 (password check), 403 (CSRF), 400 (expired); never a 5xx.
      expect([400, 401, 403]).toContain(status);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).username).toBeUndefined();
      expect(prototypeNames()).toEqual(before);
      expect(verifyCalls.every((u) => typeof u === 'string')).toBe(true);
      expect(flow.emulator.reports()).toEqual([]);
    }

    it('M118 urlencoded bodies (parsed with qs, extended: true): a generic failure, no 500, no prototype pollution, verify sees strings only', async () => {
      const { agent, csrf } = await confirmContext();
      await fc.assert(
        fc.asyncProperty(pairs(values), withToken, async (fields, token) => {
          const all = token ? [['_csrf', csrf] as [string, string], ...fields] : fields;
          const body = all.map(([k, v]) => `${encodeURIComponent(k.toWellFormed())}=${encodeURIComponent(v.toWellFormed())}`).join('&');
          const res = await agent.post('/bindid/confirm').type('form').set('Origin', APP_ORIGIN).send(body);
          expectSafe(res.status);
        }),
        fuzzRuns(90),
      );
      expect(statuses.get(401)).toBeGreaterThan(5);
      expect(statuses.get(403)).toBeGreaterThan(5);
      // Most random bodies are refused before the password check (a field sent twice, as an array or
      // an object, or empty: "missing credentials"); some must still reach it.
      expect(verifyCalls.length).toBeGreaterThan(0);
    });

    it('M118 JSON bodies (own __proto__ and constructor keys, nested values): a generic failure, no 500, no prototype pollution', async () => {
      const { agent, csrf } = await confirmContext();
      await fc.assert(
        fc.asyncProperty(pairs(jsonValues), withToken, async (fields, token) => {
          const all: Array<[string, unknown]> = token ? [['_csrf', csrf], ...fields] : fields;
          const body = `{${all.map(([k, v]) => `${JSON.stringify(k.toWellFormed())}:${JSON.stringify(v)}`).join(',')}}`;
          const res = await agent.post('/bindid/confirm').type('json').set('Origin', APP_ORIGIN).send(body);
          expectSafe(res.status);
        }),
        fuzzRuns(90),
      );
      expect(statuses.get(401)).toBeGreaterThan(5);
      // Most random bodies are refused before the password check (a field sent twice, as an array or
      // an object, or empty: "missing credentials"); some must still reach it.
      expect(verifyCalls.length).toBeGreaterThan(0);
    });
  });

  describe('M119 random user ids → the alias the middleware derives and reports', () => {
    /**
     * Confirm a fresh BindID login as a user with id `id` through `sendAuthenticationPerformed`
     * (default alias) in its own app; return the reported alias, or the error code.
     */
    async function confirmAs(id: unknown): Promise<{ alias?: string; code?: string }> {
      const app = createMiddlewareApp(flow.emulator, {}, (username, password) =>
        username === 'someone' && password === 'pw' ? { id, username } : false,
      );
      const login = await app.seed(await mintLogin(flow.emulator, 'new'));
      const reportsBefore = flow.emulator.reports().length;
      await app.confirm({ username: 'someone', password: 'pw' });
      const error = app.nexts[0];
      const reports = flow.emulator.reports().slice(reportsBefore).filter((r) => r.sub === login.claims.sub);
      if (error !== undefined) {
        expect(reports).toEqual([]); // refused before anything was sent
        return { code: (error as { code?: string }).code ?? 'not a coded error' };
      }
      expect(reports).toHaveLength(1);
      return reports[0]?.alias === undefined ? {} : { alias: reports[0].alias };
    }

    function aliasIsValid(value: string): boolean {
      try {
        assertAlias(value);
        return true;
      } catch {
        return false;
      }
    }

    it.each<[string, fc.Arbitrary<unknown>]>([
      ['integer ids', fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 })],
      ['string ids', fc.string({ unit: fc.oneof(fc.constant('a'), fc.constant(' '), fc.constant('\n'), fc.constant('é'), fc.constant('\ud800'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 300 })],
      ['ids of other types', fc.oneof(fc.double(), fc.constantFrom(null, undefined, true, 2 ** 53, -0), fc.object(), fc.array(fc.integer()))],
    ])('M119 %s: reported as String(id) when that is a valid alias (bounded, no controls), refused before sending otherwise; stable across app restarts; distinct ids, distinct aliases', async (_what, ids) => {
      const aliasOf = new Map<string, string>();
      await fc.assert(
        fc.asyncProperty(ids, async (id) => {
          const first = await confirmAs(id);
          const valid = (typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && id !== '' && aliasIsValid(id));
          if (!valid) {
            expect(first).toEqual({ code: ErrorCode.INVALID_ALIAS });
            return;
          }
          expect(first).toEqual({ alias: String(id) });
          expect(aliasIsValid(first.alias as string)).toBe(true);
          // Stable: another app instance (a restart, a second server) derives the same alias.
          expect(await confirmAs(id)).toEqual(first);
          // Injective: no other id has produced this alias.
          const key = `${typeof id}:${String(id)}`;
          const owner = aliasOf.get(first.alias as string) ?? key;
          expect(owner).toBe(key);
          aliasOf.set(first.alias as string, key);
        }),
        fuzzRuns(15),
      );
    });
  });
});
