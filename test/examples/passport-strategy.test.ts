/**
 * The journey of examples/passport-strategy, step by step, as a user walks it: passport-style routes
 * only (`passport.authenticate('bindid')`), its own confirm page with `createLocalStrategy` +
 * `sendAuthenticationPerformed`. The steps of the main journey share one browser (cookie jar) and
 * run in order; the hop through BindID uses the emulator's `identity=` shortcut. Nothing leaves
 * 127.0.0.1.
 */
import type express from 'express';
import request from 'supertest';
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import { UserStore } from '../../examples/basic/users.js';
import { createPassportStrategyApp } from '../../examples/passport-strategy/app.js';
import { claimsFor, forgedCallback, trustTestKey } from '../helpers/forged-tokens.js';
import { APP_ORIGIN, appPath, authorizeAt } from '../helpers/flow.js';

const DEMO = { username: 'demo', password: 'correct horse battery staple' };

type Agent = ReturnType<typeof request.agent>;

function csrfOf(html: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
}

/** GET the login route; the emulator authorize URL it redirects to. */
async function login(agent: Agent, returnTo?: string): Promise<URL> {
  const res = await agent.get(`/login/bindid${returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`);
  expect(res.status).toBe(303);
  return new URL(res.headers.location as string);
}

/** Through BindID as `identity`: the app path of the callback. */
async function throughBindId(agent: Agent, identity: string, returnTo?: string): Promise<string> {
  return appPath(await authorizeAt((await login(agent, returnTo)).href, identity));
}

function confirm(agent: Agent, fields: Record<string, string>): request.Test {
  return agent.post('/bindid/confirm').type('form').set('Origin', APP_ORIGIN).send(fields);
}

let emulator: Emulator;
let users: UserStore;
let demoId: number;
const newApp = (): express.Express =>
  createPassportStrategyApp({
    issuer: emulator.issuer,
    apiUrl: emulator.apiUrl,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    baseUrl: APP_ORIGIN,
    sessionSecret: 'test-session-secret',
    users,
  });

beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: [`${APP_ORIGIN}/bindid/callback`] });
  users = new UserStore();
  demoId = (await users.add(DEMO.username, DEMO.password, 'Demo User')).id;
});
afterAll(() => emulator.close());

