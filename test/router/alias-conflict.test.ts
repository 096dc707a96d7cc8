/**
 * Issue 21, point 3: a confirmation refused because the account or the BindID identity is linked
 * elsewhere — by BindID (409, `ERR_BINDID_REJECTED` with `upstreamStatus` 409) or by the app's link
 * registry (`ERR_BINDID_ALREADY_LINKED`) — answers 409 with a page that says so and what to do, not
 * the "it expired, start again" page (starting again would be refused the same way).
 */
import { DEFAULT_CONFIRM_MESSAGES, ErrorCode, renderDefaultConfirmPage } from '../../src/index.js';
import type { LinkFailedEvent } from '../../src/flow/flow-events.js';
import { bindIdSignIn, confirmPage, freshUser, linkAs, useFlowPerTest, whoami } from '../helpers/flow.js';

const flows = useFlowPerTest();

/** What the page must say, and must not. */
function expectAlreadyLinkedPage(text: string): void {
  expect(text).toContain(`role="alert">${DEFAULT_CONFIRM_MESSAGES.alreadyLinked}</p>`);
  expect(text).toContain('already linked to another BindID identity, or this BindID identity to another account');
  expect(text).toContain('Sign in with your password');
  expect(text).toContain('unlink BindID from the account first, or contact support');
  expect(text).not.toContain(DEFAULT_CONFIRM_MESSAGES.expired);
  expect(text).not.toContain(DEFAULT_CONFIRM_MESSAGES.rejected);
  expect(text).not.toContain('href="/login/bindid'); // no "start again": it would be refused the same way
}

describe('a confirmation refused because of a link elsewhere', () => {
  it('BindID refuses the report with 409 (alias held by another BindID user): 409, the page says what happened and what to do; onLinkFailed already_linked with ERR_BINDID_REJECTED (upstream 409)', async () => {
    const failed: LinkFailedEvent[] = [];
    const f = await flows.start({ router: { onLinkFailed: (e) => void failed.push(e) } });
    const account = freshUser();
    // BindID already holds the account's alias for another identity; the app's registry does not know it.
    const held = f.emulator.subOf('bob') as string;
    f.emulator.setAlias(held, String(account.id));

    const agent = f.agent();
    const res = await linkAs(agent, 'new', account.username, account.password);

    expect(res.status).toBe(409);
    expectAlreadyLinkedPage(res.text);
    expect(f.emulator.reports().map((r) => [r.status, r.accepted, r.alias])).toEqual([[409, false, String(account.id)]]);
    expect(failed.map((e) => [e.reason, e.error?.code, e.error?.upstreamStatus])).toEqual([['already_linked', ErrorCode.REJECTED, 409]]);
    expect((await whoami(agent)).user).toBeNull();
    // The pending login is gone: the confirm page has nothing left to confirm.
    expect((await confirmPage(agent)).res.status).toBe(400);
    expect(f.emulator.aliasOf(held)).toBe(String(account.id));
  });

  it("the app's link registry refuses first (ERR_BINDID_ALREADY_LINKED): the same 409 page, nothing sent", async () => {
    const failed: LinkFailedEvent[] = [];
    const f = await flows.start({ router: { onLinkFailed: (e) => void failed.push(e) } });
    const account = freshUser();
    expect((await linkAs(f.agent(), 'new', account.username, account.password)).status).toBe(303);
    f.emulator.clearReports();

    const agent = f.agent();
    const res = await linkAs(agent, 'new', account.username, account.password);

    expect(res.status).toBe(409);
    expectAlreadyLinkedPage(res.text);
    expect(f.emulator.reports()).toEqual([]);
    expect(failed.map((e) => [e.reason, e.error?.code])).toEqual([['already_linked', ErrorCode.ALREADY_LINKED]]);
    expect((await whoami(agent)).user).toBeNull();
  });

  it('another refusal by BindID (400) still ends on the "start again" page (502)', async () => {
    const f = await flows.start();
    const account = freshUser();
    const agent = f.agent();
    const callback = await bindIdSignIn(agent, 'new');
    expect(callback.headers.location).toBe('/bindid/confirm');
    f.emulator.setFault('session-feedback', { status: 400 });
    const { csrf } = await confirmPage(agent);
    const res = await agent
      .post('/bindid/confirm')
      .type('form')
      .set('Origin', 'http://localhost:4000')
      .send({ _csrf: csrf, username: account.username, password: account.password });
    expect(res.status).toBe(502);
    expect(res.text).toContain(DEFAULT_CONFIRM_MESSAGES.rejected);
    expect(res.text).toContain('href="/login/bindid"');
  });
});

describe("renderDefaultConfirmPage's already-linked view", () => {
  it('says what happened and what to do, with the default or translated message, and offers no "start again"', () => {
    const model = { view: 'already-linked' as const, status: 409, action: '/c', cancelAction: '/c/cancel', startOverUrl: '/login/bindid', fields: { username: 'username', password: 'password' } };
    expectAlreadyLinkedPage(renderDefaultConfirmPage({ ...model, messages: { ...DEFAULT_CONFIRM_MESSAGES } }));
    const fr = renderDefaultConfirmPage({ ...model, messages: { ...DEFAULT_CONFIRM_MESSAGES, alreadyLinked: 'Rien n’a été lié.' } });
    expect(fr).toContain('role="alert">Rien n’a été lié.</p>');
    expect(fr).not.toContain('href="/login/bindid"');
  });
});
