/**
 * Checklist B (reliability.md §6): CSRF and cross-site requests. Runs on Express 4 and 5.
 *
 * Policy (src/session/csrf.ts): a confirm or cancel POST needs the session's synchronizer token AND must not
 * look cross-site: `Sec-Fetch-Site` other than `same-origin`/`none` is refused; without it, an
 * `Origin` (or, without that, a `Referer`) of another origin is refused. When a browser sends none of
 * the three, the token alone decides. A refused POST leaves the pending login untouched (it counts no
 * failed attempt), so a forged request cannot burn the victim's sign-in.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { MemoryBindIdStore } from '../../src/index.js';
import {
  type Agent,
  APP_ORIGIN,
  type AtConfirmPage,
  appPath,
  atConfirmPage,
  authorizeAt,
  confirmPage,
  createFlow,
  type Flow,
  sessionCookie,
  startLogin,
  submitConfirm,
  whoami,
} from '../helpers/flow.js';
import { FAKE_CLOCK, until } from '../helpers/fake-clock.js';
import { transactionOf } from '../helpers/transaction-cookie.js';

let flow: Flow;
const verifyCalls: string[] = [];

beforeAll(async () => {
  flow = await createFlow({ verifyCalls });
});
afterAll(() => flow.close());
beforeEach(() => {
  flow.emulator.clearReports();
  verifyCalls.length = 0;
});

/** A browser at the confirm page of a new BindID user, with a fresh local user to confirm as. */
async function atConfirm(): Promise<AtConfirmPage & { agent: Agent }> {
  const agent = flow.agent();
  return { agent, ...(await atConfirmPage(agent)) };
}

/** Nothing happened: no password check, no report, nobody signed in, the pending login still there. */
async function expectUntouched(agent: Agent): Promise<void> {
  expect(verifyCalls).toEqual([]);
  expect(flow.emulator.reports()).toHaveLength(0);
  const me = await whoami(agent);
  expect(me.user).toBeNull();
  expect(me.session).toHaveProperty('bindid.pending');
}

/** The legitimate POST still signs the user in afterwards (exactly one report). */
async function expectStillConfirmable(agent: Agent, fields: Record<string, string>, user: { id: number; username: string }): Promise<void> {
  const ok = await submitConfirm(agent, fields);
  expect(ok.status).toBe(303);
  expect((await whoami(agent)).user).toEqual(user);
  expect(flow.emulator.reports().filter((r) => r.accepted)).toHaveLength(1);
}

