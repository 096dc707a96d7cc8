/**
 * `/authorize`: each validation rule, the sign-in page (a GET form), POST only with
 * `allowPostAuthorize`, cancel and new identities.
 */
import type { Emulator } from '../../src/emulator/index.js';
import {
  authorizeCode,
  authorizeUrl,
  get,
  location,
  login,
  loginWith,
  pkce,
  REDIRECT_URI,
  startEmulator,
} from './helpers.js';

/** A registered redirect URI with a query of its own. */
const WITH_QUERY = 'http://localhost:3000/cb?tenant=a';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({
    redirectUris: [REDIRECT_URI, WITH_QUERY],
    identities: [
      { id: 'alice', email: 'alice@example.com', name: 'Alice Example' },
      { id: 'bob', email: 'bob@example.com' },
      { id: 'eve', name: '<b>Eve</b>' },
    ],
  });
});
afterAll(() => emu.close());

/** Expect a 400 HTML page (never a redirect) whose text mentions `mention`. */
async function expectErrorPage(res: Response, mention: RegExp): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await res.text()).toMatch(mention);
}

/** Expect a redirect to the registered URI with `error` and the original `state`. */
function expectErrorRedirect(res: Response, error: string): URL {
  const target = location(res);
  expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI);
  expect(target.searchParams.get('error')).toBe(error);
  expect(target.searchParams.get('error_description')).toEqual(expect.any(String));
  expect(target.searchParams.get('state')).toBe('state-123');
  expect(target.searchParams.has('code')).toBe(false);
  return target;
}

/** The hidden fields of the sign-in page, unescaped. */
function hiddenFields(html: string): [string, string][] {
  const unescapeHtml = (text: string): string => text.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
  return [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [
    unescapeHtml(m[1] as string),
    unescapeHtml(m[2] as string),
  ]);
}

describe('client and redirect_uri: a 400 page, never a redirect', () => {
  it('unknown client_id', async () => {
    await expectErrorPage(await get(authorizeUrl(emu, { client_id: 'someone-else' })), /Unknown client/);
  });
  it('missing client_id', async () => {
    await expectErrorPage(await get(authorizeUrl(emu, { client_id: undefined })), /Unknown client/);
  });
  it('unregistered redirect_uri', async () => {
    await expectErrorPage(
      await get(authorizeUrl(emu, { redirect_uri: 'https://attacker.example/cb' })),
      /Unregistered redirect_uri/,
    );
  });
  it('redirect_uri that differs only by a trailing slash (matching is exact)', async () => {
    await expectErrorPage(await get(authorizeUrl(emu, { redirect_uri: `${REDIRECT_URI}/` })), /Unregistered/);
  });
  it('missing redirect_uri', async () => {
    await expectErrorPage(await get(authorizeUrl(emu, { redirect_uri: undefined })), /Unregistered/);
  });
  it('no redirect URIs registered: every request fails', async () => {
    const bare = await startEmulator({ redirectUris: [] });
    try {
      await expectErrorPage(await get(authorizeUrl(bare, { identity: 'alice' })), /Unregistered/);
    } finally {
      await bare.close();
    }
  });
});

describe('OAuth errors: redirected with error, error_description and state', () => {
  it('response_type=token → unsupported_response_type', async () => {
    expectErrorRedirect(await get(authorizeUrl(emu, { response_type: 'token' })), 'unsupported_response_type');
  });
  it('response_type missing → invalid_request', async () => {
    expectErrorRedirect(await get(authorizeUrl(emu, { response_type: undefined })), 'invalid_request');
  });
  it('scope without openid → invalid_scope', async () => {
    expectErrorRedirect(await get(authorizeUrl(emu, { scope: 'email phone' })), 'invalid_scope');
  });
  it('code_challenge_method=plain → invalid_request', async () => {
    const { challenge } = pkce();
    const res = await get(authorizeUrl(emu, { code_challenge: challenge, code_challenge_method: 'plain' }));
    expectErrorRedirect(res, 'invalid_request');
  });
  it('code_challenge without code_challenge_method → invalid_request', async () => {
    expectErrorRedirect(await get(authorizeUrl(emu, { code_challenge: pkce().challenge })), 'invalid_request');
  });
  it('code_challenge that is not 43 base64url characters → invalid_request', async () => {
    const res = await get(authorizeUrl(emu, { code_challenge: 'too-short', code_challenge_method: 'S256' }));
    expectErrorRedirect(res, 'invalid_request');
  });
  it('code_challenge_method=S256 without code_challenge → invalid_request', async () => {
    expectErrorRedirect(await get(authorizeUrl(emu, { code_challenge_method: 'S256' })), 'invalid_request');
  });
  it.each(['-1', '1.5', 'soon', ''])('max_age=%p (not a whole number of seconds) → invalid_request', async (maxAge) => {
    expectErrorRedirect(await get(authorizeUrl(emu, { max_age: maxAge })), 'invalid_request');
  });
  it('a repeated max_age → invalid_request; max_age=0 completes', async () => {
    const url = authorizeUrl(emu, { max_age: '0' });
    url.searchParams.append('max_age', '0');
    expectErrorRedirect(await get(url), 'invalid_request');
    expect(location(await get(authorizeUrl(emu, { max_age: '0', identity: 'alice' }))).searchParams.get('code')).toEqual(expect.any(String));
  });
  it('response_mode=form_post → invalid_request', async () => {
    expectErrorRedirect(await get(authorizeUrl(emu, { response_mode: 'form_post' })), 'invalid_request');
  });
  it('a repeated parameter → invalid_request', async () => {
    const url = authorizeUrl(emu);
    url.searchParams.append('scope', 'openid');
    expectErrorRedirect(await get(url), 'invalid_request');
  });
  it('keeps the query of the registered redirect URI', async () => {
    const target = location(await get(authorizeUrl(emu, { redirect_uri: WITH_QUERY, scope: 'email' })));
    expect(target.searchParams.get('tenant')).toBe('a');
    expect(target.searchParams.get('error')).toBe('invalid_scope');
  });
});

