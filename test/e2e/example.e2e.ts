/**
 * The example app (`npm start`: examples/basic with its embedded BindID emulator) in a real browser,
 * Debian's Chromium: the whole journey of a new BindID user, "This is not me", the expired pending
 * login, the back button after confirming, a phone-width confirm page, translated strings, and an
 * axe-core check of the pages. It asserts on what a person sees (headings, messages, the URL) and on
 * what BindID received (the emulator's `GET /__emulator/reports`). Screenshots go to a
 * directory under os.tmpdir(), or to docs/screenshots/ with `UPDATE_SCREENSHOTS=1`.
 *
 * Run with `npm run test:e2e` (it builds the package first: the example imports it by name).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConfirmPageMessages } from 'express-bindid';
import type { Page } from 'playwright-core';
import { createApp } from '../../examples/basic/app.js';
import { UserStore } from '../../examples/basic/users.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import {
  a11ySummary,
  alerts,
  axeCheck,
  DEMO_PASSWORD,
  DEMO_USER,
  DESKTOP,
  type ExampleServer,
  go,
  heading,
  openBrowser,
  PHONE,
  path,
  reportsReceived,
  screenshot,
  startExample,
  type TestBrowser,
} from './harness.js';

const CONFIRM_TITLE = 'Confirm your account';
const EXPIRED_TITLE = 'This sign-in can no longer be confirmed';
const INVALID = 'Invalid username or password.';
const NEW_USER = 'New BindID user (a fresh identity)';

/** The example with the default time to confirm, and one whose pending logins last 10 s. */
let example: ExampleServer | undefined;
let shortLived: ExampleServer | undefined;
const browsers: TestBrowser[] = [];

beforeAll(async () => {
  [example, shortLived] = await Promise.all([startExample(), startExample({ BINDID_PENDING_TTL_SECONDS: '10' })]);
}, 60_000);

afterAll(async () => {
  await Promise.all(browsers.map((browser) => browser.close()));
  await Promise.all([example?.stop(), shortLived?.stop()]);
  console.info(`axe-core results (every impact):\n${a11ySummary()}`);
}, 30_000);

/** A fresh browser (own profile: no cookies from another scenario), closed after all tests. */
async function browser(options: { javaScript?: boolean } = {}): Promise<TestBrowser> {
  const opened = await openBrowser(options);
  browsers.push(opened);
  return opened;
}

function server(which: ExampleServer | undefined): ExampleServer {
  if (!which) throw new Error('the example server did not start');
  return which;
}

/** Expect no serious or critical accessibility violation on the page. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  expect(await axeCheck(page, name)).toEqual([]);
}

/** Home → "Sign in with BindID" → the emulator's page; pick `identity` (a button's exact name). */
async function signInWithBindId(page: Page, app: ExampleServer, identity: string): Promise<void> {
  await page.goto(`${app.baseUrl}/`);
  await go(page.getByRole('link', { name: 'Sign in with BindID' }));
  expect(page.url().startsWith(`${app.issuer}/authorize?`)).toBe(true);
  expect(await heading(page)).toBe('Sign in with BindID (emulator)');
  await go(page.getByRole('button', { name: identity, exact: true }));
}

/** Fill in the confirm page's form and send it. */
async function confirmWith(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await go(page.getByRole('button', { name: 'Confirm and sign in' }));
}

/**
 * Reload the page Chromium shows for a POST entry of the history. Chromium swaps that error page in
 * from another renderer, which playwright may not be attached to yet: retry for a while.
 */
async function reloadErrorPage(page: Page): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.reload();
      return;
    } catch (err) {
      if (attempt >= 20 || !/Not attached to an active page/.test(String(err))) throw err;
      await page.waitForTimeout(100);
    }
  }
}

/** The "Sign in again as ..." buttons of the emulator's page: identities created earlier. */
async function returningIdentities(page: Page): Promise<string[]> {
  const names = await page.getByRole('button', { name: /^Sign in again as / }).allTextContents();
  return names.map((name) => name.trim());
}

