/**
 * Issue 14, alias lifecycle: the policy for a malformed `bindid_alias` in the verified ID token, and
 * the report type of a re-link (never a second `authentication_performed` for a user with an alias).
 */
import { CONFIRM_AGAIN, ErrorCode, MemoryBindIdStore } from '../../src/index.js';
import type { LinkFailedEvent } from '../../src/flow/flow-events.js';
import { LinkRegistry } from '../../src/confirm/link-registry.js';
import { claimsFor, forgedCallback, trustTestKey } from '../helpers/forged-tokens.js';
import { bindIdSignIn, confirmPage, freshUser, linkAs, submitConfirm, type TestUser, useFlowPerTest, whoami } from '../helpers/flow.js';

const flows = useFlowPerTest({ shareEmulator: true });

describe('a malformed bindid_alias in the verified ID token', () => {
  it.each([
    ['a number', 42],
    ['an object', { id: 1 }],
    ['over 256 characters', '1'.repeat(257)],
    ['a control character', '1\n2'],
    ['surrounding whitespace', ' 1 '],
  ])('N150 %s: ERR_BINDID_ALIAS_UNUSABLE (403) saying whom to contact, onLinkFailed invalid_alias, no lookup, never trimmed', async (_name, value) => {
    const lookups: string[] = [];
    const failed: LinkFailedEvent[] = [];
    const f = await flows.start({
      router: {
        findUserByAlias: (alias) => {
          lookups.push(alias);
          return { id: 1, username: 'alice' };
        },
        onLinkFailed: (e) => void failed.push(e),
      },
    });
    const forger = await trustTestKey(f.emulator);
    const agent = f.agent();
    let sub = '';
    const res = await forgedCallback(agent, f.emulator, (ctx) => {
      const claims = claimsFor(ctx, { bindid_alias: value });
      sub = claims.sub as string;
      return forger.sign(claims);
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(ErrorCode.ALIAS_UNUSABLE);
    expect(res.body.message).toMatch(/another application of the same BindID tenant/);
    expect(res.body.message).toMatch(/support/);
    expect(lookups).toEqual([]); // not even the trimmed value is looked up
    expect(failed.map((e) => [e.reason, e.sub, e.error?.code])).toEqual([['invalid_alias', sub, ErrorCode.ALIAS_UNUSABLE]]);
    const me = await whoami(agent);
    expect(me.user).toBeNull();
    expect(me.session.bindid ?? {}).not.toHaveProperty('pending');
    expect(f.emulator.reports()).toEqual([]);
  });

  it('N150 an empty bindid_alias counts as no alias: the confirm page, then authentication_performed', async () => {
    const lookups: string[] = [];
    const f = await flows.start({ router: { findUserByAlias: (alias) => void lookups.push(alias) } });
    const forger = await trustTestKey(f.emulator);
    const agent = f.agent();
    const res = await forgedCallback(agent, f.emulator, (ctx) => forger.sign(claimsFor(ctx, { bindid_alias: '' })));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/bindid/confirm');
    expect(lookups).toEqual([]);
    // The forged access token is unknown at the emulator: the report is refused there, but its type is on the wire.
    const { csrf } = await confirmPage(agent);
    const u = freshUser();
    await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(f.emulator.reports().map((r) => [r.type, r.alias])).toEqual([['authentication_performed', String(u.id)]]);
  });
});

describe('re-linking a BindID user whose ID token carries an alias', () => {
  async function relink(newAliasFor: (user: TestUser) => string): Promise<{ types: Array<[string | undefined, string | undefined, boolean]>; alias: string | undefined }> {
    const revoked = new Set<string>();
    const store = new MemoryBindIdStore();
    const f = await flows.start({
      emulator: { identities: [{ id: 'dora', email: 'dora@example.com' }] },
      router: {
        store,
        alias: (user) => newAliasFor(user),
        findUserByAlias: (alias) => (revoked.has(alias) ? CONFIRM_AGAIN : { id: 1, username: 'alice' }),
      },
    });
    const u = freshUser();
    const first = await linkAs(f.agent(), 'dora', u.username, u.password);
    expect(first.status).toBe(303);
    const aliasAtBindId = f.emulator.aliasOf(f.emulator.subOf('dora') ?? '') as string;
    revoked.add(aliasAtBindId);
    // The app's revocation, as the README says: CONFIRM_AGAIN, and the old link forgotten (so a new alias may be linked).
    await new LinkRegistry(store).forget(aliasAtBindId, f.emulator.subOf('dora') ?? '');
    const agent = f.agent();
    const callback = await bindIdSignIn(agent, 'dora');
    expect(callback.headers.location).toBe('/bindid/confirm');
    const { csrf } = await confirmPage(agent);
    const done = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(done.status).toBe(303);
    return {
      types: f.emulator.reports().map((r) => [r.type, r.alias, r.accepted]),
      alias: f.emulator.aliasOf(f.emulator.subOf('dora') ?? ''),
    };
  }

  it('N151 CONFIRM_AGAIN with the same alias sends nothing to BindID (it holds that alias), never a second authentication_performed', async () => {
    const { types, alias } = await relink((user) => String(user.id));
    expect(types).toEqual([['authentication_performed', alias, true]]);
  });

  it('N151 CONFIRM_AGAIN with a new alias reports alias_updated on the wire, never a second authentication_performed', async () => {
    let linkedOnce = false;
    const { types, alias } = await relink((user) => {
      const alias = linkedOnce ? `${user.id}-v2` : String(user.id);
      linkedOnce = true;
      return alias;
    });
    expect(alias).toMatch(/-v2$/);
    expect(types).toEqual([
      ['authentication_performed', alias?.replace(/-v2$/, ''), true],
      ['alias_updated', alias, true],
    ]);
  });
});

describe('a BindID that refuses a repeated authentication_performed (emulator repeatedAuthenticationPerformed: reject)', () => {
  // The library never sends authentication_performed for an ID token that carries an alias (N151).
  // It still can when two pending logins of one BindID user, both taken before the alias was set, are
  // confirmed in turn: BindID then holds the alias and (if it refuses a second authentication_performed)
  // answers 400. What the library does then: the second confirmation is refused, nobody is signed in by
  // it, the first link stands, and the next BindID sign-in carries the alias and signs the user in.
  it('the second of two pending logins of one BindID user is refused (502, "can no longer be confirmed"); the next sign-in is recognised', async () => {
    const flow = await flows.start({ emulator: { repeatedAuthenticationPerformed: 'reject' } });
    const [a, b] = [flow.agent(), flow.agent()];
    expect((await bindIdSignIn(a, 'alice')).headers.location).toBe('/bindid/confirm');
    expect((await bindIdSignIn(b, 'alice')).headers.location).toBe('/bindid/confirm');
    const [pageA, pageB] = [await confirmPage(a), await confirmPage(b)];

    expect((await submitConfirm(a, { _csrf: pageA.csrf, username: 'alice', password: 'alice-password' })).status).toBe(303);
    const second = await submitConfirm(b, { _csrf: pageB.csrf, username: 'alice', password: 'alice-password' });
    expect(second.status).toBe(502);
    expect(second.text).toContain('This sign-in can no longer be confirmed');
    expect((await whoami(b)).user).toBeNull();
    expect(flow.emulator.reports().map((r) => [r.type, r.status])).toEqual([
      ['authentication_performed', 200],
      ['authentication_performed', 400],
    ]);

    const later = flow.agent();
    expect((await bindIdSignIn(later, 'alice')).headers.location).toBe('/');
    expect((await whoami(later)).user).toMatchObject({ username: 'alice' });
  });
});
