/**
 * Checklist E (reliability.md §6): account-linking attacks — nothing links without the local
 * password, one BindID identity per account and one account per identity, the owner is told about
 * every link, links can be revoked, and only verified ID tokens reach the linking step.
 */
import { type BindIdStore, CONFIRM_AGAIN, DEFAULT_CONFIRM_MESSAGES, ErrorCode, MemoryBindIdStore } from '../../src/index.js';
import type { AliasLookup } from '../../src/flow/flow-options.js';
import type { LinkedEvent } from '../../src/confirm/confirm-options.js';
import { LinkRegistry } from '../../src/confirm/link-registry.js';
import type { LinkFailedEvent } from '../../src/flow/flow-events.js';
import { FakeBindId } from '../helpers/fake-bindid.js';
import { KeyListingStore } from '../helpers/key-listing-store.js';
import { createMiddlewareApp } from '../helpers/middleware-app.js';
import { acceptedPerSub } from '../helpers/outbox.js';
import { claimsFor, forgedCallback, type Forger, trustTestKey, unsignedJwt } from '../helpers/forged-tokens.js';
import {
  appPath,
  authorizeAt,
  bindIdSignIn,
  comparable,
  confirmPage,
  type Flow,
  type FlowOptions,
  freshUser,
  linkAs,
  mintLogin,
  sessionCookie,
  startLogin,
  submitConfirm,
  type TestUser,
  USERS,
  useFlowPerTest,
  whoami,
} from '../helpers/flow.js';

/** BindID identities that can sign in again (those made by `identity=new` cannot). */
const IDENTITIES = ['alice', 'bob', 'mallory', 'ivy', 'jack'].map((id) => ({ id, email: `${id}@example.com` }));
const flows = useFlowPerTest({ shareEmulator: { identities: IDENTITIES } });
const { verifyCalls } = flows;
const lookups: string[] = [];
beforeEach(() => {
  lookups.length = 0;
});

/** The default alias lookup of the test app, recording its calls. */
function lookup(alias: string): TestUser | undefined {
  lookups.push(alias);
  const user = USERS.find((u) => String(u.id) === alias);
  return user ? { id: user.id, username: user.username } : undefined;
}

/** A flow on the file's emulator (with IDENTITIES), or on one of its own when `options.emulator` says how. */
function start(options: FlowOptions = {}): Promise<Flow> {
  return flows.start({
    ...options,
    ...(options.emulator ? { emulator: { identities: IDENTITIES, ...options.emulator } } : {}),
    router: { findUserByAlias: lookup, ...options.router },
  });
}

