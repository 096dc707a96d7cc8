/**
 * The BindID journey through `bindIdRouter`, end to end against the emulator, on the Express this
 * Jest project loads (4 or 5): a new user confirms once with the password and is reported, then
 * signs in with BindID alone; and the failure paths a user meets (lost cookie, cancel at BindID,
 * BindID down, BindID refusing the token, cross-site POST, unknown alias, cancel).
 */
import type { LinkFailedEvent } from '../../src/flow/flow-events.js';
import { alice, Browser, csrfOf, expressUnderTest, PASSWORD, type Page, routerApp, type Served, serve, type TestUser } from './helpers.js';

const { major, version } = expressUnderTest();

let served: Served;
let linkFailures: LinkFailedEvent[];

beforeAll(async () => {
  served = await serve();
});
afterAll(() => served.close());
beforeEach(() => {
  const { emulator } = served;
  for (const id of ['alice', 'bob']) emulator.setAlias(emulator.subOf(id) as string, undefined);
  emulator.clearReports();
  emulator.clearFaults();
  linkFailures = [];
  served.mount(routerApp(served, { router: { onLinkFailed: (event) => linkFailures.push(event) } }));
});

/** Start a sign-in as `identity` at the emulator; return the page the callback answered with. */
async function signIn(browser: Browser, identity: string, returnTo = '/account'): Promise<Page> {
  const start = await browser.get(`${served.baseUrl}/login/bindid?returnTo=${encodeURIComponent(returnTo)}`);
  expect(start.status).toBe(303);
  expect(start.location?.startsWith(`${served.emulator.issuer}/authorize?`)).toBe(true);
  const authorized = await browser.get(`${start.location}&identity=${identity}`);
  expect(authorized.status).toBe(302);
  return browser.get(authorized.location as string);
}

/** Sign in as a new BindID user and open the confirm page; return its URL and CSRF token. */
async function reachConfirmPage(browser: Browser, identity = 'alice'): Promise<{ url: string; csrf: string }> {
  const callback = await signIn(browser, identity);
  expect(callback.status).toBe(303);
  const url = callback.location as string;
  expect(new URL(url).pathname).toBe('/bindid/confirm');
  const page = await browser.get(url);
  expect(page.status).toBe(200);
  return { url, csrf: csrfOf(page) };
}

async function whoami(browser: Browser): Promise<{ user: TestUser | null; pending: boolean }> {
  return JSON.parse((await browser.get(`${served.baseUrl}/whoami`)).text);
}

