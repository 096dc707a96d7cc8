/**
 * Issue 14, unlink: `POST /bindid/unlink` by the signed-in user, a fresh BindID sign-in, then
 * `alias_deleted` with its access token and the link forgotten; every refusal changes nothing.
 */
import { csrfToken, ErrorCode, MemoryBindIdStore } from '../../src/index.js';
import { LinkRegistry } from '../../src/confirm/link-registry.js';
import type { UnlinkedEvent } from '../../src/flow/flow-events.js';
import { claimsFor, type Forger, trustTestKey } from '../helpers/forged-tokens.js';
import {
  type Agent,
  APP_ORIGIN,
  appPath,
  authorizeAt,
  type Flow,
  type FlowOptions,
  freshUser,
  linkAs,
  mintLogin,
  type TestUser,
  useFlowPerTest,
  whoami,
} from '../helpers/flow.js';

/** One emulator for the file, knowing erin and finn (reset at each flow: their aliases removed). */
const flows = useFlowPerTest({ shareEmulator: { identities: [{ id: 'erin', email: 'erin@example.com' }, { id: 'finn', email: 'finn@example.com' }] } });

interface Linked {
  f: Flow;
  agent: Agent;
  user: TestUser;
  sub: string;
  alias: string;
  store: MemoryBindIdStore;
  unlinked: Array<UnlinkedEvent<TestUser>>;
}

/** A flow where `erin` is linked to a fresh account and `agent` is signed in as it. */
async function linkedUser(options: FlowOptions = {}, beforeFirstSignIn?: (emulator: Flow['emulator']) => Promise<void>): Promise<Linked> {
  const store = new MemoryBindIdStore();
  const unlinked: Array<UnlinkedEvent<TestUser>> = [];
  const f = await flows.start({
    ...options,
    router: { store, onUnlinked: (e) => void unlinked.push(e), ...(options.router as object) },
    afterRouter: (app) => app.get('/csrf', (req, res) => res.json({ csrf: csrfToken(req) })),
  });
  await beforeFirstSignIn?.(f.emulator);
  const u = freshUser();
  const agent = f.agent();
  expect((await linkAs(agent, 'erin', u.username, u.password)).status).toBe(303);
  const sub = f.emulator.subOf('erin') as string;
  f.emulator.clearReports();
  return { f, agent, user: { id: u.id, username: u.username }, sub, alias: String(u.id), store, unlinked };
}

async function csrfOf(agent: Agent): Promise<string> {
  return (await agent.get('/csrf')).body.csrf as string;
}

function postUnlink(agent: Agent, fields: Record<string, string>, headers: Record<string, string> = { Origin: APP_ORIGIN }) {
  let req = agent.post('/bindid/unlink').type('form');
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return req.send(fields);
}

/** POST unlink, sign in at BindID as `identity`: the callback URL (not yet opened). */
async function unlinkAt(agent: Agent, identity: string, returnTo?: string): Promise<string> {
  const res = await postUnlink(agent, { _csrf: await csrfOf(agent), ...(returnTo ? { returnTo } : {}) });
  expect(res.status).toBe(303);
  return authorizeAt(res.headers.location as string, identity);
}

