/**
 * N178 (issue 23 item 1, pentest 2026-12-07 F1): a flood cannot flush security state. The
 * reproduction at a size CI affords: the store holds 200 keys instead of 100,000, and one client
 * runs 260 cycles of `GET /login/bindid` + a callback carrying that sign-in's own state (each one
 * consumes a state: a key in the store). Before the fix the store dropped its oldest keys, attempt
 * counters and the link included; now it keeps every unexpired key and refuses new ones (503).
 * Within the same 15-minute window, once the flood's own keys have expired:
 * - a pending login's 6th password check is refused (limit 5) and links nothing;
 * - an account locked by 10 failures stays locked;
 * - a link record is still there: a second BindID identity confirming a linked account gets 409 and
 *   no report is sent.
 */
import { MemoryBindIdStore } from '../../src/index.js';
import { type Agent, bindIdSignIn, confirmPage, createFlow, type Flow, freshUser, linkAs, submitConfirm, whoami } from '../helpers/flow.js';

const MAX_KEYS = 200;
const CYCLES = 260;
/** How long a sign-in may take at BindID (TRANSACTION_TTL_MS): the flood's used states expire then. Written out so this file runs on the code before the fix too. */
const STATE_LIFETIME_MS = 10 * 60 * 1000;

let clock = Date.now();
const store = new MemoryBindIdStore({ maxKeys: MAX_KEYS, now: () => clock });
let flow: Flow;
beforeAll(async () => {
  flow = await createFlow({ router: { store, now: () => clock, pendingTtlSeconds: 1800 } });
});
afterAll(() => flow.close());

/** A browser at the confirm page of a new BindID identity: its CSRF token. */
async function pending(agent: Agent): Promise<string> {
  const res = await bindIdSignIn(agent, 'new');
  if (res.headers.location !== '/bindid/confirm') throw new Error(`not a new user: ${res.status}`);
  return (await confirmPage(agent)).csrf;
}

/** One flood cycle from `client`: a login start, then a callback with its own state and a made-up code. */
async function cycle(client: Agent): Promise<string> {
  const start = await client.get('/login/bindid');
  const state = new URL(start.headers.location as string).searchParams.get('state') ?? '';
  const res = await client.get(`/bindid/callback?state=${encodeURIComponent(state)}&code=flood`);
  return `${res.status} ${(res.body as { code?: string }).code ?? ''}`.trim();
}

describe('N178 a flood of sign-ins cannot flush attempt limits or links from the store', () => {
  // About 600 requests: a generous deadline on a shared machine (no assertion depends on speed).
  it('N178 260 login+callback cycles against a 200-key store: limits, the lock and the link hold within the window', async () => {
    // Before the flood: alice linked; pending login P with 4 wrong guesses for bob; carol locked.
    const alice = freshUser();
    expect((await linkAs(flow.agent(), 'new', alice.username, alice.password)).status).toBe(303);
    const attacker = flow.agent();
    const p = await pending(attacker);
    const bob = freshUser();
    for (let i = 0; i < 4; i++) expect((await submitConfirm(attacker, { _csrf: p, username: bob.username, password: 'wrong' })).status).toBe(401);
    const carol = freshUser();
    for (let login = 0; login < 2; login++) {
      const agent = flow.agent();
      const csrf = await pending(agent);
      for (let i = 0; i < 5; i++) await submitConfirm(agent, { _csrf: csrf, username: carol.username, password: 'wrong' });
    }
    const carolAgain = flow.agent();
    const c = await pending(carolAgain);
    const mallory = flow.agent();
    const m = await pending(mallory);
    const reportsBefore = flow.emulator.reports().length;

    // The flood, from one client.
    const client = flow.agent();
    const statuses = new Map<string, number>();
    for (let i = 0; i < CYCLES; i++) {
      const status = await cycle(client);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const sizeAfterFlood = store.size;

    // The flood's used states expire with their transactions; the 15-minute window is still open.
    clock += STATE_LIFETIME_MS + 1_000;

    // P: the 5th guess is its last, the 6th (the right password) is refused and links nothing.
    expect((await submitConfirm(attacker, { _csrf: p, username: bob.username, password: 'wrong' })).status).toBe(400);
    const sixth = await submitConfirm(attacker, { _csrf: p, username: bob.username, password: bob.password });
    expect(sixth.status).toBe(400);
    expect((await whoami(attacker)).user).toBeNull();
    // carol is still locked: her right password is refused like a wrong one.
    expect((await submitConfirm(carolAgain, { _csrf: c, username: carol.username, password: carol.password })).status).toBe(401);
    expect((await whoami(carolAgain)).user).toBeNull();
    // alice's link is still there: a second identity confirming alice is refused before any report.
    const second = await submitConfirm(mallory, { _csrf: m, username: alice.username, password: alice.password });
    expect(second.status).toBe(409);
    expect((await whoami(mallory)).user).toBeNull();
    expect(flow.emulator.reports()).toHaveLength(reportsBefore);
    // The store filled up and refused the rest (503 ERR_BINDID_STORE_FULL): it dropped nothing to make room.
    expect(statuses.get('503 ERR_BINDID_STORE_FULL')).toBeGreaterThan(0);
    expect(sizeAfterFlood).toBe(MAX_KEYS);
    expect(store.size).toBeLessThan(MAX_KEYS);
  }, 180_000);
});
