/**
 * Checklist G (reliability §3.6, §6 cases 57–60): the "return to" value after sign-in cannot send
 * the browser to another site. `sanitizeReturnTo` alone, then through the router: the value given
 * to `GET /login/bindid?returnTo=...` is the only one used, and it ends up in the final `Location`.
 */
import { sanitizeReturnTo } from '../../src/index.js';
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
  startLogin,
  submitConfirm,
} from '../helpers/flow.js';

const DEFAULT = '/home';

/** What a browser would do with `Location: <location>` on a page of the app: the origin it goes to. */
function browserOrigin(location: string): string {
  return new URL(location, `${APP_ORIGIN}/bindid/confirm`).origin;
}

/** A path the browser resolves on the app's own origin, with nothing a browser would reinterpret. */
function expectSameOriginPath(result: string): void {
  expect(result.startsWith('/')).toBe(true);
  expect(result.startsWith('//')).toBe(false);
  expect(/[\\\s\p{Cc}]/u.test(result)).toBe(false);
  expect(browserOrigin(result)).toBe(APP_ORIGIN);
}

const G57: string[] = [
  'https://evil.example',
  'https://evil.example/account',
  'HTTPS://EVIL.EXAMPLE',
  '//evil.example',
  '///evil.example',
  '////evil.example/account',
  '//localhost:4000@evil.example',
  'http://localhost:4000.evil.example/',
  // Even the app's own origin as an absolute URL: only paths are taken.
  `${APP_ORIGIN}/account`,
];
const G58: Array<[string, string]> = [
  ['/\\evil.example', DEFAULT],
  ['\\\\evil.example', DEFAULT],
  ['\\/evil.example', DEFAULT],
  ['/\t/evil.example', DEFAULT],
  ['/\n/evil.example', DEFAULT],
  ['/\r\n/evil.example', DEFAULT],
  ['/ /evil.example', DEFAULT],
  ['/\u0000/evil.example', DEFAULT],
  ['/\u200b/evil.example', DEFAULT],
  ['/./\\evil.example', DEFAULT],
  // Percent-encoded separators stay encoded in the path: a same-origin path, not another host.
  ['/%0a/evil.example', '/%0a/evil.example'],
  ['/%09/evil.example', '/%09/evil.example'],
  ['/%5Cevil.example', '/%5Cevil.example'],
  ['/%2F/evil.example', '/%2F/evil.example'],
  // Dot segments cannot make `//`.
  ['/.//evil.example', DEFAULT],
  ['/a/..//evil.example', DEFAULT],
];
const G59: string[] = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  '\tjavascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'data:,x',
  'vbscript:msgbox(1)',
  'http:evil.example',
  'https:evil.example',
  'http:/evil.example',
  'mailto:a@evil.example',
];

let flow: Flow;
beforeAll(async () => {
  flow = await createFlow({ router: { defaultReturnTo: DEFAULT } });
  // alice is a returning BindID user (alias 1): her sign-in goes straight to returnTo, no password.
  flow.emulator.setAlias(flow.emulator.subOf('alice') ?? '', '1');
});
afterAll(() => flow.close());

describe('G returnTo and redirects', () => {
  describe('sanitizeReturnTo', () => {
    it.each(G57)('G57 absolute or protocol-relative %j → the default', (value) => {
      expect(sanitizeReturnTo(value, APP_ORIGIN, DEFAULT)).toBe(DEFAULT);
    });

    it.each(G58)('G58 backslash, whitespace or encoded separator %j → %j', (value, expected) => {
      const result = sanitizeReturnTo(value, APP_ORIGIN, DEFAULT);
      expect(result).toBe(expected);
      expectSameOriginPath(result);
    });

    it.each(G59)('G59 scheme %j → the default', (value) => {
      expect(sanitizeReturnTo(value, APP_ORIGIN, DEFAULT)).toBe(DEFAULT);
    });

    it('G57–G59 keeps a plain same-origin path with its query and fragment', () => {
      expect(sanitizeReturnTo('/account/settings?tab=security#keys', APP_ORIGIN, DEFAULT)).toBe('/account/settings?tab=security#keys');
    });
  });

  describe('through the router (GET /login/bindid?returnTo=… → the final redirect)', () => {
    it.each(G57)('G57 %j: a returning user lands on the default, on the app', async (value) => {
      const res = await bindIdSignIn(flow.agent(), 'alice', value);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(DEFAULT);
    });

    it.each(G58)('G58 %j: a returning user lands on %j, on the app', async (value, expected) => {
      const res = await bindIdSignIn(flow.agent(), 'alice', value);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(expected);
      expect(browserOrigin(res.headers.location as string)).toBe(APP_ORIGIN);
    });

    it.each(G59)('G59 %j: a returning user lands on the default', async (value) => {
      const res = await bindIdSignIn(flow.agent(), 'alice', value);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(DEFAULT);
    });

    it.each([
      ['G57', '//evil.example'],
      ['G58', '/\\evil.example'],
      ['G59', 'javascript:alert(1)'],
    ])('%s %j: a new user confirmed with the password lands on the default too', async (_id, value) => {
      const u = freshUser();
      const res = await linkAs(flow.agent(), 'new', u.username, u.password, value);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(DEFAULT);
    });
  });

  describe('G60 returnTo is captured at login start only', () => {
    it('G60 a returnTo in the callback URL, on the confirm page URL, or in the confirm POST (body or query) is ignored', async () => {
      const agent = flow.agent();
      const callback = new URL(await authorizeAt(await startLogin(agent, '/account?tab=1'), 'new'));
      callback.searchParams.set('returnTo', 'https://evil.example/callback');
      const back = await agent.get(appPath(callback.href));
      expect(back.status).toBe(303);
      expect(back.headers.location).toBe('/bindid/confirm');
      const page = await agent.get('/bindid/confirm?returnTo=https://evil.example/page');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
      const u = freshUser();
      const res = await agent
        .post('/bindid/confirm?returnTo=%2F%2Fevil.example%2Fquery')
        .type('form')
        .set('Origin', APP_ORIGIN)
        .send({ _csrf: csrf, username: u.username, password: u.password, returnTo: 'https://evil.example/body' });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account?tab=1');
    });

    it('G60 without a returnTo at login start, a same-origin returnTo in the confirm POST is not taken either', async () => {
      const agent = flow.agent();
      await bindIdSignIn(agent, 'new');
      const { csrf } = await confirmPage(agent);
      const u = freshUser();
      const res = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password, returnTo: '/admin' });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(DEFAULT);
    });

    it('G60 a returning user: a returnTo added to the callback URL is ignored', async () => {
      const agent = flow.agent();
      const callback = new URL(await authorizeAt(await startLogin(agent, '/orders'), 'alice'));
      callback.searchParams.set('returnTo', '//evil.example');
      const res = await agent.get(appPath(callback.href));
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/orders');
    });
  });
});
