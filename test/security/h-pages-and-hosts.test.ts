/**
 * Checklist H, where the credentials go (reliability §3.7; cases 66 and 68): nothing the browser
 * receives (pages, redirects, headers, cookies) holds the access token, the client secret or the
 * HMAC; and on the network the client secret goes only to BindID's token endpoint and the access
 * token (with its HMAC) only to the configured API host, whatever redirects try to send them
 * elsewhere; a proxy the environment names sees them only as it is meant to (test/http/ shows the
 * CONNECT tunnel).
 */
import type request from 'supertest';
import type { ConfirmPageModel } from '../../src/index.js';
import { FakeBindId, reply } from '../helpers/fake-bindid.js';
import { hmac, SECRET } from '../helpers/feedback.js';
import {
  appPath,
  authorizeAt,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  freshUser,
  pendingAccessToken,
  linkAs,
  submitConfirm,
  useSharedEmulator,
  whoami,
} from '../helpers/flow.js';
import { leaksInTexts, type Needles } from '../helpers/leaks.js';
import { hostsCarrying, recordOutbound } from '../helpers/outbound.js';

/** The emulator of every flow here (one RSA key for the file), reset before each test. */
const bindid = useSharedEmulator({ clientSecret: SECRET });

/** A server that must never be contacted. */
let trap: FakeBindId;
beforeEach(async () => {
  trap = await FakeBindId.start();
});
afterEach(async () => {
  await trap.close();
});


/** Status line, headers (Location, Set-Cookie...) and body of a response, as texts to search. */
function seen(label: string, res: request.Response): Array<[string, string]> {
  return [
    [`${label}: headers`, JSON.stringify(res.headers)],
    [`${label}: body`, res.text ?? ''],
  ];
}

