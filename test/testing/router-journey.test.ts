/**
 * `express-bindid/testing` against a real app built with `bindIdRouter` (test/helpers/flow.ts builds
 * the app; every step of the journey goes through the public helpers only).
 */
import express from 'express';
import request from 'supertest';
import { SessionFeedbackClient } from '../../src/index.js';
import { confirmWithPassword, signInWithBindId, startTestBindId, type TestBindId } from '../../src/testing/index.js';
import { FAKE_CLOCK, until } from '../helpers/fake-clock.js';
import { APP_ORIGIN, createFlow, type Flow, freshUser, type FlowOptions } from '../helpers/flow.js';

let bindid: TestBindId;
const flows: Flow[] = [];
beforeAll(async () => {
  bindid = await startTestBindId({ redirectUri: `${APP_ORIGIN}/bindid/callback` });
});
afterAll(() => bindid.close());
beforeEach(() => bindid.clearReports());
afterEach(async () => {
  jest.useRealTimers(); // after the 'slow' tests, which fake the clock
  bindid.recover();
  await Promise.all(flows.splice(0).map((flow) => flow.close()));
});

/** An app on this test's BindID. */
async function app(options: FlowOptions = {}): Promise<Flow> {
  const flow = await createFlow({ sharedEmulator: bindid.emulator, ...options });
  flows.push(flow);
  return flow;
}

