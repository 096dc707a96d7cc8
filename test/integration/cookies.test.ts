/**
 * Session-cookie set-ups that lose the sign-in state, and their fixes, as docs/troubleshooting.md
 * describes them ("State or nonce lost"), on the Express this Jest project loads (4 or 5). The
 * browser here sends every cookie it got back to the same origin; what it never got (express-session
 * did not set it) is what these cases are about.
 */
import { Browser, expressUnderTest, type Page, routerApp, type Served, serve } from './helpers.js';

const { major, version } = expressUnderTest();

let served: Served;

beforeAll(async () => {
  served = await serve();
});
afterAll(() => served.close());

/** Start a sign-in, pass the emulator as alice, and return what the callback answered. */
async function callback(browser: Browser, headers: Record<string, string> = {}): Promise<Page> {
  const { emulator } = served;
  emulator.setAlias(emulator.subOf('alice') as string, undefined);
  const start = await browser.get(`${served.baseUrl}/login/bindid`, headers);
  expect(start.status).toBe(303);
  const authorized = await browser.get(`${start.location}&identity=alice`);
  return browser.get(authorized.location as string, headers);
}

const stateMissing = { status: 400, text: JSON.stringify({ code: 'ERR_BINDID_LOGIN_STATE_MISSING' }) };
const reachedConfirm = (page: Page) => ({ status: page.status, path: new URL(page.location ?? '', served.baseUrl).pathname });

describe(`session cookies on Express ${major} (${version})`, () => {
  it('cookie.secure over plain http: express-session never sets the cookie, the callback finds no state', async () => {
    served.mount(routerApp(served, { session: { cookie: { secure: true, sameSite: 'lax' } } }));
    const page = await callback(new Browser());
    expect({ status: page.status, text: page.text }).toEqual(stateMissing);
  });

  it('cookie.secure behind a TLS proxy without trust proxy: same loss', async () => {
    served.mount(routerApp(served, { session: { cookie: { secure: true, sameSite: 'lax' } } }));
    const page = await callback(new Browser(), { 'x-forwarded-proto': 'https' });
    expect({ status: page.status, text: page.text }).toEqual(stateMissing);
  });

  it("cookie.secure behind a TLS proxy with app.set('trust proxy', ...): the sign-in goes through", async () => {
    served.mount(
      routerApp(served, {
        session: { cookie: { secure: true, sameSite: 'lax' } },
        configure: (app) => app.set('trust proxy', 'loopback'),
      }),
    );
    const page = await callback(new Browser(), { 'x-forwarded-proto': 'https' });
    expect(reachedConfirm(page)).toEqual({ status: 303, path: '/bindid/confirm' });
  });

  it("cookie.secure: 'auto' works over plain http (development)", async () => {
    served.mount(routerApp(served, { session: { cookie: { secure: 'auto', sameSite: 'lax' } } }));
    expect(reachedConfirm(await callback(new Browser()))).toEqual({ status: 303, path: '/bindid/confirm' });
  });

  it('another app on the same host with the same cookie name overwrites the session cookie (cookies ignore ports): the state is gone', async () => {
    served.mount(routerApp(served));
    const browser = new Browser();
    const { emulator } = served;
    const start = await browser.get(`${served.baseUrl}/login/bindid`);
    const authorized = await browser.get(`${start.location}&identity=alice`);
    // Another app on localhost:<other port> sets its own `connect.sid` for the same host.
    browser.setCookie(served.baseUrl, 'connect.sid', 's%3Aother-app-session.signature');
    const page = await browser.get(authorized.location as string);
    expect({ status: page.status, text: page.text }).toEqual(stateMissing);
    expect(emulator.reports()).toEqual([]);
  });
});
