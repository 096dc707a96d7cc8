/// <reference types="jest" />
/**
 * The example app's own test, written the way an app using express-bindid tests itself: supertest,
 * and a local BindID from `express-bindid/testing`. Nothing leaves 127.0.0.1.
 */
import { confirmWithPassword, signInWithBindId, startTestBindId, type TestBindId } from 'express-bindid/testing';
import request from 'supertest';
import { createApp } from './app.js';
import { UserStore } from './users.js';

const baseUrl = 'http://localhost:3000';
const demo = { username: 'demo', password: 'correct horse battery staple' };
const carol = { username: 'carol', password: 'carol-password' };

let bindid: TestBindId;
let users: UserStore;
let app: ReturnType<typeof createApp>;
const logged: string[] = [];

beforeAll(async () => {
  bindid = await startTestBindId({ redirectUri: `${baseUrl}/bindid/callback` });
  users = new UserStore();
  await users.add(demo.username, demo.password, 'Demo User');
  await users.add(carol.username, carol.password);
  app = createApp({ ...bindid.options, baseUrl, sessionSecret: 'test-only-session-secret', users });
  // The example logs links (where it would email the owner) and failed requests.
  for (const level of ['log', 'error'] as const) {
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.join(' '));
    });
  }
});
afterAll(async () => {
  jest.restoreAllMocks();
  await bindid.close();
});
beforeEach(() => {
  bindid.clearReports();
  logged.length = 0;
});
afterEach(() => bindid.recover());

describe('Sign in with BindID', () => {
  it('new BindID user → wrong password (no report) → right password (one report) → returning user straight in', async () => {
    const agent = request.agent(app);
    const callback = await signInWithBindId(agent, bindid, { identity: 'alice', returnTo: '/account' });
    expect(callback.headers.location).toBe('/bindid/confirm');

    const wrong = await confirmWithPassword(agent, bindid, { username: demo.username, password: 'not my password' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Invalid username or password.');
    expect(bindid.reports()).toHaveLength(0);

    const right = await confirmWithPassword(agent, bindid, demo);
    expect(right.headers.location).toBe('/account');
    expect(bindid.reports()).toEqual([expect.objectContaining({ type: 'authentication_performed', alias: '1' })]);
    expect(logged).toEqual(['BindID linked to user 1 (demo); the owner would get an email here.']);
    expect((await agent.get('/account')).text).toContain('Username: <strong>demo</strong>');

    // Another browser, the same BindID user: no password this time.
    const browser = request.agent(app);
    const again = await signInWithBindId(browser, bindid, { identity: 'alice', returnTo: '/account' });
    expect(again.headers.location).toBe('/account');
    expect((await browser.get('/account')).text).toContain('Username: <strong>demo</strong>');
    expect(bindid.reports()).toHaveLength(1);
  });

  it('BindID down while a new user confirms: 503 "try again", nobody signed in; the password works once BindID is back', async () => {
    const agent = request.agent(app);
    expect((await signInWithBindId(agent, bindid, { identity: 'carol-bindid', returnTo: '/account' })).headers.location).toBe('/bindid/confirm');

    bindid.fail('down');
    const down = await confirmWithPassword(agent, bindid, carol);
    expect(down.status).toBe(503);
    expect(down.text).toContain('Confirm your account');
    expect(bindid.reports()).toHaveLength(0);
    expect((await agent.get('/account')).headers.location).toBe('/login');

    bindid.recover();
    const up = await confirmWithPassword(agent, bindid, carol);
    expect(up.headers.location).toBe('/account');
    expect(bindid.reports()).toHaveLength(1);
  });

  it("BindID's sign-in down: the callback answers 503 and logs ERR_BINDID_UNAVAILABLE", async () => {
    bindid.fail('down', { endpoint: 'token' });
    const agent = request.agent(app);
    const res = await signInWithBindId(agent, bindid, { identity: 'alice', returnTo: '/account' });
    expect(res.status).toBe(503);
    expect(logged).toEqual(['request failed: ERR_BINDID_UNAVAILABLE']);
    expect((await agent.get('/account')).headers.location).toBe('/login');
  });
});
