/**
 * The three whole apps of docs/integration.md (the blocks fenced ```ts app=<name>), run as the page
 * writes them, so that a reader who copies one gets an app that works and is safe: each block is read
 * from the Markdown at run time, transpiled to CommonJS and loaded with this file's `require` (so
 * `express-bindid` is the package, from its sources under Jest), with `users` the user store the page
 * assumes. test/docs/typescript-blocks.test.ts type-checks the same blocks against the built package.
 *
 * Each app walks the journey with express-bindid/testing: a new BindID user, a wrong password
 * (nothing reported), the right one (one report), the returning user straight in; BindID down at
 * sign-in and while confirming (nothing reported, the confirmation kept for another try); a
 * cross-origin POST and a POST without the CSRF token refused with 403 before the password is
 * checked; "This is not me".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Express, Request } from 'express';
import { DEFAULT_CONFIRM_MESSAGES, type storePendingLogin } from 'express-bindid';
import { confirmWithPassword, mintPendingLogin, signInWithBindId, startTestBindId, type TestBindId } from 'express-bindid/testing';
import request from 'supertest';
import ts from 'typescript';

const DOC = join(__dirname, '../../docs/integration.md');
const BASE = 'http://localhost:3000';
const EVIL = 'http://evil.example';

interface Account {
  id: string;
  username: string;
  password: string;
}
const DEMO: Account = { id: '1', username: 'demo', password: 'demo-password' };
const ERIN: Account = { id: '2', username: 'erin', password: 'erin-password' };
const FRANK: Account = { id: '3', username: 'frank', password: 'frank-password' };
const ACCOUNTS = [DEMO, ERIN, FRANK];

/** The password checks the app ran (usernames), to show that a refused POST never reached it. */
const checks: string[] = [];
/** The user store the page's apps use (`users`). */
const users = {
  async checkPassword(username: string, password: string) {
    checks.push(username);
    const account = ACCOUNTS.find((a) => a.username === username);
    return account && account.password === password ? { id: account.id, username } : false;
  },
  async findById(id: string) {
    const account = ACCOUNTS.find((a) => a.id === id);
    return account ? { id: account.id, username: account.username } : null;
  },
};

