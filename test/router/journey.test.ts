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
  sessionCookie,
  startLogin,
  submitConfirm,
  whoami,
} from '../helpers/flow.js';

let flow: Flow;
const verifyCalls: string[] = [];

beforeAll(async () => {
  // Several BindID identities confirm as the same local users here; alias conflicts have their own tests.
  flow = await createFlow({ verifyCalls, emulator: { aliasConflict: 'allow' } });
});
afterAll(() => flow.close());
beforeEach(() => {
  flow.emulator.clearReports();
  flow.emulator.clearFaults();
  verifyCalls.length = 0;
});

describe('first BindID sign-in of a new user, then a returning sign-in', () => {
  it('walks the whole journey: confirm page, wrong password, right password, then straight in', async () => {
    const agent = flow.agent();
    const identity = 'alice';
    flow.emulator.setAlias(flow.emulator.subOf(identity) ?? '', undefined);

    // 1. BindID knows nobody here: the callback parks the login and sends the browser to confirm.
    const callback = await bindIdSignIn(agent, identity, '/account?tab=security');
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/bindid/confirm');
    expect((await whoami(agent)).user).toBeNull();

    // 2. The confirm page: a form with autocomplete, a CSRF token and the BindID email.
    const { res: page, csrf } = await confirmPage(agent);
    expect(page.status).toBe(200);
    expect(page.text).toContain('autocomplete="username"');
    expect(page.text).toContain('autocomplete="current-password"');
    expect(page.text).toContain('BindID account: alice@example.com');
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');

    // 3. A wrong password: one generic message, nothing sent to BindID, nobody logged in.
    const wrong = await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('role="alert"');
    expect(wrong.text).toContain('Invalid username or password.');
    expect(flow.emulator.reports()).toHaveLength(0);
    expect((await whoami(agent)).user).toBeNull();

    // 4. The right password: exactly one valid report, alias = the user's id; logged in at returnTo.
    const sentFrom = Math.floor(Date.now() / 1000);
    const right = await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: 'alice-password' });
    const sentBy = Math.floor(Date.now() / 1000);
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('/account?tab=security');
    const reports = flow.emulator.reports();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      accepted: true,
      type: 'authentication_performed',
      alias: '1',
      sub: flow.emulator.subOf(identity),
      headerForm: 'token-and-hmac',
    });
    // The report's time is the confirmation's, in whole seconds: between the POST and its answer.
    expect(reports[0]?.time).toBeGreaterThanOrEqual(sentFrom);
    expect(reports[0]?.time).toBeLessThanOrEqual(sentBy);
    const me = await whoami(agent);
    expect(me.user).toEqual({ id: 1, username: 'alice' });
    expect(me.session.bindid ?? {}).not.toHaveProperty('pending');

    // 5. Sign out (new agent = new browser), BindID again: straight in by alias, no confirm page.
    const again = flow.agent();
    const direct = await bindIdSignIn(again, identity, '/account');
    expect(direct.status).toBe(303);
    expect(direct.headers.location).toBe('/account');
    expect((await whoami(again)).user).toEqual({ id: 1, username: 'alice' });
    expect(flow.emulator.reports()).toHaveLength(1);
  });

  it('the confirmed user is the one whose password was typed, whatever the BindID identity', async () => {
    const agent = flow.agent();
    const u = freshUser();
    const final = await linkAs(agent, 'new', u.username, u.password);
    expect(final.status).toBe(303);
    expect((await whoami(agent)).user).toEqual({ id: u.id, username: u.username });
    expect(flow.emulator.reports()[0]?.alias).toBe(String(u.id));
  });

  it('returnTo falls back to / for another origin, and defaults to / when absent', async () => {
    const agent = flow.agent();
    const u = freshUser();
    const final = await linkAs(agent, 'new', u.username, u.password, 'https://evil.example/steal');
    expect(final.headers.location).toBe('/');
  });
});

describe('cancel ("not me")', () => {
  it('discards the pending login; the confirm page then says to start again', async () => {
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    const cancel = await agent.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: csrf });
    expect(cancel.status).toBe(303);
    expect(cancel.headers.location).toBe('/');
    const after = await confirmPage(agent);
    expect(after.res.status).toBe(400);
    expect(after.res.text).toContain('This sign-in can no longer be confirmed');
    // The whole session was renewed: the old form (and its CSRF token) is dead.
    const submit = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(submit.status).toBe(403);
    expect(flow.emulator.reports()).toHaveLength(0);
    expect(verifyCalls).toHaveLength(0);
  });
});

