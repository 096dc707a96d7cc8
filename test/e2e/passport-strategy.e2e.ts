/**
 * The Passport-strategy example (examples/passport-strategy: `passport.authenticate('bindid')` routes
 * only, with its embedded emulator) in Debian's Chromium, once through: a new BindID user confirms
 * with the password (one report at BindID), then signs in again with BindID alone.
 */
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD, DEMO_USER, type ExampleServer, go, heading, openBrowser, path, reportsReceived, startExample, type TestBrowser } from './harness.js';

let example: ExampleServer | undefined;
let b: TestBrowser | undefined;

beforeAll(async () => {
  example = await startExample({}, 'examples/passport-strategy/server.ts');
  b = await openBrowser();
}, 60_000);

afterAll(async () => {
  await b?.close();
  await example?.stop();
}, 30_000);

function app(): ExampleServer {
  if (!example) throw new Error('the example server did not start');
  return example;
}

/** Home → "Sign in with BindID" (passport.authenticate('bindid')) → the emulator's page → `identity`. */
async function signInWithBindId(page: Page, identity: string | RegExp): Promise<void> {
  await page.goto(`${app().baseUrl}/`);
  await go(page.getByRole('link', { name: 'Sign in with BindID' }));
  expect(page.url().startsWith(`${app().issuer}/authorize?`)).toBe(true);
  await go(page.getByRole('button', { name: identity }).first());
}

it('a new BindID user confirms once with the password through passport.authenticate routes, then BindID alone signs them in', async () => {
  if (!b) throw new Error('no browser');
  const page = b.page;

  await signInWithBindId(page, 'New BindID user (a fresh identity)');
  expect(path(page)).toBe('/bindid/confirm');
  expect(await heading(page)).toBe('Confirm your account');

  await page.getByLabel('Username').fill(DEMO_USER);
  await page.getByLabel('Password').fill('not the password');
  await go(page.getByRole('button', { name: 'Confirm', exact: true }));
  // passport.authenticate's failureRedirect: the confirm page again, nothing sent to BindID.
  expect(path(page)).toBe('/bindid/confirm?failed=1');
  expect(await heading(page)).toBe('Confirm your account');
  expect(await reportsReceived(app())).toEqual([]);

  await page.getByLabel('Username').fill(DEMO_USER);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await go(page.getByRole('button', { name: 'Confirm', exact: true }));
  expect(path(page)).toBe('/account');
  expect(await heading(page)).toBe('Your account');
  const reports = await reportsReceived(app());
  expect(reports.map((r) => [r.type, r.status])).toEqual([['authentication_performed', 200]]);

  await go(page.getByRole('button', { name: 'Sign out' }));
  await signInWithBindId(page, /^Sign in again as /);
  expect(path(page)).toBe('/account');
  expect(await heading(page)).toBe('Your account');
  expect(await reportsReceived(app())).toHaveLength(1);
});