/** The ```ts app=<name> blocks of a Markdown text, by name. */
function appBlocks(markdown: string): Map<string, string> {
  return new Map([...markdown.matchAll(/^```ts app=([\w-]+)\n([\s\S]*?)^```$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

interface AppModule {
  createApp(options: { bindid: TestBindId['options']; baseUrl: string; verifyCallback?: (req: Request) => Promise<Parameters<typeof storePendingLogin>[1]> }): Express;
}

/** Load a block as a CommonJS module whose imports are this file's, with `users` in its scope. */
function load(code: string): AppModule {
  const { outputText } = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  const module = { exports: {} as AppModule };
  new Function('require', 'module', 'exports', 'users', outputText)(require, module, module.exports, users);
  return module.exports;
}

const blocks = appBlocks(readFileSync(DOC, 'utf8'));

it('docs/integration.md has the three apps, each a createApp', () => {
  expect([...blocks.keys()]).toEqual(['router', 'passport-strategy', 'own-callback']);
  for (const code of blocks.values()) expect(code).toContain('export function createApp(');
});

type Agent = ReturnType<typeof request.agent>;

/** How each way signs in, and what a wrong password answers. */
const WAYS = {
  router: { callbackPath: '/bindid/callback', wrongPassword: 'page' },
  'passport-strategy': { callbackPath: '/bindid/callback', wrongPassword: 'redirect' },
  'own-callback': { callbackPath: '/auth/bindid/callback', wrongPassword: 'redirect' },
} as const;

describe.each(Object.keys(WAYS) as Array<keyof typeof WAYS>)('the %s app of docs/integration.md', (name) => {
  const way = WAYS[name];
  let bindid: TestBindId;
  let app: Express;

  beforeAll(async () => {
    bindid = await startTestBindId({ redirectUri: `${BASE}${way.callbackPath}` });
    const before = process.env.SESSION_SECRET;
    process.env.SESSION_SECRET = 'integration-apps-test-secret';
    try {
      // The own callback's code exchange, in a test: a real login from the emulator, as ?identity= says.
      const verifyCallback = (req: Request) => mintPendingLogin(bindid, { identity: String(req.query.identity) });
      app = load(blocks.get(name) ?? '').createApp({ bindid: bindid.options, baseUrl: BASE, verifyCallback });
    } finally {
      if (before === undefined) delete process.env.SESSION_SECRET;
      else process.env.SESSION_SECRET = before;
    }
  });
  afterAll(() => bindid.close());
  beforeEach(() => {
    bindid.clearReports();
    checks.length = 0;
  });
  afterEach(() => bindid.recover());

  /** BindID sign-in as `identity`: the app's answer to the callback. */
  function signIn(agent: Agent, identity: string) {
    if (name === 'own-callback') return agent.get(`/auth/bindid/callback?identity=${identity}`);
    return signInWithBindId(agent, bindid, { identity, returnTo: '/account' });
  }

  async function atConfirmPage(identity: string): Promise<{ agent: Agent; csrf: string }> {
    const agent = request.agent(app);
    const callback = await signIn(agent, identity);
    expect(callback.headers.location).toBe('/bindid/confirm');
    const page = await agent.get('/bindid/confirm');
    expect(page.status).toBe(200);
    return { agent, csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '' };
  }

  it('a new BindID user: a wrong password reports nothing, the right one reports once and signs in; then BindID alone signs them in', async () => {
    const { agent } = await atConfirmPage('alice');
    expect((await agent.get('/bindid/confirm')).text).toContain('alice@example.com'); // the BindID identity, in full

    const wrong = await confirmWithPassword(agent, bindid, { username: DEMO.username, password: 'wrong' });
    if (way.wrongPassword === 'page') {
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain(DEFAULT_CONFIRM_MESSAGES.invalidCredentials);
    } else {
      expect([wrong.status, wrong.headers.location]).toEqual([302, '/bindid/confirm?failed=1']);
      const again = await agent.get(wrong.headers.location as string);
      expect([again.status, again.text]).toEqual([200, expect.stringContaining(DEFAULT_CONFIRM_MESSAGES.invalidCredentials)]);
    }
    expect(bindid.reports()).toEqual([]);

    const right = await confirmWithPassword(agent, bindid, DEMO);
    expect([right.status, right.headers.location]).toEqual([303, '/account']);
    expect(bindid.reports()).toEqual([expect.objectContaining({ type: 'authentication_performed', alias: DEMO.id })]);
    expect((await agent.get('/account')).text).toBe('Signed in as demo');

    const browser = request.agent(app);
    const returning = await signIn(browser, 'alice');
    expect([returning.status, returning.headers.location]).toEqual([303, '/account']);
    expect((await browser.get('/account')).text).toBe('Signed in as demo');
    expect(bindid.reports()).toHaveLength(1);
  });

  it('BindID down while confirming: 503 and the confirm page saying so, nothing reported, nobody signed in; the same confirmation works once BindID is back', async () => {
    const { agent } = await atConfirmPage('erin-bindid');
    bindid.fail('down');
    const down = await confirmWithPassword(agent, bindid, ERIN);
    expect(down.status).toBe(503);
    expect(down.text).toContain(DEFAULT_CONFIRM_MESSAGES.unavailable);
    expect(down.text).toContain('name="password"');
    expect(bindid.reports()).toEqual([]);
    expect((await agent.get('/account')).headers.location).toBe('/login');

    bindid.recover();
    const up = await confirmWithPassword(agent, bindid, ERIN);
    expect([up.status, up.headers.location]).toEqual([303, '/account']);
    expect(bindid.reports()).toEqual([expect.objectContaining({ alias: ERIN.id })]);
  });

  if (name !== 'own-callback') {
    it("BindID's sign-in down: the callback answers 503 saying so, nobody signed in", async () => {
      bindid.fail('down', { endpoint: 'token' });
      const agent = request.agent(app);
      const res = await signIn(agent, 'alice');
      expect(res.status).toBe(503);
      expect(res.text).toBe('BindID could not be reached. Please try again.');
      expect((await agent.get('/account')).headers.location).toBe('/login');
    });
  }

  it('a cross-origin POST and a POST without the CSRF token are refused (403) before the password check: nothing reported, the confirmation still waits', async () => {
    const { agent, csrf } = await atConfirmPage('frank-bindid');
    expect(csrf).not.toBe('');
    const post = (origin: string, fields: Record<string, string>) => agent.post('/bindid/confirm').type('form').set('Origin', origin).send(fields);

    const crossOrigin = await post(EVIL, { _csrf: csrf, username: FRANK.username, password: FRANK.password });
    expect(crossOrigin.status).toBe(403);
    const noToken = await post(BASE, { username: FRANK.username, password: FRANK.password });
    expect(noToken.status).toBe(403);
    const wrongToken = await post(BASE, { _csrf: `${csrf.slice(0, -1)}x`, username: FRANK.username, password: FRANK.password });
    expect(wrongToken.status).toBe(403);

    expect(checks).toEqual([]);
    expect(bindid.reports()).toEqual([]);
    expect((await agent.get('/account')).headers.location).toBe('/login');
    expect((await agent.get('/bindid/confirm')).status).toBe(200);
  });

  it('"This is not me": refused cross-origin (403), else the confirmation is gone', async () => {
    const { agent, csrf } = await atConfirmPage('not-me');
    const cancel = (origin: string) => agent.post('/bindid/confirm/cancel').type('form').set('Origin', origin).send({ _csrf: csrf });

    expect((await cancel(EVIL)).status).toBe(403);
    expect((await agent.get('/bindid/confirm')).status).toBe(200);

    const res = await cancel(BASE);
    expect([res.status, res.headers.location]).toEqual([303, '/']);
    const after = await agent.get('/bindid/confirm');
    expect(after.status).toBe(400);
    expect(after.text).not.toContain('name="password"');
    expect(checks).toEqual([]);
    expect(bindid.reports()).toEqual([]);
  });
});
