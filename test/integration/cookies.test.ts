/**
 * Cookie set-ups that lose a sign-in, and their fixes, as docs/troubleshooting.md describes them
 * ("State or nonce lost"), on the Express this Jest project loads (4 or 5): a session cookie
 * express-session never sets loses the pending login the callback stores; a transaction cookie
 * another app overwrites loses the state. The browser here sends every cookie it got back to the same
 * origin; what it never got, or lost, is what these cases are about.
 */
import { TRANSACTION_COOKIE, TransactionCookie } from '../../src/oidc/transaction-cookie.js';
import { Browser, expressUnderTest, type Page, routerApp, type Served, serve } from './helpers.js';

const { major, version } = expressUnderTest();

let served: Served;

beforeAll(async () => {
  served = await serve();
});
afterAll(() => served.close());

/** Start a sign-in, pass the emulator as alice (a new BindID user), and return what the callback answered. */
async function callback(browser: Browser, headers: Record<string, string> = {}): Promise<Page> {
  const { emulator } = served;
  emulator.setAlias(emulator.subOf('alice') as string, undefined);
  const start = await browser.get(`${served.baseUrl}/login/bindid`, headers);
  expect(start.status).toBe(303);
  const authorized = await browser.get(`${start.location}&identity=alice`);
  return browser.get(authorized.location as string, headers);
}

/**
 * The callback, then the confirm page it sends the browser to: whether the pending login the callback
 * stored in the (new) session came back with the browser's session cookie.
 */
async function toConfirmPage(browser: Browser, headers: Record<string, string> = {}) {
  const back = await callback(browser, headers);
  const sessionCookieSet = back.headers.getSetCookie().some((line) => line.startsWith('connect.sid='));
  const confirm = await browser.get(`${served.baseUrl}/bindid/confirm`, headers);
  return { callback: reachedConfirm(back), sessionCookieSet, confirmPage: confirm.status };
}

const stateMissing = { status: 400, text: JSON.stringify({ code: 'ERR_BINDID_LOGIN_STATE_MISSING' }) };
const reachedConfirm = (page: Page) => ({ status: page.status, path: new URL(page.location ?? '', served.baseUrl).pathname });
/** The session cookie was never set: the callback went through, the confirm page finds nothing to confirm. */
const pendingLoginLost = { callback: { status: 303, path: '/bindid/confirm' }, sessionCookieSet: false, confirmPage: 400 };
const pendingLoginKept = { callback: { status: 303, path: '/bindid/confirm' }, sessionCookieSet: true, confirmPage: 200 };

// The sign-in in flight waits for BindID in its own cookie (`bindid.tx` on http, set by the library,
// not by express-session), so a session cookie express-session refuses to set no longer loses the
// state at the callback: it loses the pending login the callback stores in the session, one step later.
describe(`session cookies on Express ${major} (${version})`, () => {
  it('cookie.secure over plain http: express-session would never set the cookie, so the sign-in is refused at its start (ERR_BINDID_SESSION_MISSING, 500), nothing sent to BindID', async () => {
    served.mount(routerApp(served, { session: { cookie: { secure: true, sameSite: 'lax' } } }));
    const start = await new Browser().get(`${served.baseUrl}/login/bindid`);
    expect({ status: start.status, text: start.text, location: start.location }).toEqual({
      status: 500,
      text: JSON.stringify({ code: 'ERR_BINDID_SESSION_MISSING' }),
      location: undefined,
    });
    expect(served.emulator.reports()).toEqual([]);
  });

  it('cookie.secure behind a TLS proxy without trust proxy: same loss', async () => {
    served.mount(routerApp(served, { session: { cookie: { secure: true, sameSite: 'lax' } } }));
    expect(await toConfirmPage(new Browser(), { 'x-forwarded-proto': 'https' })).toEqual(pendingLoginLost);
  });

  it("cookie.secure behind a TLS proxy with app.set('trust proxy', ...): the sign-in goes through", async () => {
    served.mount(
      routerApp(served, {
        session: { cookie: { secure: true, sameSite: 'lax' } },
        configure: (app) => app.set('trust proxy', 'loopback'),
      }),
    );
    expect(await toConfirmPage(new Browser(), { 'x-forwarded-proto': 'https' })).toEqual(pendingLoginKept);
  });

  it("cookie.secure: 'auto' works over plain http (development)", async () => {
    served.mount(routerApp(served, { session: { cookie: { secure: 'auto', sameSite: 'lax' } } }));
    expect(await toConfirmPage(new Browser())).toEqual(pendingLoginKept);
  });

  it('another app on the same host with express-bindid overwrites the transaction cookie (cookies ignore ports): the state is gone', async () => {
    served.mount(routerApp(served));
    const browser = new Browser();
    const { emulator } = served;
    const start = await browser.get(`${served.baseUrl}/login/bindid`);
    const authorized = await browser.get(`${start.location}&identity=alice`);
    // Another app on localhost:<other port> starts its own BindID sign-in: its `bindid.tx` (sealed
    // under its own client secret) replaces this app's for the same host.
    const other = new TransactionCookie('the-other-apps-client-secret', false).seal({
      state: 'other-app-state',
      nonce: 'other-app-nonce',
      codeVerifier: 'other-app-verifier',
      returnTo: '/',
      createdAt: Date.now(),
    });
    browser.setCookie(served.baseUrl, TRANSACTION_COOKIE.plain, other);
    const page = await browser.get(authorized.location as string);
    expect({ status: page.status, text: page.text }).toEqual(stateMissing);
    expect(emulator.reports()).toEqual([]);
  });

  it('another app on the same host with the same session cookie name, between login start and callback: no longer loses the sign-in', async () => {
    served.mount(routerApp(served));
    const browser = new Browser();
    const start = await browser.get(`${served.baseUrl}/login/bindid`);
    const authorized = await browser.get(`${start.location}&identity=alice`);
    browser.setCookie(served.baseUrl, 'connect.sid', 's%3Aother-app-session.signature');
    const page = await browser.get(authorized.location as string);
    expect(reachedConfirm(page)).toEqual({ status: 303, path: '/bindid/confirm' });
    expect((await browser.get(`${served.baseUrl}/bindid/confirm`)).status).toBe(200);
  });
});
