/**
 * The journey of each example app, as a user walks it (supertest cookie jar; the hop through BindID
 * uses the emulator's `identity=` shortcut). Nothing leaves 127.0.0.1.
 */
import request from 'supertest';
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import { createApp } from '../../examples/basic/app.js';
import { UserStore } from '../../examples/basic/users.js';
import { createOwnCallbackApp } from '../../examples/own-callback/app.js';

const BASE = 'http://localhost:3000';
const DEMO = { username: 'demo', password: 'correct horse battery staple' };

type Agent = ReturnType<typeof request.agent>;

/** Follow the app's redirect to the emulator, pick `identity`, and return the callback path. */
async function throughBindId(agent: Agent, startPath: string, identity: string): Promise<string> {
  const start = await agent.get(startPath);
  expect([302, 303]).toContain(start.status);
  const authorize = await fetch(`${start.headers.location}&identity=${identity}`, { redirect: 'manual' });
  const callback = new URL(authorize.headers.get('location') ?? '');
  expect(callback.origin).toBe(BASE);
  return `${callback.pathname}${callback.search}`;
}

function csrfOf(html: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
}

let emulator: Emulator;
let users: UserStore;
let demoId: number;
let carolId: number;
const CAROL = { username: 'carol', password: 'carol-password' };
beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: [`${BASE}/bindid/callback`, `${BASE}/auth/bindid/callback`] });
  users = new UserStore();
  demoId = (await users.add(DEMO.username, DEMO.password, 'Demo User')).id;
  // Each BindID user links to a different local user: BindID refuses one alias for two users.
  carolId = (await users.add(CAROL.username, CAROL.password)).id;
});
afterAll(() => emulator.close());
beforeEach(() => emulator.clearReports());

const config = () => ({
  issuer: emulator.issuer,
  apiUrl: emulator.apiUrl,
  clientId: emulator.clientId,
  clientSecret: emulator.clientSecret,
  baseUrl: BASE,
  sessionSecret: 'test-session-secret',
  users,
});

