/**
 * Issue 23 item 3 (pentest 2026-12-07, F3): a pending login planted in another browser. The attacker
 * signs in with BindID as a new person in their own browser (with `login_hint` naming the victim's
 * address, which BindID keeps unverified), and injects their session cookie into the victim's
 * browser (a sibling subdomain can set one). Before: the victim's confirm page showed the attacker's
 * chosen address, the victim's password linked the attacker's BindID identity to the victim's
 * account, and the attacker then signed in as the victim. Now the sign-in is bound to the browser
 * that started it (a `__Host-` cookie a sibling cannot set): the planted pending login is refused
 * with ERR_BINDID_LOGIN_STATE_MISSING before any password is checked, and nothing changes.
 *
 * The app's base URL is https (the binding applies); supertest talks plain http to the app as a TLS
 * terminator would, so each browser here keeps its own cookies by name (a `Secure` cookie included,
 * as a browser on the https site does).
 */
import request from 'supertest';
import { APP_ORIGIN, createFlow, type Flow, freshUser } from '../helpers/flow.js';

const BASE = 'https://app.example.com';
let flow: Flow;
const verifyCalls: string[] = [];

beforeAll(async () => {
  flow = await createFlow({
    verifyCalls,
    router: { baseUrl: BASE },
    emulator: { redirectUris: [`${BASE}/bindid/callback`] },
  });
});
afterAll(() => flow.close());
beforeEach(() => {
  flow.emulator.clearReports();
  verifyCalls.length = 0;
});

type Res = Awaited<ReturnType<ReturnType<typeof request>['get']>>;

/** A browser on the https site: its cookies by name, sent with every request. */
class Browser {
  readonly cookies = new Map<string, string>();

  async get(path: string): Promise<Res> {
    return this.#keep(await request(flow.app).get(path).set('Cookie', this.#header()));
  }

  async post(path: string, form: Record<string, string>): Promise<Res> {
    return this.#keep(await request(flow.app).post(path).set('Cookie', this.#header()).set('Origin', BASE).type('form').send(form));
  }

  #header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  #keep(res: Res): Res {
    for (const line of (res.headers['set-cookie'] as unknown as string[] | undefined) ?? []) {
      const pair = line.split(';')[0] as string;
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return res;
  }
}

/** The path + query of a URL on the app. */
function onApp(url: string): string {
  const u = new URL(url);
  if (u.origin !== BASE && u.origin !== APP_ORIGIN) throw new Error(`a redirect off the app: ${u.origin}`);
  return `${u.pathname}${u.search}`;
}

/** At BindID as `identity` (the emulator's shortcut), with extra parameters the person added to the URL: the callback path. */
async function atBindId(authorizeUrl: string, identity: string, extra: Record<string, string> = {}): Promise<string> {
  const url = new URL(authorizeUrl);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  url.searchParams.set('identity', identity);
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (!location) throw new Error(`authorize answered ${res.status}`);
  return onApp(location);
}

/**
 * The attacker's own sign-in as a new BindID person whose (unverified) address is the victim's
 * (`identity=new` with `login_hint=email:<victim>`, as in the pentest): at the confirm page, with the
 * id BindID's sign-in page offers for that person afterwards.
 */
async function attackerAtConfirm(victimEmail: string): Promise<{ attacker: Browser; identity: string; csrf: string; page: string }> {
  const attacker = new Browser();
  const started = await attacker.get('/login/bindid');
  expect(started.status).toBe(303);
  const hint = { login_hint: `email:${victimEmail}` };
  const callback = await atBindId(started.headers.location as string, 'new', hint);
  const signInPage = new URL(started.headers.location as string);
  signInPage.searchParams.set('login_hint', hint.login_hint);
  const offered = new RegExp(`name="identity" value="([^"]+)">Sign in[^<]* — ${victimEmail.replace(/[.]/g, '\\.')}<`).exec(await (await fetch(signInPage)).text());
  const identity = offered?.[1] as string;
  expect(identity).toMatch(/^new-/);
  const done = await attacker.get(callback);
  expect(done.status).toBe(303);
  const page = (await attacker.get('/bindid/confirm')).text;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] as string;
  return { attacker, identity, csrf, page };
}