describe('the whole journey of a new BindID user', () => {
  let b: TestBrowser;
  let page: Page;
  let app: ExampleServer;
  /** Steps depend on each other: after a failure the next ones say so instead of timing out. */
  let failed = false;
  const step = (name: string, fn: () => Promise<void>): void => {
    it(name, async () => {
      if (failed) throw new Error('not run: an earlier step failed');
      try {
        await fn();
      } catch (err) {
        failed = true;
        throw err;
      }
    });
  };

  beforeAll(async () => {
    app = server(example);
    b = await browser();
    page = b.page;
  });

  step('1. home → "Sign in with BindID" → the emulator → a new identity → the confirm page', async () => {
    await page.goto(`${app.baseUrl}/`);
    expect(await heading(page)).toBe('express-bindid example');
    await screenshot(page, 'home');
    await expectAccessible(page, 'home');

    await go(page.getByRole('link', { name: 'Sign in with BindID' }));
    expect(await heading(page)).toBe('Sign in with BindID (emulator)');
    expect(await returningIdentities(page)).toEqual([]);
    await screenshot(page, 'bindid-emulator');
    await expectAccessible(page, 'emulator sign-in page');

    const before = b.requests.length;
    await go(page.getByRole('button', { name: NEW_USER, exact: true }));
    expect(path(page)).toBe('/bindid/confirm');
    expect(await page.title()).toBe(CONFIRM_TITLE);
    expect(await heading(page)).toBe(CONFIRM_TITLE);
    // BindID holds no email for a new person unless the app asks to verify one (acr_values), so the
    // page names no BindID account (docs/emulator-fidelity.md).
    expect(await page.getByText(/^BindID account: /).count()).toBe(0);
    // Labelled fields a password manager can fill; nothing loaded but the page itself.
    expect(await page.getByLabel('Username').getAttribute('autocomplete')).toBe('username');
    expect(await page.getByLabel('Password').getAttribute('autocomplete')).toBe('current-password');
    expect(await page.getByRole('button', { name: 'This is not me' }).isVisible()).toBe(true);
    const loaded = b.requests
      .slice(before)
      .filter((request) => request.startsWith('GET ') && !request.includes('/authorize') && !request.endsWith('/favicon.ico'));
    expect(loaded).toEqual([expect.stringContaining('/bindid/callback?code='), `GET ${app.baseUrl}/bindid/confirm`]);
    expect(await page.locator('script, link, img, iframe').count()).toBe(0);
    await screenshot(page, 'confirm');
    await expectAccessible(page, 'confirm page');
  });

  step('2. a wrong password gives the generic message, and nothing is sent to BindID', async () => {
    await confirmWith(page, DEMO_USER, 'not the password');
    expect(path(page)).toBe('/bindid/confirm');
    expect(await heading(page)).toBe(CONFIRM_TITLE);
    expect(await alerts(page)).toEqual([INVALID]);
    expect(await page.getByLabel('Username').inputValue()).toBe(DEMO_USER);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    // The password field has the focus, and the error describes it.
    expect(await page.evaluate('document.activeElement.id')).toBe('bindid-password');
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    expect(await reportsReceived(app)).toEqual([]);
    await screenshot(page, 'confirm-wrong-password');
    await expectAccessible(page, 'confirm page, wrong password');
  });

  step('the confirm page is readable at 390 px (phone width)', async () => {
    await page.setViewportSize(PHONE);
    // (Strings: this project's TypeScript has no DOM types.)
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBe(0); // no sideways scrolling
    const fontSize = await page.evaluate("getComputedStyle(document.getElementById('bindid-password')).fontSize");
    expect(parseFloat(String(fontSize))).toBeGreaterThanOrEqual(16); // phones do not zoom in on the field
    const submit = await page.getByRole('button', { name: 'Confirm and sign in' }).boundingBox();
    expect(submit?.width).toBeGreaterThan(300);
    expect((submit?.x ?? 0) + (submit?.width ?? 0)).toBeLessThanOrEqual(PHONE.width);
    expect(await page.getByRole('button', { name: 'Confirm and sign in' }).isVisible()).toBe(true);
    await screenshot(page, 'confirm-phone');
    await expectAccessible(page, 'confirm page at 390 px');
    await page.setViewportSize(DESKTOP);
  });

  step('3. the right password lands on the account page, signed in, at the original returnTo; one report', async () => {
    await confirmWith(page, DEMO_USER, DEMO_PASSWORD);
    expect(path(page)).toBe('/account'); // the home page's link asked for returnTo=/account
    expect(await heading(page)).toBe('Your account');
    expect(await page.getByRole('navigation').textContent()).toMatch(/Signed in as Demo User/);
    expect(await page.getByText('Username:').textContent()).toBe(`Username: ${DEMO_USER}`);
    const reports = await reportsReceived(app);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ type: 'authentication_performed', alias: '1', accepted: true, status: 200 });
    await screenshot(page, 'account');
    await expectAccessible(page, 'account page');
  });

  step('the back button after confirming does not send the report again', async () => {
    // Back is the wrong-password post: Chromium does not post it again by itself
    // ("Confirm Form Resubmission", net::ERR_CACHE_MISS) ...
    await expect(page.goBack()).rejects.toThrow(/ERR_CACHE_MISS/);
    // ... and when the person confirms the resubmission (reload), the stale form is refused, and the
    // page says why in terms of what they see: they are signed in, nothing was changed.
    await reloadErrorPage(page);
    expect(path(page)).toBe('/bindid/confirm');
    expect(await heading(page)).toBe('Already signed in');
    expect(await alerts(page)).toEqual([expect.stringMatching(/^This form is out of date and nothing was changed/)]);
    expect(await page.getByRole('navigation').textContent()).toMatch(/Signed in as Demo User/);
    expect(await page.getByRole('link', { name: 'Go to your account' }).isVisible()).toBe(true);
    await screenshot(page, 'resubmitted-form');
    await expectAccessible(page, 'error page (form resubmitted)');
    // One more step back: the confirm URL; signed in with nothing to confirm, it sends the person on.
    await page.goBack();
    expect(path(page)).toBe('/');
    expect(await page.getByText('Welcome back, Demo User.').isVisible()).toBe(true);
    expect(await page.getByLabel('Password').count()).toBe(0);
    await screenshot(page, 'back-after-confirming');
    await expectAccessible(page, 'home page after going back to the confirm page');
    expect(await reportsReceived(app)).toHaveLength(1);
    await page.goto(`${app.baseUrl}/account`);
    expect(await heading(page)).toBe('Your account');
  });

  step('4. sign out', async () => {
    await go(page.getByRole('button', { name: 'Sign out' }));
    expect(path(page)).toBe('/');
    expect(await page.getByRole('link', { name: 'Sign in with BindID' }).isVisible()).toBe(true);
    await page.goto(`${app.baseUrl}/account`);
    expect(path(page)).toBe('/login');
    expect(await heading(page)).toBe('Sign in with a password');
    await screenshot(page, 'password-login');
    await expectAccessible(page, 'password login page');
  });

  step('5. "Sign in with BindID" again with the same identity goes straight in, without the confirm page', async () => {
    await page.goto(`${app.baseUrl}/`);
    await go(page.getByRole('link', { name: 'Sign in with BindID' }));
    const offered = await returningIdentities(page);
    expect(offered).toHaveLength(1);
    // The identity created in step 1 (no email: none was verified).
    expect(offered[0]).toBe('Sign in again as New BindID user');
    await screenshot(page, 'bindid-emulator-returning');
    const before = b.requests.length;
    await go(page.getByRole('button', { name: offered[0], exact: true }));
    expect(path(page)).toBe('/account');
    expect(await heading(page)).toBe('Your account');
    expect(b.requests.slice(before).filter((request) => request.includes('/bindid/confirm'))).toEqual([]);
    expect(await reportsReceived(app)).toHaveLength(1);
    expect(b.problems).toEqual([]);
  });
});