describe('POST /bindid/unlink', () => {
  it('N152 the signed-in user unlinks after a fresh BindID sign-in (prompt=login): alias_deleted on the wire, link forgotten, still signed in', async () => {
    const { f, agent, user, sub, alias, store, unlinked } = await linkedUser();
    const start = await postUnlink(agent, { _csrf: await csrfOf(agent), returnTo: '/account?tab=security' });
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.origin + authorize.pathname).toBe(`${f.emulator.issuer}/authorize`);
    expect(authorize.searchParams.get('prompt')).toBe('login');
    expect(start.headers['cache-control']).toBe('no-store');

    const done = await agent.get(appPath(await authorizeAt(authorize.href, 'erin')));
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/account?tab=security');
    expect(f.emulator.reports().map((r) => [r.type, r.alias, r.sub, r.accepted])).toEqual([['alias_deleted', alias, sub, true]]);
    expect(f.emulator.aliasOf(sub)).toBeUndefined();
    expect(await new LinkRegistry(store).isLinked(alias, sub)).toBe(false);
    expect(unlinked.map((e) => [e.user, e.alias, e.sub, e.result.status])).toEqual([[user, alias, sub, 200]]);
    expect(JSON.stringify(unlinked[0], (k, v) => (k === 'req' ? undefined : v))).not.toMatch(/access|token/i);
    expect((await whoami(agent)).user).toEqual(user);
  });

  it.each([
    ['missing', undefined],
    ['wrong', 'x'.repeat(43)],
  ])('N153 a %s CSRF token is refused (ERR_BINDID_CSRF, 403): no BindID sign-in started, nothing sent', async (_name, token) => {
    const { f, agent, alias, sub } = await linkedUser();
    await csrfOf(agent);
    const res = await postUnlink(agent, token === undefined ? {} : { _csrf: token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(ErrorCode.CSRF);
    expect((await whoami(agent)).session.bindid).not.toHaveProperty('auth');
    expect(f.emulator.reports()).toEqual([]);
    expect(f.emulator.aliasOf(sub)).toBe(alias);
  });

  it('N153 a cross-site POST with the right token is refused (ERR_BINDID_CSRF, 403)', async () => {
    const { agent } = await linkedUser();
    const res = await postUnlink(agent, { _csrf: await csrfOf(agent) }, { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(ErrorCode.CSRF);
  });

  it('N154 a visitor who is not signed in is refused (ERR_BINDID_NOT_AUTHENTICATED, 401), CSRF token or not', async () => {
    const { f } = await linkedUser();
    const visitor = f.agent();
    const res = await postUnlink(visitor, { _csrf: await csrfOf(visitor) });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(ErrorCode.NOT_AUTHENTICATED);
    expect((await whoami(visitor)).session.bindid).not.toHaveProperty('auth');
  });

  it('N155 another BindID user at the fresh sign-in is ERR_BINDID_UNLINK_MISMATCH (403): nothing sent, nothing forgotten', async () => {
    const { f, agent, user, alias, sub, store, unlinked } = await linkedUser();
    const res = await agent.get(appPath(await unlinkAt(agent, 'finn')));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(ErrorCode.UNLINK_MISMATCH);
    expect(f.emulator.reports()).toEqual([]);
    expect(f.emulator.aliasOf(sub)).toBe(alias);
    expect(await new LinkRegistry(store).isLinked(alias, sub)).toBe(true);
    expect(unlinked).toEqual([]);
    expect((await whoami(agent)).user).toEqual(user);
  });

  it('N155 another account signed in between the start and the callback is ERR_BINDID_UNLINK_MISMATCH: nothing sent', async () => {
    // The app's own login switched this browser session to another account while BindID was open.
    const switchUser: FlowOptions['beforeRouter'] = [
      (req, _res, next) => {
        const id = req.get('x-test-switch-user');
        if (id) req.user = { id: Number(id), username: 'someone-else' };
        next();
      },
    ];
    const { f, agent, alias, sub } = await linkedUser({ beforeRouter: switchUser });
    const callback = await unlinkAt(agent, 'erin');
    const res = await agent.get(appPath(callback)).set('X-Test-Switch-User', String(freshUser().id));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(ErrorCode.UNLINK_MISMATCH);
    expect(f.emulator.reports()).toEqual([]);
    expect(f.emulator.aliasOf(sub)).toBe(alias);
  });

  it('N156 a replayed unlink callback is refused: one alias_deleted only', async () => {
    const { f, agent } = await linkedUser();
    const callback = await unlinkAt(agent, 'erin');
    expect((await agent.get(appPath(callback))).status).toBe(303);
    const replay = await agent.get(appPath(callback));
    expect(replay.status).toBe(400);
    expect([ErrorCode.LOGIN_STATE_MISSING, ErrorCode.CALLBACK_INVALID]).toContain(replay.body.code);
    expect(f.emulator.reports().map((r) => r.type)).toEqual(['alias_deleted']);
  });

  it('N156 a burst of the same unlink callback whose code BindID would accept every time: the state decides, one alias_deleted', async () => {
    let forger: Forger | undefined;
    const { f, agent, alias, sub } = await linkedUser({}, async (emulator) => {
      forger = await trustTestKey(emulator);
    });
    const start = await postUnlink(agent, { _csrf: await csrfOf(agent) });
    const authorize = new URL(start.headers.location as string);
    const callback = appPath(await authorizeAt(authorize.href, 'erin'));
    // BindID's single-use code is taken out of the picture: /token answers every exchange, with a real token of erin.
    const ctx = { nonce: authorize.searchParams.get('nonce') ?? '', issuer: f.emulator.issuer, clientId: f.emulator.clientId };
    const idToken = await (forger as Forger).sign(claimsFor(ctx, { sub, bindid_alias: alias }));
    const { accessToken } = await mintLogin(f.emulator, 'erin');
    const body = JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600, id_token: idToken });
    f.emulator.setFault('token', { status: 200, times: 6, body });
    const answers = await Promise.all(Array.from({ length: 6 }, () => agent.get(callback)));
    expect(answers.map((r) => r.status).sort()).toEqual([303, 400, 400, 400, 400, 400]);
    expect(f.emulator.reports().map((r) => [r.type, r.accepted])).toEqual([['alias_deleted', true]]);
  });

  it('N157 BindID down at the report: ERR_BINDID_UNAVAILABLE (503), the link is not forgotten, the user stays signed in', async () => {
    const { f, agent, user, alias, sub, store, unlinked } = await linkedUser({ router: { failureMode: 'open' } });
    const callback = await unlinkAt(agent, 'erin');
    f.emulator.setFault('session-feedback', { status: 503 });
    const res = await agent.get(appPath(callback));
    expect(res.status).toBe(503);
    expect(res.body.code).toBe(ErrorCode.UNAVAILABLE);
    f.emulator.clearFaults();
    expect(f.emulator.aliasOf(sub)).toBe(alias);
    expect(await new LinkRegistry(store).isLinked(alias, sub)).toBe(true);
    expect(unlinked).toEqual([]);
    expect((await whoami(agent)).user).toEqual(user);
  });
});

/** The library's store whose deleteIf fails once `failing` is set (the link registry cannot forget). */
class FailingForget extends MemoryBindIdStore {
  failing = false;
  override async deleteIf(key: string, value: string): Promise<boolean> {
    if (this.failing) throw new Error('store write failed');
    return super.deleteIf(key, value);
  }
}

describe('an unlink BindID applied but the link registry could not forget', () => {
  it('N157 the unlink ends at returnTo with alias_deleted sent, but no onUnlinked: the app hears of no unlink that did not forget the link', async () => {
    const store = new FailingForget();
    const { f, agent, user, alias, sub, unlinked } = await linkedUser({ router: { store } });
    const callback = await unlinkAt(agent, 'erin', '/account');
    store.failing = true;
    const res = await agent.get(appPath(callback));
    store.failing = false;
    expect([res.status, res.headers.location]).toEqual([303, '/account']);
    expect(f.emulator.reports().map((r) => [r.type, r.alias, r.accepted])).toEqual([['alias_deleted', alias, true]]);
    expect(await new LinkRegistry(store).isLinked(alias, sub)).toBe(true);
    expect(unlinked).toEqual([]);
    expect((await whoami(agent)).user).toEqual(user);
  });
});

describe('a throwing onUnlinked hook', () => {
  it('N152 the unlink goes on, and the warning names the onUnlinked hook', async () => {
    const warnings: string[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((message: string) => {
      warnings.push(message);
    }) as typeof process.emitWarning);
    try {
      const { f, agent, sub } = await linkedUser({
        router: {
          onUnlinked: () => {
            throw new TypeError('app bug');
          },
        },
      });
      const res = await agent.get(appPath(await unlinkAt(agent, 'erin', '/account')));
      expect([res.status, res.headers.location]).toEqual([303, '/account']);
      expect(f.emulator.aliasOf(sub)).toBeUndefined();
      expect(warnings).toEqual([expect.stringContaining('the onUnlinked hook threw TypeError')]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('N187 an unlink needs proof of a fresh BindID authentication (issue 23 item 5b)', () => {
  it('N187 the unlink asks BindID for a new authentication: prompt=login and max_age=0, over the app\'s own prompt', async () => {
    const { f, agent } = await linkedUser({ router: { authorizationParams: { prompt: 'select_account' } } });
    const start = await postUnlink(agent, { _csrf: await csrfOf(agent) });
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.origin + authorize.pathname).toBe(`${f.emulator.issuer}/authorize`);
    expect(authorize.searchParams.getAll('max_age')).toEqual(['0']);
    expect(authorize.searchParams.getAll('prompt')).toEqual(['login']);
    // A plain sign-in keeps the app's parameters and asks for no max_age.
    const login = new URL((await f.agent().get('/login/bindid')).headers.location as string);
    expect([login.searchParams.get('prompt'), login.searchParams.get('max_age')]).toEqual(['select_account', null]);
  });

  // One clock for the app and BindID: the unlink starts at `t0` and BindID authenticates at `t0`, unless told otherwise.
  const t0 = Date.now();
  const sameClock = { router: { now: () => t0 }, emulator: { now: () => t0, identities: [{ id: 'erin' }, { id: 'finn' }] } };

  it.each([
    ['31 s before the unlink started (the clock tolerance is 30 s)', { staleAuthTime: 31 }],
    ['an hour before the unlink started', { staleAuthTime: 3600 }],
    ['absent', { omitAuthTime: true }],
  ])('N187 an ID token whose auth_time is %s: ERR_BINDID_UNLINK_NOT_FRESH (401) to the error handler once; nothing sent, the link stays, no onUnlinked', async (_name, fault) => {
    const errors: unknown[] = [];
    const { f, agent, user, alias, sub, store, unlinked } = await linkedUser({ ...sameClock, errors });
    const callback = await unlinkAt(agent, 'erin');
    f.emulator.setFault('token', { ...fault, times: 1 });
    const res = await agent.get(appPath(callback));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(ErrorCode.UNLINK_NOT_FRESH);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual([ErrorCode.UNLINK_NOT_FRESH]);
    expect(f.emulator.reports()).toEqual([]);
    expect(f.emulator.aliasOf(sub)).toBe(alias);
    expect(await new LinkRegistry(store).isLinked(alias, sub)).toBe(true);
    expect(unlinked).toEqual([]);
    expect((await whoami(agent)).user).toEqual(user);
  });

  it('N187 auth_time within the clock tolerance (30 s before the start) is fresh: the unlink goes through', async () => {
    const { f, agent, alias, sub, store, unlinked } = await linkedUser(sameClock);
    const callback = await unlinkAt(agent, 'erin');
    f.emulator.setFault('token', { staleAuthTime: 30, times: 1 });
    expect((await agent.get(appPath(callback))).status).toBe(303);
    expect(f.emulator.reports().map((r) => [r.type, r.alias, r.accepted])).toEqual([['alias_deleted', alias, true]]);
    expect(await new LinkRegistry(store).isLinked(alias, sub)).toBe(false);
    expect(unlinked).toHaveLength(1);
  });

  it('N187 after a refused unlink, unlinking again with a fresh sign-in works', async () => {
    const { f, agent, alias, sub, unlinked } = await linkedUser(sameClock);
    f.emulator.setFault('token', { staleAuthTime: 600, times: 1 });
    expect((await agent.get(appPath(await unlinkAt(agent, 'erin')))).status).toBe(401);
    expect((await agent.get(appPath(await unlinkAt(agent, 'erin')))).status).toBe(303);
    expect(f.emulator.reports().map((r) => [r.type, r.alias, r.sub])).toEqual([['alias_deleted', alias, sub]]);
    expect(unlinked).toHaveLength(1);
  });
});