/** The victim's browser with the attacker's session cookie injected (and maybe its own sign-in cookie). */
function victimWith(attacker: Browser, ownBrowserCookie?: string): Browser {
  const victim = new Browser();
  victim.cookies.set('connect.sid', attacker.cookies.get('connect.sid') as string);
  if (ownBrowserCookie) victim.cookies.set('__Host-bindid-browser', ownBrowserCookie);
  return victim;
}

describe('N181 a pending login planted in another browser cannot be confirmed (the takeover of F3)', () => {
  it.each([
    ['without a sign-in cookie of its own', undefined],
    ['with its own sign-in cookie from an earlier sign-in', 'A'.repeat(43)],
  ])('N181 the victim (%s) posting their password to the planted pending login: refused before the check, nothing linked, the attacker is not signed in as them', async (_what, own) => {
    const victimAccount = freshUser();
    const { attacker, identity, csrf } = await attackerAtConfirm(`${victimAccount.username}@victim.example`);

    const victim = victimWith(attacker, own);
    const shown = await victim.get('/bindid/confirm');
    const posted = await victim.post('/bindid/confirm', { _csrf: csrf, username: victimAccount.username, password: victimAccount.password });
    const reports = flow.emulator.reports().map((r) => `${r.type} ${r.alias ?? ''}`);
    // The attacker's next BindID sign-in, in a fresh browser of their own.
    const again = new Browser();
    const started = await again.get('/login/bindid');
    const next = await again.get(await atBindId(started.headers.location as string, identity));
    const who = (await again.get('/whoami')).body.user as { username: string } | null;

    expect({
      page: `${shown.status} ${shown.body.code ?? ''}`,
      post: `${posted.status} ${posted.body.code ?? ''}`,
      passwordsChecked: verifyCalls.length,
      reports,
      attackerNext: who ? `signed in as ${who.username}` : `${next.status} to ${next.headers.location}`,
    }).toEqual({
      page: '400 ERR_BINDID_LOGIN_STATE_MISSING',
      post: '400 ERR_BINDID_LOGIN_STATE_MISSING',
      passwordsChecked: 0,
      reports: [],
      attackerNext: '303 to /bindid/confirm',
    });
    // Nothing changed for the planted pending login either: the attacker's own browser still has it.
    expect((await attacker.get('/bindid/confirm')).status).toBe(200);
  });

  it("N181 the attacker's own confirm page never shows the address they typed at BindID (unverified): it says BindID gave none", async () => {
    const { page } = await attackerAtConfirm('carol@victim.example');
    expect(page).not.toContain('@victim.example');
    expect(page).toContain('BindID gave no verified email or phone number for this sign-in');
  });

  it('N181 the browser that started the sign-in confirms it as before (one report)', async () => {
    const account = freshUser();
    const { attacker: owner, csrf } = await attackerAtConfirm(`${account.username}@example.com`);
    const done = await owner.post('/bindid/confirm', { _csrf: csrf, username: account.username, password: account.password });
    expect(done.status).toBe(303);
    expect(flow.emulator.reports()).toMatchObject([{ type: 'authentication_performed', alias: String(account.id), accepted: true }]);
  });

  it('N181 a callback in a browser without the cookie set at the start is refused and consumes nothing: the right browser completes it afterwards', async () => {
    const owner = new Browser();
    const started = await owner.get('/login/bindid');
    expect(started.headers['set-cookie']).toEqual(
      expect.arrayContaining([expect.stringMatching(/^__Host-bindid-browser=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/)]),
    );
    const callback = await atBindId(started.headers.location as string, 'new');
    const elsewhere = victimWith(owner);
    const refused = await elsewhere.get(callback);
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 400, code: 'ERR_BINDID_LOGIN_STATE_MISSING' });
    const done = await owner.get(callback);
    expect(done.headers.location).toBe('/bindid/confirm');
  });
});