describe('examples/passport-strategy: the journey of a new, then returning, BindID user', () => {
  let app: express.Express;
  let browser: Agent;
  let csrf: string;
  let lastCallback: string;
  beforeAll(() => {
    app = newApp();
    browser = request.agent(app);
    emulator.clearReports();
  });

  it('1. the home page links to the login route, which redirects to BindID with state, nonce, PKCE S256 and the callback URI', async () => {
    expect((await browser.get('/')).text).toContain('href="/login/bindid?returnTo=%2Faccount"');
    const authorize = await login(browser, '/account');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.issuer}/authorize`);
    const q = authorize.searchParams;
    expect(q.get('redirect_uri')).toBe(`${APP_ORIGIN}/bindid/callback`);
    expect(q.get('code_challenge_method')).toBe('S256');
    for (const name of ['state', 'nonce', 'code_challenge']) expect(q.get(name) ?? '').toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('2. the callback of a new BindID user leads to the confirm page', async () => {
    const callback = await browser.get(await throughBindId(browser, 'alice', '/account'));
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/bindid/confirm');
    const page = await browser.get('/bindid/confirm');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Confirm your account');
    expect(page.text).toContain('alice@example.com');
    csrf = csrfOf(page.text);
    expect(csrf).not.toBe('');
  });

  it('3. a wrong password: back to the form, nothing reported to BindID, nobody signed in', async () => {
    const wrong = await confirm(browser, { _csrf: csrf, username: DEMO.username, password: 'wrong' });
    expect(wrong.headers.location).toBe('/bindid/confirm?failed=1');
    expect((await browser.get(wrong.headers.location as string)).text).toContain('Invalid username or password.');
    expect(emulator.reports()).toHaveLength(0);
    expect((await browser.get('/account')).headers.location).toBe('/login');
  });

  it('4. the right password: one report to BindID, signed in, at the returnTo of the login', async () => {
    const right = await confirm(browser, { _csrf: csrf, ...DEMO });
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('/account');
    expect(emulator.reports()).toEqual([expect.objectContaining({ accepted: true, alias: String(demoId), sub: emulator.subOf('alice') })]);
    expect((await browser.get('/account')).text).toContain('Username: <strong>demo</strong>');
  });

  it('5. signed out, the returning BindID user is signed in straight away, with no new report', async () => {
    const account = await browser.get('/account');
    await browser.post('/logout').type('form').set('Origin', APP_ORIGIN).send({ _csrf: csrfOf(account.text) }).expect(303);
    expect((await browser.get('/account')).headers.location).toBe('/login');
    lastCallback = await throughBindId(browser, 'alice', '/account');
    const again = await browser.get(lastCallback);
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/account');
    expect((await browser.get('/account')).text).toContain('Username: <strong>demo</strong>');
    expect(emulator.reports()).toHaveLength(1);
  });

  it('6. that callback replayed (by the same browser or another one) is refused and signs nobody in', async () => {
    const other = request.agent(app);
    const replayed = await other.get(lastCallback);
    expect(replayed.status).toBe(400);
    expect(replayed.text).toContain('Start again');
    expect((await other.get('/account')).headers.location).toBe('/login');
    expect((await browser.get(lastCallback)).status).toBe(400);
  });
});

describe('examples/passport-strategy: what the callback refuses', () => {
  it('a callback whose state is not the one of the session: 400, nobody signed in', async () => {
    const browser = request.agent(newApp());
    const callback = new URL(`${APP_ORIGIN}${await throughBindId(browser, 'bob')}`);
    callback.searchParams.set('state', 's'.repeat(43));
    const res = await browser.get(`${callback.pathname}${callback.search}`);
    expect(res.status).toBe(400);
    expect((await browser.get('/bindid/confirm')).status).toBe(400);
  });

  it('an ID token with another nonce: 400, no confirm page, nobody signed in', async () => {
    const app = newApp();
    const forger = await trustTestKey(emulator);
    try {
      const browser = request.agent(app);
      const res = await forgedCallback(browser, emulator, (ctx) => forger.sign(claimsFor({ ...ctx, nonce: 'another-nonce-0123456789' })));
      expect(res.status).toBe(400);
      expect((await browser.get('/bindid/confirm')).status).toBe(400);
      expect((await browser.get('/account')).headers.location).toBe('/login');
    } finally {
      emulator.clearFaults();
    }
  });

  it('returnTo is kept for a new user through the confirmation, and an off-site returnTo ends at /', async () => {
    const app = newApp();
    const carol = { username: 'carol', password: 'carol-password' };
    await users.add(carol.username, carol.password);
    const browser = request.agent(app);
    await browser.get(await throughBindId(browser, 'new', '/account?from=bindid'));
    const page = await browser.get('/bindid/confirm');
    const done = await confirm(browser, { _csrf: csrfOf(page.text), ...carol });
    expect(done.headers.location).toBe('/account?from=bindid');

    const returning = request.agent(app);
    for (const evil of ['//evil.example/', 'https://evil.example/account', '/\\evil.example']) {
      const callback = await returning.get(await throughBindId(returning, 'alice', evil));
      expect([evil, callback.headers.location]).toEqual([evil, '/']);
    }
  });

  it('"This is not me" discards the pending login', async () => {
    const browser = request.agent(newApp());
    await browser.get(await throughBindId(browser, 'bob'));
    const page = await browser.get('/bindid/confirm');
    const cancel = await browser.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: csrfOf(page.text) });
    expect(cancel.headers.location).toBe('/');
    expect((await browser.get('/bindid/confirm')).status).toBe(400);
  });

  it('N148 the example’s confirm POST needs the CSRF token and the same origin (403, nothing reported, nobody signed in); its pages refuse framing', async () => {
    emulator.clearReports();
    const browser = request.agent(newApp());
    await browser.get(await throughBindId(browser, 'bob'));
    const page = await browser.get('/bindid/confirm');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const noToken = await confirm(browser, { ...DEMO });
    expect(noToken.status).toBe(403);
    const crossSite = await browser.post('/bindid/confirm').type('form').set('Origin', 'https://evil.example').send({ _csrf: csrfOf(page.text), ...DEMO });
    expect(crossSite.status).toBe(403);
    expect(emulator.reports()).toHaveLength(0);
    expect((await browser.get('/account')).headers.location).toBe('/login');
    expect((await browser.get('/bindid/confirm')).status).toBe(200);
  });
});