describe('callback failures store nothing', () => {
  it('a callback this session did not start is ERR_BINDID_LOGIN_STATE_MISSING', async () => {
    const starter = flow.agent();
    const callback = await authorizeAt(await startLogin(starter), 'new');
    const stranger = flow.agent();
    const res = await stranger.get(appPath(callback));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_BINDID_LOGIN_STATE_MISSING');
    expect((await confirmPage(stranger)).res.status).toBe(400);
  });

  it('a mismatched state is ERR_BINDID_CALLBACK_INVALID and the transaction is used up', async () => {
    const agent = flow.agent();
    const callback = new URL(await authorizeAt(await startLogin(agent), 'new'));
    callback.searchParams.set('state', 'forged-state');
    const res = await agent.get(appPath(callback.href));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_BINDID_CALLBACK_INVALID');
    expect((await confirmPage(agent)).res.status).toBe(400);
  });

  it('cancelling at BindID is ERR_BINDID_ACCESS_DENIED', async () => {
    const agent = flow.agent();
    const callback = await authorizeAt(await startLogin(agent), 'cancel');
    const res = await agent.get(appPath(callback));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ERR_BINDID_ACCESS_DENIED');
    expect((await whoami(agent)).session.bindid ?? {}).not.toHaveProperty('pending');
  });

  it('an alias that maps to no user is refused (ERR_BINDID_UNKNOWN_ALIAS), nobody is created', async () => {
    const agent = flow.agent();
    flow.emulator.setAlias(flow.emulator.subOf('bob') ?? '', '999');
    const res = await bindIdSignIn(agent, 'bob');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ERR_BINDID_UNKNOWN_ALIAS');
    expect((await whoami(agent)).user).toBeNull();
    flow.emulator.setAlias(flow.emulator.subOf('bob') ?? '', undefined);
  });

  it('BindID token endpoint down is ERR_BINDID_UNAVAILABLE (503)', async () => {
    const agent = flow.agent();
    const callback = await authorizeAt(await startLogin(agent), 'new');
    flow.emulator.setFault('token', { status: 503, times: 1 });
    const res = await agent.get(appPath(callback));
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('ERR_BINDID_UNAVAILABLE');
  });
});

describe('session ids change at each privilege step', () => {
  it('callback and confirm each issue a new session id; the old ones are anonymous', async () => {
    const agent = flow.agent();
    const start = await agent.get('/login/bindid');
    const first = sessionCookie(start);
    const callback = await agent.get(appPath(await authorizeAt(start.headers.location as string, 'new')));
    const second = sessionCookie(callback);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    const done = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    const third = sessionCookie(done);
    expect(third).toBeDefined();
    expect(third).not.toBe(second);
    // Replaying the pre-confirm cookie: no pending login there any more, and not logged in.
    const replay = await flow.agent().get('/whoami').set('Cookie', second as string);
    expect(replay.body.user).toBeNull();
  });
});

describe('the confirm POST', () => {
  it('without the CSRF token is 403 ERR_BINDID_CSRF; verify is not called, nothing is sent', async () => {
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    const res = await submitConfirm(agent, { username: 'alice', password: 'alice-password' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ERR_BINDID_CSRF');
    expect(verifyCalls).toHaveLength(0);
    expect(flow.emulator.reports()).toHaveLength(0);
  });

  it('marked cross-site by Fetch Metadata, or from another Origin, is refused even with the token', async () => {
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    const fields = { _csrf: csrf, username: u.username, password: u.password };
    expect((await submitConfirm(agent, fields, { 'Sec-Fetch-Site': 'cross-site', Origin: APP_ORIGIN })).status).toBe(403);
    expect((await submitConfirm(agent, fields, { Origin: 'https://evil.example' })).status).toBe(403);
    expect(flow.emulator.reports()).toHaveLength(0);
    // The legitimate request still works afterwards.
    expect((await submitConfirm(agent, fields)).status).toBe(303);
  });

  it('fails closed when BindID is down: nobody logged in, pending kept, a retry then succeeds', async () => {
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    flow.emulator.setFault('session-feedback', { status: 500 });
    const down = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(down.status).toBe(503);
    expect(down.text).toContain('BindID could not be reached');
    expect((await whoami(agent)).user).toBeNull();
    flow.emulator.clearFaults();
    const retry = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(retry.status).toBe(303);
    expect((await whoami(agent)).user).toEqual({ id: u.id, username: u.username });
  });

  it('BindID refusing the token (401) ends the pending login', async () => {
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    flow.emulator.expireAccessTokens();
    const res = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(res.status).toBe(502);
    expect((await whoami(agent)).user).toBeNull();
    expect((await confirmPage(agent)).res.status).toBe(400);
  });

  it('is replay-safe: the same successful POST again sends no second report', async () => {
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    const fields = { _csrf: csrf, username: u.username, password: u.password };
    expect((await submitConfirm(agent, fields)).status).toBe(303);
    const replay = await submitConfirm(agent, fields);
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(flow.emulator.reports().filter((r) => r.accepted)).toHaveLength(1);
  });
});

describe('paths the router does not own', () => {
  it('go straight on to the app, for every method; its own paths match like an Express route (any case, one trailing slash)', async () => {
    const seen: string[] = [];
    const f = await createFlow();
    try {
      // After the router (and the flow's own routes): sees what the router passed on.
      f.app.use((req, res, next) => {
        if (!req.path.startsWith('/elsewhere')) return next();
        seen.push(`${req.method} ${req.path}`);
        res.status(204).end();
      });
      const agent = f.agent();
      expect((await agent.get('/elsewhere')).status).toBe(204);
      expect((await agent.post('/elsewhere/bindid/confirm')).status).toBe(204);
      expect(seen).toEqual(['GET /elsewhere', 'POST /elsewhere/bindid/confirm']);
      // The router's own paths, spelled as Express routes accept them.
      for (const path of ['/login/bindid', '/LOGIN/BindID', '/login/bindid/']) {
        const res = await agent.get(path);
        expect(res.status).toBe(303);
        expect(res.headers.location).toMatch(new RegExp(`^${f.emulator.issuer}/authorize\\?`));
      }
      expect((await agent.get('/Bindid/Confirm/')).status).toBe(400); // nothing pending: the expired page
      expect((await agent.get('/login/bindid//')).status).toBe(404); // two slashes: not a route of the router
    } finally {
      await f.close();
    }
  });
});