describe('E. Account-linking attacks', () => {
  it('E39 an ID-token email equal to a local user\'s email (verified or not) links nothing: the password is still required', async () => {
    // The app's users have emails; alice@example.com is local user 1 and BindID identity "alice".
    const f = await start();
    const forger = await trustTestKey(f.emulator);
    const agent = f.agent();
    const verified = await bindIdSignIn(agent, 'alice');
    expect(verified.status).toBe(303);
    expect(verified.headers.location).toBe('/bindid/confirm');
    expect((await confirmPage(agent)).res.text).toContain('name="password"');
    // The same email, unverified (forged token under a trusted key).
    const other = f.agent();
    const unverified = await forgedCallback(other, f.emulator, (ctx) =>
      forger.sign(claimsFor(ctx, { email: 'alice@example.com', email_verified: false })),
    );
    expect(unverified.status).toBe(303);
    expect(unverified.headers.location).toBe('/bindid/confirm');
    for (const a of [agent, other]) expect((await whoami(a)).user).toBeNull();
    expect(lookups).toEqual([]);
    expect(f.emulator.reports()).toHaveLength(0);
  });

  it('E40 the confirm page is identical whether or not the BindID email has a local account (no prefill)', async () => {
    // alice@example.com is a local user's email, annie@example.com is nobody's: the pages differ only by the address shown.
    const f = await start({
      emulator: {
        identities: [
          { id: 'alice', email: 'alice@example.com' },
          { id: 'annie', email: 'annie@example.com' },
        ],
      },
    });
    const pages = [];
    for (const identity of ['alice', 'annie']) {
      const agent = f.agent();
      await bindIdSignIn(agent, identity);
      const { res } = await confirmPage(agent);
      expect(res.text).toContain(`BindID account: ${identity}@example.com`);
      expect(res.text).toMatch(/name="username"[^>]*value=""/);
      const page = comparable(res);
      pages.push({ ...page, body: page.body.replace(`${identity}@example.com`, '…') });
    }
    expect(pages[1]).toEqual(pages[0]);
  });

  it('E41 credential stuffing links only with a notification and audit event (onLinked), and the owner can unlink', async () => {
    const store = new MemoryBindIdStore();
    const revoked = new Set<string>();
    const passwords = new Map<string, string>();
    const linked: Array<LinkedEvent<TestUser>> = [];
    const f = await start({
      verify: (username, password) => {
        const user = USERS.find((u) => u.username === username);
        return user && (passwords.get(username) ?? user.password) === password ? { id: user.id, username } : false;
      },
      router: {
        store,
        onLinked: (e) => void linked.push(e),
        findUserByAlias: (alias): AliasLookup<TestUser> => (revoked.has(alias) ? CONFIRM_AGAIN : lookup(alias)),
      },
    });
    const victim = freshUser();
    // The attacker's own BindID account plus the victim's stuffed password.
    const attacker = f.agent();
    expect((await linkAs(attacker, 'mallory', victim.username, victim.password)).status).toBe(303);
    expect(linked).toHaveLength(1);
    const event = linked[0] as LinkedEvent<TestUser>;
    // Enough for "BindID account m•••y@example.com was linked to your account": whose, which identity, the outcome.
    expect(event.user).toEqual({ id: victim.id, username: victim.username });
    expect(event.sub).toBe(f.emulator.subOf('mallory'));
    expect(event.claims.email).toBe('mallory@example.com');
    expect(event.result?.status).toBe(200);
    // The owner says "not me": the app resets the password, forgets the link and revokes the alias.
    passwords.set(victim.username, 'new-victim-password');
    await new LinkRegistry(store).forget(event.alias, event.sub);
    revoked.add(event.alias);
    // The attacker's next BindID sign-in is not let in: it must confirm, and the stuffed password is dead.
    const again = f.agent();
    const res = await bindIdSignIn(again, 'mallory');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/bindid/confirm');
    expect((await whoami(again)).user).toBeNull();
    const { csrf } = await confirmPage(again);
    expect((await submitConfirm(again, { _csrf: csrf, username: victim.username, password: victim.password })).status).toBe(401);
    expect(f.emulator.reports()).toHaveLength(1);
    expect(linked).toHaveLength(1);
  });

  it('E42 a password reset revokes the link: the next BindID sign-in asks for the password; the same alias is not reported again', async () => {
    const revoked = new Set<string>();
    const passwords = new Map<string, string>();
    const f = await start({
      verify: (username, password) => {
        const user = USERS.find((u) => u.username === username);
        return user && (passwords.get(username) ?? user.password) === password ? { id: user.id, username } : false;
      },
      router: {
        findUserByAlias: (alias): AliasLookup<TestUser> => (revoked.has(alias) ? CONFIRM_AGAIN : lookup(alias)),
        onLinked: (e) => void revoked.delete(e.alias),
      },
    });
    const u = freshUser();
    const browser = f.agent();
    expect((await linkAs(browser, 'ivy', u.username, u.password)).status).toBe(303);
    const sub = f.emulator.subOf('ivy');
    const identity = 'ivy';
    // The app's password reset: new password, and the link of this alias revoked.
    passwords.set(u.username, 'reset-password');
    revoked.add(String(u.id));
    const next = f.agent();
    const res = await bindIdSignIn(next, identity);
    expect(res.headers.location).toBe('/bindid/confirm');
    expect((await whoami(next)).user).toBeNull();
    const { csrf } = await confirmPage(next);
    expect((await submitConfirm(next, { _csrf: csrf, username: u.username, password: u.password })).status).toBe(401);
    expect((await submitConfirm(next, { _csrf: csrf, username: u.username, password: 'reset-password' })).status).toBe(303);
    // BindID sets an alias once, and this ID token already carries the very alias: the re-link sends
    // nothing (issue 24); a changed alias is alias_updated (the next test).
    expect(f.emulator.reports().map((r) => [r.type, r.alias, r.sub])).toEqual([['authentication_performed', String(u.id), sub]]);
    // Re-confirmed: the sign-in after that is direct again.
    const third = f.agent();
    expect((await bindIdSignIn(third, identity)).headers.location).toBe('/');
    expect((await whoami(third)).user).toEqual({ id: u.id, username: u.username });
  });

  it('E42 when the app also changed the alias, the re-confirmation sends alias_updated with the new alias', async () => {
    const store = new MemoryBindIdStore();
    const revoked = new Set<string>();
    let aliasOf = (user: TestUser) => String(user.id);
    const f = await start({
      router: {
        store,
        alias: (user) => aliasOf(user),
        findUserByAlias: (alias): AliasLookup<TestUser> => {
          if (revoked.has(alias)) return CONFIRM_AGAIN;
          const user = USERS.find((x) => aliasOf(x) === alias);
          return user ? { id: user.id, username: user.username } : undefined;
        },
      },
    });
    const u = freshUser();
    expect((await linkAs(f.agent(), 'ivy', u.username, u.password)).status).toBe(303);
    const sub = f.emulator.subOf('ivy') ?? '';
    // The app moves to new aliases: it revokes the old one and forgets the old link (explicitly).
    revoked.add(String(u.id));
    await new LinkRegistry(store).forget(String(u.id), sub);
    aliasOf = (user) => `user-${user.id}`;
    const next = f.agent();
    expect((await bindIdSignIn(next, 'ivy')).headers.location).toBe('/bindid/confirm');
    const { csrf } = await confirmPage(next);
    expect((await submitConfirm(next, { _csrf: csrf, username: u.username, password: u.password })).status).toBe(303);
    expect(f.emulator.reports()[1]).toMatchObject({ accepted: true, type: 'alias_updated', alias: `user-${u.id}`, sub });
    expect(f.emulator.aliasOf(sub)).toBe(`user-${u.id}`);
  });

  it('E43 logged in as X, confirming with Y\'s credentials: the session is renewed and belongs to Y only', async () => {
    const f = await start();
    f.app.get('/plant', (req, res) => {
      (req.session as unknown as Record<string, unknown>).planted = `${String(req.query.as)}-private-data`;
      res.end();
    });
    const x = freshUser();
    const y = freshUser();
    const agent = f.agent();
    const xLogin = await linkAs(agent, 'new', x.username, x.password);
    const xCookie = sessionCookie(xLogin) ?? '';
    expect((await whoami(agent)).user).toEqual({ id: x.id, username: x.username });
    await agent.get('/plant?as=x');
    // A new BindID identity in the same browser: X is signed out at the callback.
    expect((await bindIdSignIn(agent, 'new')).headers.location).toBe('/bindid/confirm');
    const between = await whoami(agent);
    expect(between.user).toBeNull();
    expect(between.session).not.toHaveProperty('planted');
    // Whatever lands in the session before the password step does not survive it either.
    await agent.get('/plant?as=pre-session');
    const { csrf } = await confirmPage(agent);
    expect((await submitConfirm(agent, { _csrf: csrf, username: y.username, password: y.password })).status).toBe(303);
    const me = await whoami(agent);
    expect(me.user).toEqual({ id: y.id, username: y.username });
    expect(me.session).not.toHaveProperty('planted');
    expect(JSON.stringify(me.session).includes(`"user":${x.id}`)).toBe(false);
    // X's old session id is dead.
    const replay = await f.agent().get('/whoami').set('Cookie', xCookie);
    expect(replay.body.user).toBeNull();
  });

  it('E44 logged in as X, a BindID callback for a new identity still asks for the password (no silent link to X)', async () => {
    const f = await start();
    const x = freshUser();
    const agent = f.agent();
    expect((await linkAs(agent, 'new', x.username, x.password)).status).toBe(303);
    verifyCalls.length = 0;
    const res = await bindIdSignIn(agent, 'new');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/bindid/confirm');
    expect((await confirmPage(agent)).res.text).toContain('name="password"');
    // The callback renewed the session: X is signed out until a password is typed.
    expect((await whoami(agent)).user).toBeNull();
    expect(f.emulator.reports()).toHaveLength(1);
    expect(lookups).toEqual([]);
    expect(verifyCalls).toEqual([]);
  });

  it('E45 a second BindID identity confirming an already linked account is refused before anything is sent', async () => {
    const failed: LinkFailedEvent[] = [];
    // BindID itself would allow it here: only the app's link registry stands in the way.
    const f = await start({ emulator: { aliasConflict: 'allow' }, router: { onLinkFailed: (e) => void failed.push(e) } });
    const x = freshUser();
    expect((await linkAs(f.agent(), 'new', x.username, x.password)).status).toBe(303);
    f.emulator.clearReports();
    const second = f.agent();
    const res = await linkAs(second, 'new', x.username, x.password);
    expect(res.status).toBe(409);
    expect(res.text).toContain(DEFAULT_CONFIRM_MESSAGES.alreadyLinked);
    expect(f.emulator.reports()).toHaveLength(0);
    expect(failed.map((e) => [e.reason, e.error?.code])).toEqual([['already_linked', ErrorCode.ALREADY_LINKED]]);
    expect((await whoami(second)).user).toBeNull();
  });

  it('E46 the same BindID identity confirming a second account is refused: no implicit alias_updated', async () => {
    const failed: LinkFailedEvent[] = [];
    const revoked = new Set<string>();
    const f = await start({
      emulator: { aliasConflict: 'allow' },
      router: {
        onLinkFailed: (e) => void failed.push(e),
        findUserByAlias: (alias): AliasLookup<TestUser> => (revoked.has(alias) ? CONFIRM_AGAIN : lookup(alias)),
      },
    });
    const x = freshUser();
    const y = freshUser();
    const identity = 'jack';
    expect((await linkAs(f.agent(), identity, x.username, x.password)).status).toBe(303);
    const sub = f.emulator.subOf(identity) ?? '';
    f.emulator.clearReports();
    // (a) BindID lost the alias (no bindid_alias in the ID token): the identity confirms as Y.
    f.emulator.setAlias(sub, undefined);
    const a = await linkAs(f.agent(), identity, y.username, y.password);
    expect(a.status).toBe(409);
    // (b) The app revoked X's link (CONFIRM_AGAIN) but did not forget it: confirming as Y would be an alias_updated.
    f.emulator.setAlias(sub, String(x.id));
    revoked.add(String(x.id));
    const b = await linkAs(f.agent(), identity, y.username, y.password);
    expect(b.status).toBe(409);
    expect(f.emulator.reports()).toHaveLength(0);
    expect(f.emulator.aliasOf(sub)).toBe(String(x.id));
    expect(failed.map((e) => e.reason)).toEqual(['already_linked', 'already_linked']);
  });

  it('E47 the confirm page shows the BindID email or phone number in full, so a stranger\'s identity is recognisable', async () => {
    const f = await start();
    const agent = f.agent();
    await bindIdSignIn(agent, 'alice');
    const email = (await confirmPage(agent)).res.text;
    expect(email).toContain('BindID account: alice@example.com');
    expect(email).not.toContain('•');

    const phone = await start({
      router: { scope: 'openid phone' },
      emulator: { identities: [{ id: 'phoney', phoneNumber: '+15555550123' }] },
    });
    const other = phone.agent();
    await bindIdSignIn(other, 'phoney');
    const text = (await confirmPage(other)).res.text;
    expect(text).toContain('BindID account: +15555550123');
  });

  describe('E48 only verified ID tokens reach linking', () => {
    let forger: Forger;
    beforeEach(async () => {
      await start();
      forger = await trustTestKey(flows.current().emulator);
    });

    it('E48 control: a well-formed token under the trusted test key is accepted (so the refusals below are the claim checks)', async () => {
      const f = flows.current();
      const res = await forgedCallback(f.agent(), f.emulator, (ctx) => forger.sign(claimsFor(ctx)));
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/bindid/confirm');
    });

    it.each([
      ['alg none (unsigned)', (ctx: Parameters<typeof claimsFor>[0]) => unsignedJwt(claimsFor(ctx, { bindid_alias: '1' }))],
      ['wrong aud', (ctx: Parameters<typeof claimsFor>[0]) => forger.sign(claimsFor(ctx, { aud: 'another-client', bindid_alias: '1' }))],
      ['wrong iss', (ctx: Parameters<typeof claimsFor>[0]) => forger.sign(claimsFor(ctx, { iss: 'https://evil.example', bindid_alias: '1' }))],
      ['wrong nonce', (ctx: Parameters<typeof claimsFor>[0]) => forger.sign(claimsFor(ctx, { nonce: 'replayed-nonce', bindid_alias: '1' }))],
      ['no nonce', (ctx: Parameters<typeof claimsFor>[0]) => forger.sign(claimsFor(ctx, { nonce: undefined, bindid_alias: '1' }))],
      ['expired', (ctx: Parameters<typeof claimsFor>[0]) => forger.sign(claimsFor(ctx, { exp: Math.floor(Date.now() / 1000) - 600, bindid_alias: '1' }))],
    ])('E48 %s: refused (ERR_BINDID_CALLBACK_INVALID), nothing stored, no lookup', async (_name, token) => {
      const f = flows.current();
      const agent = f.agent();
      const res = await forgedCallback(agent, f.emulator, token);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(ErrorCode.CALLBACK_INVALID);
      const me = await whoami(agent);
      expect(me.user).toBeNull();
      expect(me.session.bindid ?? {}).not.toHaveProperty('pending');
      expect(lookups).toEqual([]);
    });

    it('E48 claims in the callback query (sub, bindid_alias, email) are ignored: only the verified ID token counts', async () => {
      const f = flows.current();
      const agent = f.agent();
      const callback = new URL(await authorizeAt(await startLogin(agent), 'new'));
      for (const [name, value] of [['bindid_alias', '1'], ['sub', f.emulator.subOf('alice') ?? ''], ['email', 'alice@example.com'], ['email_verified', 'true']]) {
        callback.searchParams.set(name as string, value as string);
      }
      const res = await agent.get(appPath(callback.href));
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/bindid/confirm');
      const pending = ((await whoami(agent)).session.bindid as { pending?: { claims: Record<string, unknown> } }).pending;
      expect(pending?.claims.sub).not.toBe(f.emulator.subOf('alice'));
      expect(pending?.claims).not.toHaveProperty('bindid_alias');
      // A new BindID person has no email unless one is verified (acr_values): the query's email counts for nothing.
      expect(pending?.claims).not.toHaveProperty('email');
      expect(lookups).toEqual([]);
      expect((await whoami(agent)).user).toBeNull();
    });
  });

  it('E49 a failed password sends nothing to BindID; only the right one sends exactly one request', async () => {
    const api = await FakeBindId.start();
    try {
      const f = await start({ router: { apiUrl: api.url } });
      const u = freshUser();
      const agent = f.agent();
      await bindIdSignIn(agent, 'new');
      const { csrf } = await confirmPage(agent);
      for (const password of ['wrong', '', u.password.toUpperCase()]) {
        expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password })).status).toBe(401);
      }
      expect(api.requests).toHaveLength(0);
      expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })).status).toBe(303);
      expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /session-feedback']);
    } finally {
      await api.close();
    }
  });

  it('E50 the alias reported is derived from the user verify returned, not from the typed username', async () => {
    const f = await start({
      verify: (username, password) => (username.toLowerCase() === 'alice' && password === 'alice-password' ? { id: 42, username: 'alice' } : false),
    });
    const agent = f.agent();
    expect((await linkAs(agent, 'new', 'ALICE', 'alice-password')).status).toBe(303);
    const report = f.emulator.reports()[0];
    expect(report).toMatchObject({ accepted: true, type: 'authentication_performed', alias: '42' });
  });

  describe('N132–N133 one to one under concurrency', () => {
    const RACES = 20;
    /** Identities that can sign in again and again: two per race. */
    const RACERS = Array.from({ length: 2 * RACES }, (_, i) => ({ id: `racer${i}`, email: `racer${i}@example.com` }));
    /** Accounts of the races (each test has its own store, so they can be reused from test to test). */
    const account = (i: number) => USERS[3 + i] as TestUser & { password: string };
    const credentials = (i: number) => ({ username: account(i).username, password: account(i).password });

    function raceFlow(store: BindIdStore): Promise<Flow> {
      // BindID itself would allow both links here: only the app's link registry stands in the way.
      return start({ emulator: { identities: RACERS, aliasConflict: 'allow' }, router: { store } });
    }

    /** A browser of `identity` at the confirm page, and the fields that confirm as account `i`. */
    async function ready(f: Flow, identity: string, i: number): Promise<{ agent: ReturnType<Flow['agent']>; fields: Record<string, string> }> {
      const agent = f.agent();
      const callback = await bindIdSignIn(agent, identity);
      expect(callback.headers.location).toBe('/bindid/confirm');
      const { csrf } = await confirmPage(agent);
      return { agent, fields: { _csrf: csrf, ...credentials(i) } };
    }

    /** The registry as stored: every link key, each holding a link (never a reservation left behind). */
    async function registryOf(store: KeyListingStore): Promise<string[]> {
      const keys = await store.keys('link:');
      const values = await Promise.all(keys.map((k) => store.get(k)));
      expect(values.filter((v) => v === undefined || v.startsWith('reserved:'))).toEqual([]);
      return keys;
    }

    it('N132 router: two sessions of one BindID identity confirm two accounts at once (20 races): one links (303), the other gets 409; one report per sub; the registry one to one', async () => {
      const store = new KeyListingStore();
      const f = await raceFlow(store);
      const registry = new LinkRegistry(store);
      for (let race = 0; race < RACES; race++) {
        const identity = `racer${race}`;
        const [a, b] = [await ready(f, identity, 2 * race), await ready(f, identity, 2 * race + 1)];
        const res = await Promise.all([submitConfirm(a.agent, a.fields), submitConfirm(b.agent, b.fields)]);
        expect(res.map((r) => r.status).sort()).toEqual([303, 409]);
        const sub = f.emulator.subOf(identity) as string;
        const linked = await Promise.all([0, 1].map((k) => registry.isLinked(String(account(2 * race + k).id), sub)));
        expect(linked).toEqual(res.map((r) => r.status === 303));
        const loser = res[0]?.status === 303 ? b : a;
        expect((await whoami(loser.agent)).user).toBeNull();
      }
      const accepted = acceptedPerSub(f.emulator);
      expect(accepted.size).toBe(RACES);
      expect([...accepted.values()].every((n) => n === 1)).toBe(true);
      expect(f.emulator.reports().filter((r) => r.accepted)).toHaveLength(RACES);
      expect(await registryOf(store)).toHaveLength(2 * RACES);
    });

    it('N132 router: two BindID identities confirm one account at once (20 races): one links (303), the other gets 409; one report per account; the registry one to one', async () => {
      const store = new KeyListingStore();
      const f = await raceFlow(store);
      const registry = new LinkRegistry(store);
      for (let race = 0; race < RACES; race++) {
        const identities = [`racer${2 * race}`, `racer${2 * race + 1}`];
        const [a, b] = [await ready(f, identities[0] as string, race), await ready(f, identities[1] as string, race)];
        const res = await Promise.all([submitConfirm(a.agent, a.fields), submitConfirm(b.agent, b.fields)]);
        expect(res.map((r) => r.status).sort()).toEqual([303, 409]);
        const subs = identities.map((id) => f.emulator.subOf(id) as string);
        const linked = await Promise.all(subs.map((sub) => registry.isLinked(String(account(race).id), sub)));
        expect(linked).toEqual(res.map((r) => r.status === 303));
      }
      const reports = f.emulator.reports().filter((r) => r.accepted);
      expect(reports).toHaveLength(RACES);
      expect(new Set(reports.map((r) => r.alias)).size).toBe(RACES);
      expect(await registryOf(store)).toHaveLength(2 * RACES);
    });

    it('N133 middleware: the same two races on two app instances sharing one store: exactly one of each pair links, the other gets 409; one report per sub and per account', async () => {
      const store = new KeyListingStore();
      const f = await raceFlow(store);
      const registry = new LinkRegistry(store);
      const apps = [createMiddlewareApp(f.emulator, { store }), createMiddlewareApp(f.emulator, { store })] as const;
      const race2 = async (identities: [string, string], accounts: [number, number]) => {
        await apps[0].seed(await mintLogin(f.emulator, identities[0]));
        await apps[1].seed(await mintLogin(f.emulator, identities[1]));
        const res = await Promise.all([apps[0].confirm(credentials(accounts[0])), apps[1].confirm(credentials(accounts[1]))]);
        expect(res.map((r) => r.status).sort()).toEqual([200, 409]);
        const refused = res.find((r) => r.status === 409);
        expect(refused?.body).toEqual({ code: ErrorCode.ALREADY_LINKED });
        const subs = identities.map((id) => f.emulator.subOf(id) as string);
        const linked = await Promise.all([0, 1].map((k) => registry.isLinked(String(account(accounts[k] as number).id), subs[k] as string)));
        expect(linked).toEqual(res.map((r) => r.status === 200));
      };
      for (let race = 0; race < RACES; race++) {
        // One BindID identity, two accounts.
        await race2([`racer${race}`, `racer${race}`], [2 * race, 2 * race + 1]);
      }
      for (let race = 0; race < RACES / 2; race++) {
        // Two BindID identities (not linked yet), one account.
        await race2([`racer${RACES + 2 * race}`, `racer${RACES + 2 * race + 1}`], [2 * RACES + race, 2 * RACES + race]);
      }
      const reports = f.emulator.reports().filter((r) => r.accepted);
      expect(reports).toHaveLength(RACES + RACES / 2);
      expect(new Set(reports.map((r) => r.sub)).size).toBe(reports.length);
      expect(new Set(reports.map((r) => r.alias)).size).toBe(reports.length);
      expect(await registryOf(store)).toHaveLength(2 * reports.length);
    });

    it('N135 a reservation whose report failed is released: after a 503 the same pair links on retry; after a refusal another identity can link the account', async () => {
      const store = new KeyListingStore();
      const f = await raceFlow(store);
      // BindID down (the client retries: every attempt fails): 503, nothing linked, nothing left reserved.
      const a = await ready(f, 'racer0', 0);
      f.emulator.setFault('session-feedback', { status: 503 });
      expect((await submitConfirm(a.agent, a.fields)).status).toBe(503);
      expect(await store.keys('link:')).toEqual([]);
      f.emulator.setFault('session-feedback', undefined);
      const again = await confirmPage(a.agent);
      expect((await submitConfirm(a.agent, { ...a.fields, _csrf: again.csrf })).status).toBe(303);
      expect(await new LinkRegistry(store).isLinked(String(account(0).id), f.emulator.subOf('racer0') as string)).toBe(true);

      // BindID refuses the report for good: 4xx, the reservation is released, so another identity links that account.
      const b = await ready(f, 'racer1', 1);
      f.emulator.setFault('session-feedback', { status: 400, times: 1 });
      expect((await submitConfirm(b.agent, b.fields)).status).not.toBe(303);
      expect(await store.keys(`link:`)).toHaveLength(2); // racer0's link only
      const c = await ready(f, 'racer2', 1);
      expect((await submitConfirm(c.agent, c.fields)).status).toBe(303);
      expect(await registryOf(store)).toHaveLength(4);
    });
  });
});
