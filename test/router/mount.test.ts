/**
 * What `bindIdRouter` returns and how it mounts: a request handler (not an Express Router), that
 * answers its own paths and hands every other request on to the app's routes.
 */
import { bindIdRouter } from '../../src/index.js';
import { APP_ORIGIN, createFlow, type Flow, VALID_ROUTER_OPTIONS } from '../helpers/flow.js';

describe('bindIdRouter returns a request handler, not a Router', () => {
  let flow: Flow | undefined;
  afterEach(async () => {
    await flow?.close();
    flow = undefined;
  });

  it('has no Router members (no routes of the app can be added to it), only outboxWorker', () => {
    const handler = bindIdRouter(VALID_ROUTER_OPTIONS);
    expect(typeof handler).toBe('function');
    expect(handler.length).toBe(3);
    for (const member of ['use', 'get', 'post', 'route', 'handle', 'stack', 'param']) {
      expect(member in handler).toBe(false);
    }
    expect(Object.keys(handler)).toEqual(['outboxWorker']);
  });

  it('mounted at the root: answers its paths (any case, one trailing slash) and passes the rest to the app', async () => {
    flow = await createFlow({ afterRouter: (app) => app.get('/after', (_req, res) => res.send('app route')) });
    const agent = flow.agent();
    const login = await agent.get('/LOGIN/BindID/');
    expect(login.status).toBe(303);
    expect(login.headers.location).toMatch(new RegExp(`^${flow.emulator.issuer}`));
    const after = await agent.get('/after');
    expect(after.status).toBe(200);
    expect(after.text).toBe('app route');
    expect((await agent.get('/login/bindid/x')).status).toBe(404);
  });

  it('mounted under a prefix: matches the path after it, while its links stay absolute app paths (so mount it at the root)', async () => {
    flow = await createFlow({ routerPrefix: '/auth' });
    const agent = flow.agent();
    const login = await agent.get('/auth/login/bindid');
    expect(login.status).toBe(303);
    const authorize = new URL(login.headers.location as string);
    // The redirect URI is baseUrl + paths.callback: the prefix is not part of it.
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${APP_ORIGIN}/bindid/callback`);
    expect((await agent.get('/login/bindid')).status).toBe(404);
  });
});