describe('the sign-in page', () => {
  it('lists every identity, New BindID user and Cancel, in a form sending GET /authorize', async () => {
    const res = await get(authorizeUrl(emu, { nonce: 'n-1' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toMatch(/<title>[^<]+<\/title>/);
    expect(html).toMatch(/local BindID emulator/);
    expect(html).toMatch(/<form method="get" action="\/authorize">/);
    for (const value of ['alice', 'bob', 'eve', 'new', 'cancel']) {
      expect(html).toContain(`<button type="submit" name="identity" value="${value}">`);
    }
    expect(html).toMatch(/New BindID user/);
    expect(html).not.toMatch(/<script/i);
  });

  it('posts back every original parameter as a hidden field', async () => {
    const url = authorizeUrl(emu, { nonce: 'n-1' });
    const html = await (await get(url)).text();
    expect(new Map(hiddenFields(html))).toEqual(new Map(url.searchParams));
  });

  it('escapes the parameters it repeats', async () => {
    const state = '"><script>alert(1)</script>&';
    const html = await (await get(authorizeUrl(emu, { state }))).text();
    expect(html).not.toContain('<script>');
    expect(hiddenFields(html)).toContainEqual(['state', state]);
  });

  it('escapes identity names', async () => {
    const html = await (await get(authorizeUrl(emu))).text();
    expect(html).not.toContain('<b>Eve</b>');
    expect(html).toContain('&#60;b&#62;Eve&#60;/b&#62;');
  });

  it('submitting the form with identity=bob completes: 302 with code and state', async () => {
    const html = await (await get(authorizeUrl(emu))).text();
    const form = new URLSearchParams(hiddenFields(html));
    form.set('identity', 'bob');
    const target = location(await get(`${emu.issuer}/authorize?${form}`));
    expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI);
    expect(target.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(target.searchParams.get('state')).toBe('state-123');
  });

  it('POST /authorize → 405 (Allow: GET) by default; with allowPostAuthorize a form POST completes, another content type → 415', async () => {
    const html = await (await get(authorizeUrl(emu))).text();
    const form = new URLSearchParams(hiddenFields(html));
    form.set('identity', 'bob');
    const post = (target: Emulator, type = 'application/x-www-form-urlencoded'): Promise<Response> =>
      fetch(`${target.issuer}/authorize`, { method: 'POST', redirect: 'manual', headers: { 'content-type': type }, body: form });
    const refused = await post(emu);
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('GET');

    const loose = await startEmulator({ allowPostAuthorize: true });
    try {
      form.set('client_id', loose.clientId);
      expect(location(await post(loose)).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await post(loose, 'application/json')).status).toBe(415);
    } finally {
      await loose.close();
    }
  });
});

describe('completion', () => {
  it('identity=cancel → access_denied with state', async () => {
    expectErrorRedirect(await get(authorizeUrl(emu, { identity: 'cancel' })), 'access_denied');
  });

  it('an unknown identity → 400 page', async () => {
    await expectErrorPage(await get(authorizeUrl(emu, { identity: 'mallory' })), /Unknown identity/);
  });

  it('identity=new creates a different identity each time; known identities keep their sub', async () => {
    const first = (await login(emu, 'new')).claims;
    const second = (await login(emu, 'new')).claims;
    expect(first.sub).not.toBe(second.sub);
    expect(first).not.toHaveProperty('email');
    const alice = emu.subOf('alice');
    expect(alice).toMatch(/^[0-9a-f-]{36}$/);
    await authorizeCode(emu, { identity: 'alice' });
    expect(emu.subOf('alice')).toBe(alice);
  });

  it('a created identity can sign in again: same sub, its alias, offered on the page (last 5, newest first)', async () => {
    const created = [];
    const verify = { acr_values: 'ts.bindid.iac.email' };
    for (let i = 0; i < 6; i++) created.push((await loginWith(emu, 'new', verify)).claims);
    const newest = created[5] as (typeof created)[number];
    const id = (newest.email as string).replace('@example.com', '');
    expect(emu.subOf(id)).toBe(newest.sub);
    emu.setAlias(newest.sub as string, 'user-42');
    const again = (await login(emu, id)).claims;
    expect(again.sub).toBe(newest.sub);
    expect(again.bindid_alias).toBe('user-42');

    const html = await (await get(authorizeUrl(emu))).text();
    const offered = [...html.matchAll(/<button type="submit" name="identity" value="(new-[0-9a-f]{8})">Sign in again as New BindID user — \1@example\.com<\/button>/g)];
    expect(offered.map((m) => `${m[1]}@example.com`)).toEqual(created.slice(1).reverse().map((claims) => claims.email));
    expect(html.indexOf('value="eve"')).toBeLessThan(html.indexOf('Sign in again as'));
  });

  it('the redirect has no state when none was sent', async () => {
    const target = location(await get(authorizeUrl(emu, { identity: 'alice', state: undefined })));
    expect(target.searchParams.has('state')).toBe(false);
    expect(target.searchParams.has('code')).toBe(true);
  });
});