describe('cancelling', () => {
  it('"This is not me" discards the sign-in: home page, signed out, nothing sent (without JavaScript)', async () => {
    const app = server(example);
    const { page, problems } = await browser({ javaScript: false });
    const reportsBefore = (await reportsReceived(app)).length;
    await signInWithBindId(page, app, NEW_USER);
    expect(await heading(page)).toBe(CONFIRM_TITLE);
    await go(page.getByRole('button', { name: 'This is not me' }));
    expect(path(page)).toBe('/');
    expect(await heading(page)).toBe('express-bindid example');
    expect(await page.getByRole('link', { name: 'Sign in with BindID' }).isVisible()).toBe(true);
    // Nothing is left to confirm.
    await page.goto(`${app.baseUrl}/bindid/confirm`);
    expect(await heading(page)).toBe(EXPIRED_TITLE);
    expect(await page.getByRole('link', { name: 'Sign in with BindID' }).isVisible()).toBe(true);
    expect(await reportsReceived(app)).toHaveLength(reportsBefore);
    expect(problems).toEqual([]);
  });

  it('Cancel on the BindID page: the sign-in is refused with a message', async () => {
    const app = server(example);
    const { page, problems } = await browser({ javaScript: false });
    await signInWithBindId(page, app, 'Cancel');
    expect(path(page)).toMatch(/^\/bindid\/callback\?error=access_denied/);
    expect(await heading(page)).toBe('Sign-in refused');
    expect((await alerts(page))[0]).toMatch(/cancel/i);
    await screenshot(page, 'bindid-cancelled');
    expect(problems).toEqual([]);
  });
});

