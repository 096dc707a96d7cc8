/**
 * Attempt limits under concurrent requests (N125–N128): a burst of confirm POSTs sent at once with
 * one session cookie and CSRF token must not get more password checks than the limits allow, on the
 * router and on the middleware path, whatever the username field is called.
 *
 * Deterministic: the test's verify blocks on a gate, so the attempts that were let through hang in
 * it; once every other request of the burst has answered (refused) or is hanging too, the right
 * password is sent; then the gate opens.
 */
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import { createLocalStrategy } from '../../src/index.js';
import { createMiddlewareApp } from '../helpers/middleware-app.js';
import type { LinkFailedEvent } from '../../src/flow/flow-events.js';
import {
  APP_ORIGIN,
  type Agent,
  bindIdSignIn,
  confirmPage,
  type Flow,
  freshUser,
  submitConfirm,
  type TestUser,
  useFlowPerTest,
  whoami,
} from '../helpers/flow.js';

const { start, verifyCalls } = useFlowPerTest();

/** A verify that holds every call until `open()`, counting the calls that are held. */
function gatedVerify(check: (username: string, password: string) => TestUser | false) {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const gated = { held: 0, calls: [] as string[], open: () => open() };
  const verify = async (username: string, password: string): Promise<TestUser | false> => {
    gated.calls.push(username);
    gated.held++;
    await gate;
    return check(username, password);
  };
  return { gated, verify };
}

/** Wait until `check()` (polling), failing after 100 s (a guard against a hang, even on a busy machine). */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 100_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Send all `requests` at once; resolves when each has answered or is held in verify; `all` resolves their answers. */
async function burst<T>(requests: Array<() => PromiseLike<T>>, held: () => number) {
  let answered = 0;
  const all = Promise.all(
    requests.map(async (send) => {
      const res = await send();
      answered++;
      return res;
    }),
  );
  await until('every request answered or held in verify', () => answered + held() >= requests.length);
  return { all };
}

/** A promise's settlement, as a flag (supertest's Test is a thenable, not a Promise). */
function tracked<T>(pending: PromiseLike<T>): { done: () => boolean; result: Promise<T> } {
  let done = false;
  const result = Promise.resolve(pending).finally(() => {
    done = true;
  });
  return { done: () => done, result };
}

const same = (a: string, b: string) => a.normalize('NFKC').trim().toLowerCase() === b.normalize('NFKC').trim().toLowerCase();

/** A browser at the confirm page of a fresh BindID identity. */
async function pendingAt(f: Flow): Promise<{ agent: Agent; csrf: string }> {
  const agent = f.agent();
  await bindIdSignIn(agent, 'new');
  return { agent, csrf: (await confirmPage(agent)).csrf };
}

describe('N. Attempt limits under concurrent requests', () => {
  it('N125 a burst of 100 wrong passwords and the right one on one pending login (same cookie and CSRF token): at most maxAttempts checks, the right one does not sign in, no report', async () => {
    const u = freshUser();
    const { gated, verify } = gatedVerify((name, password) => (name === u.username && password === u.password ? { id: u.id, username: name } : false));
    const failed: LinkFailedEvent[] = [];
    const f = await start({
      verify,
      router: { maxAttempts: 5, attemptLimits: { perAccount: 1000, perIp: 1000 }, onLinkFailed: (e) => void failed.push(e) },
    });
    const { agent, csrf } = await pendingAt(f);
    const wrong = Array.from({ length: 100 }, (_, i) => () => submitConfirm(agent, { _csrf: csrf, username: u.username, password: `wrong-${i}` }));
    const sent = await burst(wrong, () => gated.held);
    const right = tracked(submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password }));
    await until('the right password answered or held', () => right.done() || gated.held > 5).finally(gated.open);
    const answers = [...(await sent.all), await right.result];

    expect(verifyCalls.length).toBeLessThanOrEqual(5);
    expect(answers.filter((r) => r.status === 303)).toHaveLength(0);
    expect((await whoami(agent)).user).toBeNull();
    expect(f.emulator.reports()).toHaveLength(0);
    expect(failed.filter((e) => e.reason === 'too_many_attempts')).toHaveLength(1);
  });

  it('N126 several pending logins bursting one username (case and whitespace variants): at most perAccount checks in the window; the right password after the limit never signs in', async () => {
    const u = freshUser();
    const { gated, verify } = gatedVerify((name, password) => (name === u.username && password === u.password ? { id: u.id, username: name } : false));
    const f = await start({ verify, router: { maxAttempts: 5, attemptLimits: { perAccount: 10, perIp: 1000 } } });
    const browsers = await Promise.all(Array.from({ length: 6 }, () => pendingAt(f)));
    const spellings = [u.username, u.username.toUpperCase(), ` ${u.username} `, `${u.username}\t`, u.username.replace(/^./, (c) => c.toUpperCase())];
    const wrong = browsers.flatMap(({ agent, csrf }, b) =>
      spellings.map((spelling, i) => () => submitConfirm(agent, { _csrf: csrf, username: spelling, password: `wrong-${b}-${i}` })),
    );
    const sent = await burst(wrong, () => gated.held);
    const rights = browsers.map(({ agent, csrf }) => tracked(submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })));
    await until('the right passwords answered or held', () => gated.held > 10 || rights.every((r) => r.done())).finally(gated.open);
    await sent.all;
    const rightAnswers = await Promise.all(rights.map((r) => r.result));

    expect(verifyCalls.filter((name) => same(name, u.username)).length).toBeLessThanOrEqual(10);
    expect(rightAnswers.map((r) => r.status).filter((s) => s === 303)).toEqual([]);
    for (const { agent } of browsers) expect((await whoami(agent)).user).toBeNull();
    expect(f.emulator.reports()).toHaveLength(0);
  });

  it('N128 usernameField "email": the per-account and per-IP limits still apply to a form posting `email`', async () => {
    const calls: string[] = [];
    const accounts = new Map([
      ['ann@example.com', { id: 3001, password: 'ann-password' }],
      ['ben@example.com', { id: 3002, password: 'ben-password' }],
    ]);
    const emailStrategy = (name: string) =>
      createLocalStrategy<TestUser>({
        name,
        usernameField: 'email',
        verify: (email, password) => {
          calls.push(email);
          const user = accounts.get(email);
          return user && user.password === password ? { id: user.id, username: email } : false;
        },
      });
    const post = (p: { agent: Agent; csrf: string }, email: string, password: string) =>
      p.agent.post('/bindid/confirm').type('form').set('Origin', APP_ORIGIN).send({ _csrf: p.csrf, email, password });

    // Per account: three failures for ann (spelled differently) from fresh BindID sign-ins lock her.
    const f = await start({
      passport: (p) => void p.use(emailStrategy('email-local')),
      router: { strategy: 'email-local', maxAttempts: 10, attemptLimits: { perAccount: 3, perIp: 1000 } },
    });
    for (const email of ['ann@example.com', 'ANN@example.com', ' ann@example.com ']) {
      expect((await post(await pendingAt(f), email, 'wrong')).status).toBe(401);
    }
    const locked = await post(await pendingAt(f), 'ann@example.com', 'ann-password');
    expect(locked.status).toBe(401);
    expect(locked.text).toContain('Invalid username or password.');
    expect(calls).toHaveLength(3);

    // Per IP: three failures for other addresses, then ben's right password from the same client.
    calls.length = 0;
    const g = await start({
      passport: (p) => void p.use(emailStrategy('email-local-ip')),
      router: { strategy: 'email-local-ip', maxAttempts: 10, attemptLimits: { perAccount: 1000, perIp: 3 } },
    });
    for (const email of ['x1@example.com', 'x2@example.com', 'x3@example.com']) {
      expect((await post(await pendingAt(g), email, 'wrong')).status).toBe(401);
    }
    expect((await post(await pendingAt(g), 'ben@example.com', 'ben-password')).status).toBe(401);
    expect(calls).toHaveLength(3);
    expect(g.emulator.reports()).toHaveLength(0);
  });
});