describe('H secrets and token leakage: pages and hosts', () => {
  describe('H66 nothing the browser receives holds a credential', () => {
    let flow: Flow;
    const models: ConfirmPageModel[] = [];
    beforeAll(async () => {
      flow = await createFlow({ sharedEmulator: bindid(), router: { clientSecret: SECRET } });
    });
    afterAll(() => flow.close());

    it('H66 every response of a journey (redirects, confirm, wrong password, BindID down, success, expired, returning user): no token, secret or HMAC; only the CSRF token is hidden; no script; Referrer-Policy on every page', async () => {
      const texts: Array<[string, string]> = [];
      const pages: Array<[string, request.Response]> = [];
      const agent = flow.agent();

      const start = await agent.get('/login/bindid?returnTo=/account');
      texts.push(...seen('GET /login/bindid', start));
      expect(start.status).toBe(303);
      const back = await agent.get(appPath(await authorizeAt(start.headers.location as string, 'new')));
      texts.push(...seen('the callback', back));
      expect(back.headers.location).toBe('/bindid/confirm');
      const token = await pendingAccessToken(agent);

      const page = await agent.get('/bindid/confirm');
      pages.push(['the confirm page', page]);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
      const u = freshUser();
      pages.push(['a wrong password', await submitConfirm(agent, { _csrf: csrf, username: u.username, password: 'nope' })]);
      flow.emulator.setFault('session-feedback', { status: 500, times: 2 });
      pages.push(['BindID down', await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })]);
      const done = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
      texts.push(...seen('success', done));
      expect(done.headers.location).toBe('/account');
      pages.push(['expired', await flow.agent().get('/bindid/confirm')]);

      flow.emulator.setAlias(flow.emulator.subOf('alice') ?? '', '1');
      const returning = await bindIdSignIn(flow.agent(), 'alice', '/orders');
      texts.push(...seen('a returning user', returning));
      expect(returning.headers.location).toBe('/orders');

      expect(pages.map(([label, res]) => [label, res.status])).toEqual([
        ['the confirm page', 200],
        ['a wrong password', 401],
        ['BindID down', 503],
        ['expired', 400],
      ]);
      for (const [label, res] of pages) {
        texts.push(...seen(label, res));
        expect({ label, referrerPolicy: res.headers['referrer-policy'] }).toEqual({ label, referrerPolicy: 'no-referrer' });
        expect({ label, script: /<script/i.test(res.text) }).toEqual({ label, script: false });
        const hidden = [...res.text.matchAll(/<input[^>]*type="hidden"[^>]*>/g)].map((m) => /name="([^"]*)"/.exec(m[0])?.[1]);
        expect({ label, hidden: hidden.filter((name) => name !== '_csrf') }).toEqual({ label, hidden: [] });
      }
      const needles: Needles = { 'access token': token, 'client secret': SECRET, HMAC: hmac(SECRET, token) };
      expect(leaksInTexts(texts, needles)).toEqual([]);
    });

    it('H66 the model handed to a render hook holds no token either', async () => {
      const local = await createFlow({
        sharedEmulator: bindid(),
        router: {
          clientSecret: SECRET,
          render: (model, _req, res) => {
            models.push(model);
            res.send(model.view);
          },
        },
      });
      try {
        const agent = local.agent();
        await bindIdSignIn(agent, 'new');
        const token = await pendingAccessToken(agent);
        await agent.get('/bindid/confirm');
        await submitConfirm(agent, { _csrf: models[0]?.csrfToken ?? '', username: 'alice', password: 'nope' });
        expect(models.map((m) => m.status)).toEqual([200, 401]);
        const texts = models.map((m, i) => [`render model #${i + 1}`, JSON.stringify(m)] as [string, string]);
        expect(leaksInTexts(texts, { 'access token': token, 'client secret': SECRET, HMAC: hmac(SECRET, token) })).toEqual([]);
      } finally {
        await local.close();
      }
    });
  });

  describe('H68 the secret and the token go to BindID only', () => {
    const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'NO_PROXY', 'no_proxy'];

    it('H68 a whole set of flows, with every proxy variable pointing at another server and NO_PROXY naming BindID\'s host: the secret reaches only the token endpoint, each token only /session-feedback of the API host', async () => {
      const flow = await createFlow({ sharedEmulator: bindid(), router: { clientSecret: SECRET } });
      const saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));
      for (const name of PROXY_VARIABLES) {
        // Proxies are honoured (docs/proxy.md): NO_PROXY keeps the emulator's plain-http host direct.
        process.env[name] = name.toLowerCase() === 'no_proxy' ? new URL(flow.emulator.issuer).hostname : trap.url;
      }
      const out = recordOutbound();
      try {
        const u1 = freshUser();
        expect((await linkAs(flow.agent(), 'new', u1.username, u1.password)).status).toBe(303);
        const agent = flow.agent();
        await bindIdSignIn(agent, 'new');
        const { csrf } = await confirmPage(agent);
        const u2 = freshUser();
        flow.emulator.setFault('session-feedback', { status: 503, times: 1 });
        expect((await submitConfirm(agent, { _csrf: csrf, username: u2.username, password: u2.password })).status).toBe(303);
        flow.emulator.setAlias(flow.emulator.subOf('alice') ?? '', '1');
        expect((await bindIdSignIn(flow.agent(), 'alice')).status).toBe(303);
      } finally {
        out.stop();
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
        await flow.close();
      }
      const tokenEndpoint = `${flow.emulator.issuer} /token`;
      const feedback = `${flow.emulator.apiUrl} /session-feedback`;
      expect(new Set(hostsCarrying(out.requests, SECRET))).toEqual(new Set([tokenEndpoint]));
      expect(hostsCarrying(out.requests, Buffer.from(`${flow.emulator.clientId}:${SECRET}`).toString('base64'))).toEqual([]);
      expect(out.issuedTokens).toHaveLength(3);
      const reported = out.issuedTokens.slice(0, 2); // the returning user's token is never sent anywhere
      for (const token of reported) {
        expect(new Set(hostsCarrying(out.requests, token))).toEqual(new Set([feedback]));
        expect(new Set(hostsCarrying(out.requests, hmac(SECRET, token)))).toEqual(new Set([feedback]));
      }
      expect(hostsCarrying(out.requests, out.issuedTokens[2] ?? '')).toEqual([]);
      expect(hostsCarrying(out.requests, feedback.split(' ')[1] ?? '').length).toBe(3); // 1 + (503, then 200)
      expect(trap.requests).toEqual([]);
      expect(trap.connections).toBe(0);
    });

    it.each([307, 308, 301, 302])('H68 the API answering %d to another host: not followed, that host receives nothing, nobody is logged in', async (status) => {
      const api = await FakeBindId.start();
      api.setDefault(reply.redirect(status, `${trap.url}/session-feedback`));
      const flow = await createFlow({ sharedEmulator: bindid(), router: { clientSecret: SECRET, apiUrl: api.url } });
      try {
        const agent = flow.agent();
        await bindIdSignIn(agent, 'new');
        const { csrf } = await confirmPage(agent);
        const u = freshUser();
        const res = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
        expect(res.status).toBe(502);
        expect((await whoami(agent)).user).toBeNull();
        expect(api.requests).toHaveLength(1);
        expect(trap.requests).toEqual([]);
        expect(trap.connections).toBe(0);
      } finally {
        await flow.close();
        await api.close();
      }
    });
  });
});