describe('examples/basic', () => {
  it('new BindID user → confirm page → wrong password (0 reports) → right password (1 report) → account; then straight in; cancel discards', async () => {
    const app = createApp(config());
    const agent = request.agent(app);
    expect((await agent.get('/')).text).toContain('Sign in with BindID');

    const callback = await agent.get(await throughBindId(agent, '/login/bindid?returnTo=%2Faccount', 'alice'));
    expect(callback.headers.location).toBe('/bindid/confirm');
    const page = await agent.get('/bindid/confirm');
    expect(page.text).toContain('Confirm your account');
    const csrf = csrfOf(page.text);

    const wrong = await agent.post('/bindid/confirm').type('form').set('Origin', BASE).send({ _csrf: csrf, username: 'demo', password: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Invalid username or password.');
    expect(emulator.reports()).toHaveLength(0);

    const right = await agent.post('/bindid/confirm').type('form').set('Origin', BASE).send({ _csrf: csrf, ...DEMO });
    expect(right.headers.location).toBe('/account');
    expect(emulator.reports()).toEqual([expect.objectContaining({ accepted: true, alias: String(demoId), sub: emulator.subOf('alice') })]);
    expect((await agent.get('/account')).text).toContain('Username: <strong>demo</strong>');

    await agent.post('/logout').type('form').set('Origin', BASE).send({ _csrf: csrfOf((await agent.get('/account')).text) }).expect(303);
    expect((await agent.get('/account')).headers.location).toBe('/login');
    const again = await agent.get(await throughBindId(agent, '/login/bindid?returnTo=%2Faccount', 'alice'));
    expect(again.headers.location).toBe('/account');
    expect((await agent.get('/account')).status).toBe(200);
    expect(emulator.reports()).toHaveLength(1);

    // Cancel, with a brand-new BindID user in a new browser.
    const other = request.agent(app);
    await other.get(await throughBindId(other, '/login/bindid', 'new'));
    const otherCsrf = csrfOf((await other.get('/bindid/confirm')).text);
    await other.post('/bindid/confirm/cancel').type('form').set('Origin', BASE).send({ _csrf: otherCsrf }).expect(303);
    expect((await other.get('/bindid/confirm')).text).toContain('This sign-in can no longer be confirmed');
    expect(emulator.reports()).toHaveLength(1);
  });

  it('the password login the app already had still works', async () => {
    const agent = request.agent(createApp(config()));
    const res = await passwordSignIn(agent);
    expect(res.headers.location).toBe('/account');
    expect((await agent.get('/account')).status).toBe(200);
  });

  it('N136 a cross-site POST /logout or POST /login is refused (403) and changes nothing', async () => {
    const app = createApp(config());
    const agent = request.agent(app);
    await passwordSignIn(agent);
    const csrf = csrfOf((await agent.get('/account')).text);
    const crossSite = [
      { headers: { Origin: 'https://evil.example' }, body: { _csrf: csrf } },
      { headers: { 'Sec-Fetch-Site': 'cross-site' }, body: { _csrf: csrf } },
      { headers: { Origin: BASE }, body: {} },
      { headers: { Origin: BASE }, body: { _csrf: 'x'.repeat(43) } },
    ];
    for (const { headers, body } of crossSite) {
      const logout = await agent.post('/logout').type('form').set(headers).send(body);
      expect(logout.status).toBe(403);
      expect((await agent.get('/account')).status).toBe(200); // still signed in
    }

    // Login CSRF: another site must not sign this browser in, even to a real account.
    const victim = request.agent(app);
    const loginCsrf = csrfOf((await victim.get('/login')).text);
    for (const { headers, body } of crossSite) {
      const login = await victim.post('/login').type('form').set(headers).send({ ...body, _csrf: body._csrf === csrf ? loginCsrf : body._csrf, ...DEMO });
      expect(login.status).toBe(403);
      expect((await victim.get('/account')).headers.location).toBe('/login'); // not signed in
    }
    // The genuine forms do carry a token, and with it (same origin) sign-out works.
    expect(csrf).toMatch(/^[\w-]{43}$/);
    await agent.post('/logout').type('form').set('Origin', BASE).send({ _csrf: csrf }).expect(303);
    expect((await agent.get('/account')).headers.location).toBe('/login');
  });

  it("N137 every page of the example refuses to be framed (X-Frame-Options DENY, CSP frame-ancestors 'none')", async () => {
    const agent = request.agent(createApp(config()));
    const pages = [await agent.get('/'), await agent.get('/login'), await agent.get('/nope'), await agent.post('/logout').type('form').send({})];
    await passwordSignIn(agent);
    pages.push(await agent.get('/account'), await agent.get('/'));
    await agent.get(await throughBindId(agent, '/login/bindid', 'new'));
    pages.push(await agent.get('/bindid/confirm'));
    for (const page of pages) {
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['content-security-policy']).toMatch(/(^|;\s*)frame-ancestors 'none'(;|$)/);
    }
  });

  it('N138 an oversized or mis-encoded POST /login answers 413 / 415 (not 500), and the log line has no password', async () => {
    const lines: string[] = [];
    const spies = (['error', 'warn', 'log'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (a instanceof Error ? `${a.stack} ${JSON.stringify(a)}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      }),
    );
    try {
      const agent = request.agent(createApp(config()));
      const csrf = csrfOf((await agent.get('/login')).text);
      const password = `hunter2-${'p'.repeat(40_000)}`;
      const large = await agent.post('/login').type('form').set('Origin', BASE).send({ _csrf: csrf, username: 'demo', password });
      expect(large.status).toBe(413);
      expect(large.text).toContain('too large');
      const charset = await agent
        .post('/login')
        .set('Origin', BASE)
        .set('Content-Type', 'application/x-www-form-urlencoded; charset=koi8-r')
        .send(`_csrf=${csrf}&username=demo&password=hunter2-secret`);
      expect(charset.status).toBe(415);
      for (const res of [large, charset]) expect(res.text).not.toContain('hunter2');
      expect(lines).toEqual(['request refused: HTTP 413 (entity.too.large)', 'request refused: HTTP 415 (charset.unsupported)']);
      expect(lines.join('\n')).not.toContain('hunter2');
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

/** Sign in with the app's own password form, as a browser would (its CSRF token, same origin). */
async function passwordSignIn(agent: Agent): Promise<request.Response> {
  const csrf = csrfOf((await agent.get('/login')).text);
  return agent.post('/login').type('form').set('Origin', BASE).send({ _csrf: csrf, ...DEMO });
}

describe('examples/own-callback', () => {
  it('new BindID user → own confirm page → wrong password (0 reports) → right password (1 report) → account; then straight in', async () => {
    const app = createOwnCallbackApp(config());
    const agent = request.agent(app);
    const callback = await agent.get(await throughBindId(agent, '/auth/bindid', 'bob'));
    expect(callback.headers.location).toBe('/auth/bindid/confirm');
    const csrf = csrfOf((await agent.get('/auth/bindid/confirm')).text);

    const wrong = await agent.post('/auth/bindid/confirm').type('form').set('Origin', BASE).send({ _csrf: csrf, username: 'carol', password: 'x' });
    expect(wrong.headers.location).toBe('/auth/bindid/confirm?failed=1');
    expect(emulator.reports()).toHaveLength(0);

    const missingCsrf = await agent.post('/auth/bindid/confirm').type('form').set('Origin', BASE).send(CAROL);
    expect(missingCsrf.status).toBe(403);
    expect(emulator.reports()).toHaveLength(0);

    const right = await agent.post('/auth/bindid/confirm').type('form').set('Origin', BASE).send({ _csrf: csrf, ...CAROL });
    expect(right.headers.location).toBe('/account');
    expect(emulator.reports()).toEqual([expect.objectContaining({ accepted: true, alias: String(carolId), sub: emulator.subOf('bob') })]);
    expect((await agent.get('/account')).body.user.username).toBe('carol');

    const fresh = request.agent(app);
    const direct = await fresh.get(await throughBindId(fresh, '/auth/bindid', 'bob'));
    expect(direct.headers.location).toBe('/account');
    expect((await fresh.get('/account')).body.user.username).toBe('carol');
    expect(emulator.reports()).toHaveLength(1);
  });
});

describe('examples/own-callback hardening', () => {
  it("N139 its pages refuse to be framed, and an oversized confirm POST answers 413 (not 500) without logging the form", async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    try {
      const app = createOwnCallbackApp(config());
      const agent = request.agent(app);
      await agent.get(await throughBindId(agent, '/auth/bindid', 'new'));
      const page = await agent.get('/auth/bindid/confirm');
      const csrf = csrfOf(page.text);
      for (const res of [page, await agent.get('/account'), await agent.get('/nope')]) {
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['content-security-policy']).toMatch(/(^|;\s*)frame-ancestors 'none'(;|$)/);
      }
      const large = await agent
        .post('/auth/bindid/confirm')
        .type('form')
        .set('Origin', BASE)
        .send({ _csrf: csrf, username: 'carol', password: `hunter2-${'p'.repeat(200_000)}` });
      expect(large.status).toBe(413);
      expect(large.text).not.toContain('hunter2');
      expect(lines).toEqual(['request refused: HTTP 413 (entity.too.large)']);
      expect(emulator.reports()).toHaveLength(0);
    } finally {
      spy.mockRestore();
    }
  });
});