describe('N127 the middleware path (createLocalStrategy, then sendAuthenticationPerformed; defaults maxAttempts 5, perAccount 10)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ redirectUris: [`${APP_ORIGIN}/bindid/callback`] });
  });
  afterAll(() => emulator.close());

  const alice = { id: 1, username: 'alice', password: 'alice-password' };
  const check = (name: string, password: string) => (name === alice.username && password === alice.password ? { id: alice.id, username: name } : false);

  /** An app as examples/own-callback mounts the pieces (test/helpers/middleware-app.ts), checking passwords with `verify`. */
  const ownCallbackApp = (verify: (username: string, password: string) => Promise<TestUser | false>) =>
    createMiddlewareApp(emulator, {}, verify);
  const confirm = (agent: Agent, username: string, password: string) => agent.post('/confirm').type('form').send({ username, password });

  it('N127 a burst of 100 wrong passwords and the right one on one pending login: at most maxAttempts checks, the right one does not sign in, no report', async () => {
    const { gated, verify } = gatedVerify(check);
    const { agent, sub } = await ownCallbackApp(verify).browser();
    const wrong = Array.from({ length: 100 }, (_, i) => () => confirm(agent, alice.username, `wrong-${i}`));
    const sent = await burst(wrong, () => gated.held);
    const right = tracked(confirm(agent, alice.username, alice.password));
    await until('the right password answered or held', () => right.done() || gated.held > 5).finally(gated.open);
    const answers = [...(await sent.all), await right.result];

    expect(gated.calls.length).toBeLessThanOrEqual(5);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(0);
    expect((await agent.get('/whoami')).body.user).toBeNull();
    expect(emulator.reports().filter((r) => r.sub === sub)).toHaveLength(0);
  });

  it('N127 several pending logins bursting one username (variants): at most perAccount checks; the right password after the limit never signs in', async () => {
    const { gated, verify } = gatedVerify(check);
    const app = ownCallbackApp(verify);
    const browsers = await Promise.all(Array.from({ length: 5 }, () => app.browser()));
    const spellings = ['alice', 'ALICE', ' alice ', 'Alice', 'alice\t'];
    const wrong = browsers.flatMap(({ agent }, b) => spellings.map((spelling, i) => () => confirm(agent, spelling, `wrong-${b}-${i}`)));
    const sent = await burst(wrong, () => gated.held);
    const rights = browsers.map(({ agent }) => tracked(confirm(agent, alice.username, alice.password)));
    await until('the right passwords answered or held', () => gated.held > 10 || rights.every((r) => r.done())).finally(gated.open);
    await sent.all;
    const rightAnswers = await Promise.all(rights.map((r) => r.result));

    expect(gated.calls.length).toBeLessThanOrEqual(10);
    expect(rightAnswers.filter((r) => r.status === 200)).toHaveLength(0);
    for (const { agent } of browsers) expect((await agent.get('/whoami')).body.user).toBeNull();
    const subs = new Set(browsers.map((b) => b.sub));
    expect(emulator.reports().filter((r) => r.sub !== undefined && subs.has(r.sub))).toHaveLength(0);
  });
});