describe(`BindID journey on Express ${major} (${version})`, () => {
  it('a new BindID user confirms once with the password, is reported, then signs in with BindID alone', async () => {
    const browser = new Browser();
    const { url, csrf } = await reachConfirmPage(browser);

    const wrong = await browser.post(url, { _csrf: csrf, username: 'alice', password: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(served.emulator.reports()).toEqual([]);
    expect(linkFailures.map((e) => e.reason)).toEqual(['bad_credentials']);

    const right = await browser.post(url, { _csrf: csrf, username: 'alice', password: PASSWORD });
    expect(right.status).toBe(303);
    expect(right.location).toBe(`${served.baseUrl}/account`);
    expect(await whoami(browser)).toEqual({ user: alice, pending: false });
    const reports = served.emulator.reports();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ accepted: true, type: 'authentication_performed', alias: '7', headerForm: 'token-and-hmac' });
    expect(served.emulator.aliasOf(served.emulator.subOf('alice') as string)).toBe('7');

    // Another browser, later: BindID returns the alias and the user is signed in directly.
    const later = new Browser();
    const callback = await signIn(later, 'alice', '/settings?tab=security');
    expect(callback.status).toBe(303);
    expect(callback.location).toBe(`${served.baseUrl}/settings?tab=security`);
    expect(await whoami(later)).toEqual({ user: alice, pending: false });
    expect(served.emulator.reports()).toHaveLength(1);
  });

  it('a callback the browser did not start (cookie lost) is refused with ERR_BINDID_LOGIN_STATE_MISSING', async () => {
    const browser = new Browser();
    const start = await browser.get(`${served.baseUrl}/login/bindid`);
    const authorized = await browser.get(`${start.location}&identity=alice`);
    const other = new Browser();
    const callback = await other.get(authorized.location as string);
    expect(callback.status).toBe(400);
    expect(JSON.parse(callback.text)).toEqual({ code: 'ERR_BINDID_LOGIN_STATE_MISSING' });
    // The browser that started it still can finish.
    expect((await browser.get(authorized.location as string)).status).toBe(303);
  });

  it('the user cancelling at BindID ends with ERR_BINDID_ACCESS_DENIED', async () => {
    const callback = await signIn(new Browser(), 'cancel');
    expect(callback.status).toBe(403);
    expect(JSON.parse(callback.text)).toEqual({ code: 'ERR_BINDID_ACCESS_DENIED' });
  });

  it.each([
    ['an absolute URL', 'returnTo=https%3A%2F%2Fevil.example%2F'],
    ['a protocol-relative URL', 'returnTo=%2F%2Fevil.example'],
    ['a repeated parameter', 'returnTo=%2Fa&returnTo=%2Fb'],
    ['a bracketed parameter (an object for Express 4 query parsing)', 'returnTo%5Bx%5D=%2Fa'],
  ])('returnTo given as %s falls back to the default', async (_name, query) => {
    const { emulator } = served;
    emulator.setAlias(emulator.subOf('alice') as string, '7');
    const browser = new Browser();
    const start = await browser.get(`${served.baseUrl}/login/bindid?${query}`);
    const authorized = await browser.get(`${start.location}&identity=alice`);
    const callback = await browser.get(authorized.location as string);
    expect(callback.status).toBe(303);
    expect(callback.location).toBe(`${served.baseUrl}/`);
  });

  it('BindID unavailable: nobody is signed in, the pending login survives, and a retry links', async () => {
    const browser = new Browser();
    const { url, csrf } = await reachConfirmPage(browser);
    served.emulator.setFault('session-feedback', { status: 503, retryAfter: '0' });
    const failed = await browser.post(url, { _csrf: csrf, username: 'alice', password: PASSWORD });
    expect(failed.status).toBe(503);
    expect(await whoami(browser)).toEqual({ user: null, pending: true });
    expect(linkFailures.map((e) => [e.reason, e.error?.code])).toEqual([['feedback_failed', 'ERR_BINDID_UNAVAILABLE']]);

    served.emulator.clearFaults();
    const retried = await browser.post(url, { _csrf: csrf, username: 'alice', password: PASSWORD });
    expect(retried.status).toBe(303);
    expect(await whoami(browser)).toEqual({ user: alice, pending: false });
  });

  it('BindID refusing the access token (401): the pending login is dropped, nobody is signed in', async () => {
    const browser = new Browser();
    const { url, csrf } = await reachConfirmPage(browser);
    served.emulator.expireAccessTokens();
    const refused = await browser.post(url, { _csrf: csrf, username: 'alice', password: PASSWORD });
    expect(refused.status).toBe(502);
    expect(linkFailures.map((e) => [e.reason, e.error?.code])).toEqual([['feedback_failed', 'ERR_BINDID_UNAUTHORIZED']]);
    expect(await whoami(browser)).toEqual({ user: null, pending: false });
    expect((await browser.get(url)).status).toBe(400);
  });

  it('a confirm POST from another site, or without the CSRF token, is refused with ERR_BINDID_CSRF', async () => {
    const browser = new Browser();
    const { url, csrf } = await reachConfirmPage(browser);
    const crossSite = await browser.post(url, { _csrf: csrf, username: 'alice', password: PASSWORD }, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.text)).toEqual({ code: 'ERR_BINDID_CSRF' });
    const noToken = await browser.post(url, { username: 'alice', password: PASSWORD });
    expect(noToken.status).toBe(403);
    expect(served.emulator.reports()).toEqual([]);
    expect(await whoami(browser)).toEqual({ user: null, pending: true });
  });

  it('an alias that maps to no user is refused with ERR_BINDID_UNKNOWN_ALIAS (nobody is created)', async () => {
    const { emulator } = served;
    emulator.setAlias(emulator.subOf('bob') as string, '999');
    const browser = new Browser();
    const callback = await signIn(browser, 'bob');
    expect(callback.status).toBe(403);
    expect(JSON.parse(callback.text)).toEqual({ code: 'ERR_BINDID_UNKNOWN_ALIAS' });
    expect(await whoami(browser)).toEqual({ user: null, pending: false });
  });

  it('cancelling on the confirm page discards the pending login', async () => {
    const browser = new Browser();
    const { url, csrf } = await reachConfirmPage(browser);
    const cancelled = await browser.post(`${served.baseUrl}/bindid/confirm/cancel`, { _csrf: csrf });
    expect(cancelled.status).toBe(303);
    expect(cancelled.location).toBe(`${served.baseUrl}/`);
    expect(linkFailures.map((e) => e.reason)).toEqual(['cancelled']);
    expect(await whoami(browser)).toEqual({ user: null, pending: false });
    expect((await browser.get(url)).status).toBe(400);
  });
});