describe('B. CSRF and cross-site requests', () => {
  it('B10 a confirm POST without the CSRF token is 403; verify is not called, nothing is sent, the pending login is intact', async () => {
    const { agent, fields, user } = await atConfirm();
    const { _csrf: _, ...withoutToken } = fields;
    // More forged posts than maxAttempts (5): none of them counts as a failed attempt.
    for (let i = 0; i < 6; i++) {
      const res = await submitConfirm(agent, withoutToken);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('ERR_BINDID_CSRF');
    }
    await expectUntouched(agent);
    await expectStillConfirmable(agent, fields, user);
  });

  it('B11 a token from another session, or of another length or type, is 403 (never a 500 from the constant-time compare)', async () => {
    const { agent, csrf, fields, user } = await atConfirm();
    const other = await atConfirm();
    expect(other.csrf).not.toBe(csrf);
    const candidates: Array<[string, string | string[]]> = [
      ['token of another session', other.csrf],
      ['empty', ''],
      ['one character', 'A'],
      ['one character short', csrf.slice(1)],
      ['one character long', `${csrf}A`],
      ['4,000 characters', 'A'.repeat(4000)],
      ['same length in characters, longer in bytes', 'é'.repeat(csrf.length)],
      ['the right token repeated (an array)', [csrf, csrf]],
    ];
    const answers = [];
    for (const [label, value] of candidates) {
      const body = new URLSearchParams({ username: fields.username as string, password: fields.password as string });
      for (const v of ([] as string[]).concat(value)) body.append('_csrf', v);
      const res = await agent.post('/bindid/confirm').type('form').set('Origin', APP_ORIGIN).send(body.toString());
      answers.push([label, res.status, res.body.code]);
    }
    expect(answers).toEqual(candidates.map(([label]) => [label, 403, 'ERR_BINDID_CSRF']));
    await expectUntouched(agent);
    await expectStillConfirmable(agent, fields, user);
  });

  it('B12 Sec-Fetch-Site: cross-site (or same-site) is 403 even with a valid token and the right password', async () => {
    const { agent, fields, user } = await atConfirm();
    for (const site of ['cross-site', 'same-site']) {
      const res = await submitConfirm(agent, fields, { 'Sec-Fetch-Site': site, Origin: APP_ORIGIN });
      expect([site, res.status, res.body.code]).toEqual([site, 403, 'ERR_BINDID_CSRF']);
    }
    await expectUntouched(agent);
    await expectStillConfirmable(agent, fields, user);
  });

  it('B13 without Fetch Metadata, an Origin or Referer of another site is 403 even with a valid token', async () => {
    const { agent, fields, user } = await atConfirm();
    const headers: Array<Record<string, string>> = [
      { Origin: 'https://evil.example' },
      { Origin: 'http://localhost:4001' }, // same host, another port: another origin
      { Referer: 'https://evil.example/page' },
      { Referer: 'not a url' },
    ];
    for (const h of headers) {
      const res = await submitConfirm(agent, fields, h);
      expect([h, res.status]).toEqual([h, 403]);
    }
    await expectUntouched(agent);
    await expectStillConfirmable(agent, fields, user);
  });

  it('B13 policy: with no Sec-Fetch-Site, Origin or Referer at all, the token alone decides', async () => {
    const { agent, fields, user } = await atConfirm();
    const forged = await submitConfirm(agent, { ...fields, _csrf: 'x'.repeat(43) }, {});
    expect(forged.status).toBe(403);
    await expectUntouched(agent);
    const ok = await submitConfirm(agent, fields, {});
    expect(ok.status).toBe(303);
    expect((await whoami(agent)).user).toEqual(user);
    // And a same-origin Referer without Origin passes too.
    const next = await atConfirm();
    expect((await submitConfirm(next.agent, next.fields, { Referer: `${APP_ORIGIN}/bindid/confirm` })).status).toBe(303);
  });

  it('B14 a code+state minted for session A and delivered in session B is rejected; nothing is stored in B; A can still use it', async () => {
    const a = flow.agent();
    const callbackForA = await authorizeAt(await startLogin(a), 'new');

    // B started a sign-in of its own: the state does not match B's transaction, which is left alone.
    const b = flow.agent();
    const authorizeB = await startLogin(b);
    const inB = await b.get(appPath(callbackForA));
    expect(inB.status).toBe(400);
    expect(inB.body.code).toBe('ERR_BINDID_CALLBACK_INVALID');
    // B started nothing: there is no transaction to match.
    const c = flow.agent();
    const inC = await c.get(appPath(callbackForA));
    expect(inC.status).toBe(400);
    expect(inC.body.code).toBe('ERR_BINDID_LOGIN_STATE_MISSING');

    for (const victim of [b, c]) {
      const me = await whoami(victim);
      expect(me.user).toBeNull();
      expect(me.session).not.toHaveProperty('bindid.pending');
      expect((await confirmPage(victim)).res.status).toBe(400);
    }
    expect(transactionOf(c, flow.emulator.clientSecret)).toBeUndefined();
    // B's own sign-in is still in progress, and completes with BindID's answer to it.
    expect(transactionOf(b, flow.emulator.clientSecret)?.state).toBe(new URL(authorizeB).searchParams.get('state'));
    expect((await b.get(appPath(await authorizeAt(authorizeB, 'new')))).headers.location).toBe('/bindid/confirm');
    expect(flow.emulator.reports()).toHaveLength(0);
    // The code was never redeemed in B: A's own callback still works.
    const inA = await a.get(appPath(callbackForA));
    expect(inA.status).toBe(303);
    expect(inA.headers.location).toBe('/bindid/confirm');
  });

  it('N122 the same callback sent twice at once in one session: one token request, one sign-in, the other a coded 400 that changes no session', async () => {
    const agent = flow.agent();
    const login = await agent.get('/login/bindid');
    // The sign-in in flight is in its sealed cookie: no server-side session before BindID answers.
    expect(sessionCookie(login)).toBeUndefined();
    expect(transactionOf(agent, flow.emulator.clientSecret)).toBeDefined();
    const callback = appPath(await authorizeAt(login.headers.location as string, 'new'));
    const tokenUrl = `${flow.emulator.issuer}/token`;
    const outgoing = recordRequests();
    // BindID answers slowly, on Jest's fake clock (test/helpers/fake-clock.ts): the callback that
    // took the state waits at /token until the test moves the clock, so the other one surely loads
    // its copy of the session before the first ends, and is answered first.
    jest.useFakeTimers(FAKE_CLOCK);
    flow.emulator.setFault('token', { delayMs: 150 });
    try {
      let answered = 0;
      const send = () =>
        Promise.resolve(agent.get(callback)).finally(() => {
          answered += 1;
        });
      const both = [send(), send()] as const;
      const tokenRequests = () => outgoing.urls.filter((url) => url === tokenUrl).length;
      await until(() => answered > 0 || tokenRequests() > 1, 'one callback answered while the other waits at /token');
      await jest.advanceTimersByTimeAsync(150);
      const answers = await Promise.all(both);
      expect(tokenRequests()).toBe(1);
      const [won, lost] = answers[0].status === 303 ? answers : [answers[1], answers[0]];
      expect(won.status).toBe(303);
      expect(won.headers.location).toBe('/bindid/confirm');
      expect(lost.status).toBe(400);
      expect(lost.body.code).toBe('ERR_BINDID_CALLBACK_INVALID');
      expect(lost.headers['set-cookie']).toBeUndefined();
    } finally {
      jest.useRealTimers();
      outgoing.stop();
      flow.emulator.clearFaults();
    }
    // The winner's session holds the pending login, and its answer used up the transaction cookie.
    expect((await whoami(agent)).session).toHaveProperty('bindid.pending');
    expect(transactionOf(agent, flow.emulator.clientSecret)).toBeUndefined();
    expect(flow.emulator.reports()).toHaveLength(0);
  });

  it('N122 a store that cannot record the used state fails closed: 503, no token request, nobody signed in', async () => {
    class BrokenStore extends MemoryBindIdStore {
      override add(key: string, value: string, ttlMs: number): Promise<boolean> {
        return key.startsWith('state:') ? Promise.reject(new Error('store down')) : super.add(key, value, ttlMs);
      }
    }
    const broken = await createFlow({ router: { store: new BrokenStore() } });
    let outgoing: ReturnType<typeof recordRequests> | undefined;
    try {
      const agent = broken.agent();
      const callback = appPath(await authorizeAt(await startLogin(agent), 'new'));
      outgoing = recordRequests();
      const res = await agent.get(callback);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('ERR_BINDID_STORE_UNAVAILABLE');
      expect(outgoing.urls.filter((url) => url.endsWith('/token'))).toHaveLength(0);
      expect(outgoing.urls.some((url) => new URL(url).pathname.endsWith('/bindid/callback'))).toBe(true); // the recorder saw the test's own request
      const me = await whoami(agent);
      expect(me.user).toBeNull();
      expect(me.session).not.toHaveProperty('bindid.pending');
    } finally {
      outgoing?.stop();
      await broken.close();
    }
  });

  describe('B15 a callback with a missing or mismatched state or nonce is 400 ERR_BINDID_CALLBACK_INVALID and stores nothing', () => {
    // A callback whose state is not the session's leaves the sign-in in progress alone (a cross-site
    // link to the callback cannot cancel it); one with the session's state uses the transaction up.
    const cases: Array<[string, (authorize: URL) => void, (callback: URL) => void, 'kept' | 'used up']> = [
      ['missing state', () => undefined, (cb) => cb.searchParams.delete('state'), 'kept'],
      ['mismatched state', () => undefined, (cb) => cb.searchParams.set('state', 'forged-state'), 'kept'],
      ['missing nonce (none asked of BindID)', (az) => az.searchParams.delete('nonce'), () => undefined, 'used up'],
      ['mismatched nonce (another one asked of BindID)', (az) => az.searchParams.set('nonce', 'forged-nonce'), () => undefined, 'used up'],
      ['missing code', () => undefined, (cb) => cb.searchParams.delete('code'), 'used up'],
    ];
    it.each(cases)('B15 %s', async (_label, tamperAuthorize, tamperCallback, transaction) => {
      const agent = flow.agent();
      const authorize = new URL(await startLogin(agent));
      tamperAuthorize(authorize);
      const genuine = new URL(await authorizeAt(authorize.href, 'new'));
      const callback = new URL(genuine.href);
      tamperCallback(callback);
      const res = await agent.get(appPath(callback.href));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('ERR_BINDID_CALLBACK_INVALID');
      const me = await whoami(agent);
      expect(me.user).toBeNull();
      expect(me.session).not.toHaveProperty('bindid.pending');
      expect((await confirmPage(agent)).res.status).toBe(400);
      expect(flow.emulator.reports()).toHaveLength(0);
      if (transaction === 'used up') {
        expect(transactionOf(agent, flow.emulator.clientSecret)).toBeUndefined();
      } else {
        // The sign-in in progress is untouched: BindID's genuine answer still completes it.
        expect(transactionOf(agent, flow.emulator.clientSecret)?.state).toBe(authorize.searchParams.get('state'));
        expect((await agent.get(appPath(genuine.href))).headers.location).toBe('/bindid/confirm');
      }
    });
  });
});

/** Record the URLs of the outgoing node:http(s) requests (the library's requests to BindID go over node:https) until `stop()`. */
function recordRequests(): { urls: string[]; stop: () => void } {
  const urls: string[] = [];
  const onStart = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    urls.push(`${request.protocol}//${String(request.getHeader('host'))}${request.path}`);
  };
  diagnostics.subscribe('http.client.request.start', onStart);
  return { urls, stop: () => diagnostics.unsubscribe('http.client.request.start', onStart) };
}