describe('the expired pending login (example started with BINDID_PENDING_TTL_SECONDS=10)', () => {
  it('a confirmation sent too late shows the expired page; starting again works; back after confirming re-sends nothing (without JavaScript)', async () => {
    const app = server(shortLived);
    const { page, problems } = await browser({ javaScript: false });
    await signInWithBindId(page, app, NEW_USER);
    const shownAt = Date.now();
    expect(await heading(page)).toBe(CONFIRM_TITLE);
    await page.getByLabel('Username').fill(DEMO_USER);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.waitForTimeout(Math.max(0, shownAt + 10_500 - Date.now())); // the person was away
    await go(page.getByRole('button', { name: 'Confirm and sign in' }));
    expect(path(page)).toBe('/bindid/confirm');
    expect(await heading(page)).toBe(EXPIRED_TITLE);
    expect(await page.getByText(/^It expired, or it was already confirmed or cancelled/).isVisible()).toBe(true);
    expect(await page.getByLabel('Password').count()).toBe(0);
    expect(await reportsReceived(app)).toEqual([]);
    await screenshot(page, 'expired');

    // Start again, as the page offers: BindID offers the same identity, then the confirm page again.
    // The start-again link keeps the original returnTo (/account).
    await go(page.getByRole('link', { name: 'Sign in with BindID' }));
    const offered = await returningIdentities(page);
    expect(offered).toHaveLength(1);
    await go(page.getByRole('button', { name: offered[0], exact: true }));
    expect(await heading(page)).toBe(CONFIRM_TITLE);
    await confirmWith(page, DEMO_USER, DEMO_PASSWORD);
    expect(path(page)).toBe('/account');
    expect(await heading(page)).toBe('Your account');
    expect(await reportsReceived(app)).toHaveLength(1);

    // Back: the confirm URL sends the signed-in person on; no second report.
    await page.goBack();
    expect(path(page)).toBe('/');
    expect(await reportsReceived(app)).toHaveLength(1);
    expect(problems).toEqual([]);
  }, 40_000);
});

describe('translated strings (the messages option) in an app started in-process', () => {
  const FRENCH: Partial<ConfirmPageMessages> = {
    lang: 'fr',
    title: 'Confirmez votre compte',
    intro:
      "C'est la première fois que vous vous connectez ici avec BindID. Saisissez une seule fois votre nom " +
      "d'utilisateur et votre mot de passe pour lier BindID à votre compte. Ensuite, BindID suffira.",
    identity: 'Compte BindID : {identity}',
    usernameLabel: "Nom d'utilisateur",
    passwordLabel: 'Mot de passe',
    submit: 'Confirmer et se connecter',
    cancel: "Ce n'est pas moi",
    invalidCredentials: "Nom d'utilisateur ou mot de passe incorrect.",
  };
  let emulator: Emulator | undefined;
  let http: Server | undefined;
  let baseUrl = '';

  beforeAll(async () => {
    http = createServer();
    await new Promise<void>((done) => http?.listen(0, '127.0.0.1', done));
    baseUrl = `http://localhost:${(http.address() as AddressInfo).port}`;
    emulator = await createEmulator({ redirectUris: [`${baseUrl}/bindid/callback`] });
    const users = new UserStore();
    await users.add(DEMO_USER, DEMO_PASSWORD, 'Demo User');
    const app = createApp({
      issuer: emulator.issuer,
      apiUrl: emulator.apiUrl,
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      baseUrl,
      sessionSecret: 'e2e-test-session-secret',
      users,
      bindid: { messages: FRENCH },
    });
    http.on('request', app);
  });

  afterAll(async () => {
    http?.closeAllConnections();
    await new Promise((done) => (http ? http.close(done) : done(undefined)));
    await emulator?.close();
  });

  it('shows the French page, announces the French error, and passes the accessibility check', async () => {
    const { page, problems } = await browser();
    const app = { baseUrl, issuer: emulator?.issuer ?? '', apiUrl: emulator?.apiUrl ?? '', stop: async () => {} };
    await signInWithBindId(page, app, 'Sign in as Alice Example — alice@example.com');
    expect(path(page)).toBe('/bindid/confirm');
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await heading(page)).toBe('Confirmez votre compte');
    expect(await page.getByText(/^Compte BindID : /).textContent()).toBe('Compte BindID : alice@example.com');
    await page.getByLabel("Nom d'utilisateur").fill(DEMO_USER);
    await page.getByLabel('Mot de passe').fill('pas le bon');
    await go(page.getByRole('button', { name: 'Confirmer et se connecter' }));
    expect(await alerts(page)).toEqual(["Nom d'utilisateur ou mot de passe incorrect."]);
    expect(await page.getByRole('button', { name: "Ce n'est pas moi" }).isVisible()).toBe(true);
    await screenshot(page, 'confirm-french');
    await expectAccessible(page, 'confirm page in French, wrong password');
    expect(await reportsReceived(app)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