describe('signInWithBindId + confirmWithPassword on bindIdRouter', () => {
  it('new user → confirm page → wrong password (no report) → right password (one report) → returning user straight in', async () => {
    const flow = await app();
    const user = freshUser();
    const agent = flow.agent();

    const callback = await signInWithBindId(agent, bindid, { identity: 'journey-1', returnTo: '/account' });
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/bindid/confirm');

    const wrong = await confirmWithPassword(agent, bindid, { username: user.username, password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(bindid.reports()).toEqual([]);

    const right = await confirmWithPassword(agent, bindid, { username: user.username, password: user.password });
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('/account');
    expect(bindid.reports()).toEqual([
      expect.objectContaining({ accepted: true, type: 'authentication_performed', alias: String(user.id), sub: bindid.emulator.subOf('journey-1') }),
    ]);
    expect((await agent.get('/whoami')).body.user).toEqual({ id: user.id, username: user.username });

    // The same identity in a new browser: BindID now sends the alias, the app signs them straight in.
    const browser = flow.agent();
    const again = await signInWithBindId(browser, bindid, { identity: 'journey-1', returnTo: '/account' });
    expect(again.headers.location).toBe('/account');
    expect((await browser.get('/whoami')).body.user).toEqual({ id: user.id, username: user.username });
    expect(bindid.reports()).toHaveLength(1);
  });

  it('without an identity every call is a BindID user the app has never seen', async () => {
    const flow = await app();
    const subs = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const agent = flow.agent();
      expect((await signInWithBindId(agent, bindid)).headers.location).toBe('/bindid/confirm');
      const user = freshUser();
      expect((await confirmWithPassword(agent, bindid, user)).status).toBe(303);
      subs.add(bindid.reports().at(-1)?.sub ?? '');
    }
    expect(subs.size).toBe(2);
  });

  it('reads the CSRF token from a custom render page (attributes reordered, unquoted or single-quoted)', async () => {
    const flow = await app({
      router: {
        render: (model, _req, res) =>
          res
            .status(model.status)
            .send(
              `<html><body><!-- <input name="_csrf" value="stale"> --><form method=post action=${model.action}>` +
                `<INPUT value='${model.csrfToken ?? ''}' TYPE=hidden name=_csrf>` +
                '<input name=username><input name="password" type="password"><button>Go</button></form></body></html>',
            ),
      },
    });
    const user = freshUser();
    const agent = flow.agent();
    await signInWithBindId(agent, bindid, { identity: 'custom-render' });
    const res = await confirmWithPassword(agent, bindid, { username: user.username, password: user.password });
    expect(res.status).toBe(303);
    expect(bindid.reports()).toEqual([expect.objectContaining({ alias: String(user.id) })]);
  });

  it('N165 throws a clear Error when the page has no CSRF field (no pending sign-in), without the password', async () => {
    const flow = await app();
    const failure = confirmWithPassword(flow.agent(), bindid, { username: 'alice', password: 'secret-password-123' });
    await expect(failure).rejects.toThrow(/GET \/bindid\/confirm \(HTTP 400\) has no input named "_csrf"/);
    await expect(failure).rejects.not.toThrow(/secret-password-123/);
  });
});

describe('signInWithBindId refuses any BindID but its own emulator', () => {
  it('N164 an app configured with another issuer (another emulator): refused before /authorize is requested', async () => {
    const other = await startTestBindId({ redirectUri: `${APP_ORIGIN}/bindid/callback` });
    try {
      const flow = await createFlow({ sharedEmulator: other.emulator });
      flows.push(flow);
      const fetchSpy = jest.spyOn(globalThis, 'fetch');
      try {
        await expect(signInWithBindId(flow.agent(), bindid, { identity: 'wrong-issuer' })).rejects.toThrow(
          `refuses to follow the app's redirect to ${new URL(other.issuer).origin}: it is not this test's BindID emulator (${new URL(bindid.issuer).origin})`,
        );
        // The app fetched its own issuer's discovery document; the helper requested nothing.
        const authorizeCalls = fetchSpy.mock.calls.filter(([url]) => String(url).includes('/authorize'));
        expect(authorizeCalls).toEqual([]);
      } finally {
        fetchSpy.mockRestore();
      }
    } finally {
      await other.close();
    }
  });

  it('N164 an app redirecting to the real BindID host: refused, nothing is contacted', async () => {
    const real = express();
    real.get('/login/bindid', (_req, res) => {
      res.redirect(303, `https://signin.bindid-sandbox.io/authorize?client_id=x&redirect_uri=${encodeURIComponent(bindid.redirectUri)}`);
    });
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    try {
      await expect(signInWithBindId(request.agent(real), bindid)).rejects.toThrow(
        "refuses to follow the app's redirect to https://signin.bindid-sandbox.io",
      );
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('an app that does not redirect: a clear Error with the status', async () => {
    const plain = express();
    plain.get('/login/bindid', (_req, res) => {
      res.send('no BindID here');
    });
    await expect(signInWithBindId(request.agent(plain), bindid)).rejects.toThrow('GET /login/bindid answered 200, not a redirect to BindID');
  });

  it("an app whose redirect_uri is not the TestBindId's: the emulator's refusal, explained", async () => {
    const flow = await app({ router: { baseUrl: 'http://localhost:4001' } });
    await expect(signInWithBindId(flow.agent(), bindid)).rejects.toThrow(
      `The app's redirect_uri (http://localhost:4001/bindid/callback) is not the redirectUri given to startTestBindId (${bindid.redirectUri})`,
    );
  });
});

describe('TestBindId.fail / recover', () => {
  /** A browser of `flow` at the confirm page of a new identity, and the local user to confirm as. */
  async function atConfirm(flow: Flow) {
    const agent = flow.agent();
    expect((await signInWithBindId(agent, bindid)).headers.location).toBe('/bindid/confirm');
    return { agent, user: freshUser() };
  }

  it("fail('down'): the confirmation fails closed with 503 ERR_BINDID_UNAVAILABLE, no report; after recover() it goes through", async () => {
    const errors: unknown[] = [];
    const flow = await app({ router: { onFeedbackError: (event) => errors.push(event.error.code) } });
    const { agent, user } = await atConfirm(flow);
    bindid.fail('down');
    const down = await confirmWithPassword(agent, bindid, user);
    expect(down.status).toBe(503);
    expect(errors).toEqual(['ERR_BINDID_UNAVAILABLE']);
    expect(bindid.reports()).toEqual([]);
    expect(bindid.emulator.reports().map((report) => report.status)).toEqual([503, 503, 503]);
    expect((await agent.get('/whoami')).body.user).toBeNull();

    bindid.recover();
    const up = await confirmWithPassword(agent, bindid, user);
    expect(up.status).toBe(303);
    expect(bindid.reports()).toHaveLength(1);
  });

  it("fail('down') in fail-open mode: signed in at once, the report queued (none received yet)", async () => {
    const flow = await app({ router: { failureMode: 'open' } });
    const { agent, user } = await atConfirm(flow);
    bindid.fail('down');
    const res = await confirmWithPassword(agent, bindid, user);
    expect(res.status).toBe(303);
    expect((await agent.get('/whoami')).body.user).toEqual({ id: user.id, username: user.username });
    expect(bindid.reports()).toEqual([]);
  });

  it("fail('unauthorized'): BindID answers 401, the app fails closed (502, ERR_BINDID_UNAUTHORIZED); reports() leaves the refused report out", async () => {
    const errors: unknown[] = [];
    const flow = await app({ router: { onFeedbackError: (event) => errors.push(event.error.code) } });
    const { agent, user } = await atConfirm(flow);
    bindid.fail('unauthorized');
    const res = await confirmWithPassword(agent, bindid, user);
    expect(res.status).toBe(502);
    expect(errors).toEqual(['ERR_BINDID_UNAUTHORIZED']);
    expect(bindid.emulator.reports()).toEqual([expect.objectContaining({ status: 401, accepted: false })]);
    expect(bindid.reports()).toEqual([]);
  });

  /**
   * The confirmation of `user` sent while BindID is slow, on Jest's fake clock (test/helpers/fake-clock.ts):
   * once the report waits at BindID (two timers then: the client's deadline and BindID's delay),
   * `after(ms)` moves the clock by `ms` and says whether the confirmation has been answered by then.
   */
  async function slowConfirm(agent: ReturnType<Flow['agent']>, user: { username: string; password: string }) {
    let answered = false;
    const answer = confirmWithPassword(agent, bindid, user).finally(() => {
      answered = true;
    });
    await until(() => jest.getTimerCount() === 2, 'the report waiting at BindID');
    return {
      answer,
      async after(ms: number): Promise<boolean> {
        await jest.advanceTimersByTimeAsync(ms);
        // Both timers still pending: nothing was released. Otherwise wait for the answer that follows.
        await until(() => answered || jest.getTimerCount() === 2, 'the answer, once a timer fired');
        return answered;
      },
    };
  }

  it("fail('slow', { delayMs }): the report arrives late but arrives", async () => {
    const flow = await app();
    const { agent, user } = await atConfirm(flow);
    bindid.fail('slow', { delayMs: 400 });
    jest.useFakeTimers(FAKE_CLOCK);
    const confirm = await slowConfirm(agent, user);
    expect(await confirm.after(399)).toBe(false);
    expect(bindid.reports()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    const res = await confirm.answer;
    expect(res.status).toBe(303);
    expect(bindid.reports()).toHaveLength(1);
  });

  it("fail('slow') waits 2 s by default: past a 1 s client deadline, 503 with ERR_BINDID_TIMEOUT", async () => {
    const errors: unknown[] = [];
    const flow = await app({
      router: {
        client: new SessionFeedbackClient({ clientSecret: bindid.clientSecret, apiUrl: bindid.apiUrl, timeoutMs: 1000 }),
        onFeedbackError: (event) => errors.push(event.error.code),
      },
    });
    const { agent, user } = await atConfirm(flow);
    bindid.fail('slow');
    jest.useFakeTimers(FAKE_CLOCK);
    const confirm = await slowConfirm(agent, user);
    expect(await confirm.after(999)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const res = await confirm.answer;
    expect(res.status).toBe(503);
    expect(errors).toEqual(['ERR_BINDID_TIMEOUT']);
  });

  it("fail('down', { endpoint: 'authorize' }): signInWithBindId cannot come back to the app and says so", async () => {
    const flow = await app();
    bindid.fail('down', { endpoint: 'authorize' });
    await expect(signInWithBindId(flow.agent(), bindid)).rejects.toThrow(
      "express-bindid/testing: the emulator's /authorize answered 503, not a redirect back to the app.",
    );
  });

  it("fail('down', { endpoint: 'token' }): the callback fails with 503 ERR_BINDID_UNAVAILABLE, no pending login", async () => {
    const flow = await app();
    bindid.fail('down', { endpoint: 'token' });
    const agent = flow.agent();
    const res = await signInWithBindId(agent, bindid);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('ERR_BINDID_UNAVAILABLE');
    await expect(confirmWithPassword(agent, bindid, freshUser())).rejects.toThrow(/has no input named "_csrf"/);
  });
});
