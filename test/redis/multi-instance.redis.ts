/**
 * Several app instances on one real Redis server, then on a 3-master Redis Cluster (`npm run
 * test:redis`, issues 4 §4 and 15 §2): each instance is its
 * own process (test/redis/instance.ts) with connect-redis sessions, `RedisBindIdStore` (attempt
 * counters, single-use claims, link registry) and, in fail-open mode, `StoreOutbox` on it, its
 * outbox worker running on a timer. One browser (one cookie jar) sends each request to the instance
 * the test picks, as a load balancer may; one emulator stands for BindID and counts the reports.
 *
 * What must hold: the journey works whichever instance serves each step; attempt limits count
 * across instances; a pending login is confirmed once whichever instances race for it; a report
 * queued by one instance is delivered exactly once by the instances' workers together, also when
 * the instance that queued it is killed and when Redis restarts in the middle of the outage; an
 * unlink on one instance racing the owner's re-link on another leaves the link registry as BindID
 * last heard it, and reports `onUnlinked` only when it removed the link.
 */
import { LinkRegistry } from '../../src/confirm/link-registry.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { RedisBindIdStore } from '../../src/index.js';
import { acceptedPerSub, identities } from '../helpers/outbox.js';
import { Browser, eventually, type Instance, type InstanceOptions, PUBLIC_ORIGIN, sleep, startInstance } from './instances.js';
import { NODE_REDIS, type RedisTarget, startTarget, TOPOLOGIES, TOPOLOGY_NAME } from './targets.js';

// Every name below is per topology: a fresh Redis, emulator and instances for each.
describe.each(TOPOLOGIES.map((topology) => [TOPOLOGY_NAME[topology], topology] as const))('on %s', (_name, topology) => {
  const DOWN = { status: 503 } as const;
  const GENERIC = 'Invalid username or password.';

  let redis: RedisTarget;
  let emulator: Emulator;
  const running: Instance[] = [];

  beforeAll(async () => {
    redis = await startTarget(topology);
    emulator = await createEmulator({ redirectUris: [`${PUBLIC_ORIGIN}/bindid/callback`], identities: identities(200) });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(running.splice(0).map((i) => i.stop()));
    await emulator?.close();
    await redis?.close();
  });
  afterEach(() => {
    emulator.clearFaults();
  });

  async function instance(name: string, options: InstanceOptions): Promise<Instance> {
    const started = await startInstance(name, redis.urls.join(','), emulator, { ...options, cluster: topology === 'cluster' });
    running.push(started);
    return started;
  }

  let nextIdentity = 0;
  /** A BindID identity no test has used yet, and its `sub`. */
  function freshIdentity(): { id: string; sub: string } {
    const id = `user${nextIdentity++}`;
    const sub = emulator.subOf(id);
    if (!sub) throw new Error(`the emulator does not know ${id}`);
    return { id, sub };
  }

  let nextUser = 100;
  /** A local account no test has linked yet: `user<n>` / `pw-<n>`. */
  function freshAccount(): { id: number; username: string; password: string } {
    const id = nextUser++;
    return { id, username: `user${id}`, password: `pw-${id}` };
  }

  /** A browser holding a pending BindID login for a fresh identity (callback served by `callback`). */
  async function pendingAt(start: Instance, callback: Instance): Promise<{ browser: Browser; identity: { id: string; sub: string } }> {
    const browser = new Browser();
    const identity = freshIdentity();
    const res = await browser.bindIdSignIn(start, callback, identity.id);
    expect(res).toMatchObject({ status: 303, location: '/bindid/confirm' });
    return { browser, identity };
  }

  const accepted = (sub: string) => acceptedPerSub(emulator).get(sub) ?? 0;
  const count = (instances: Instance[], name: string, sub?: string) =>
    instances.flatMap((i) => i.events).filter((e) => e.name === name && (sub === undefined || e.sub === sub)).length;

  /** Outbox items left in Redis (the ids in the outbox's queue). */
  async function outboxItems(): Promise<string[]> {
    const { client, close } = await NODE_REDIS.open(redis);
    try {
      // The hash of the outbox's items (src/stores/redis-queue.ts), read without changing anything.
    return await (client as unknown as { hKeys(key: string): Promise<string[]> }).hKeys('bindid:{outbox:}items');
    } finally {
      await close();
    }
  }

  /**
   * Once the outbox in Redis is empty, let both workers run several more times (1 s), then check that
   * each of `subs` has exactly one accepted report: delivered, and not again.
   */
  async function expectDeliveredOnce(subs: string[]): Promise<void> {
    await eventually('the outbox empty', async () => (await outboxItems()).length === 0);
    await sleep(1000);
    expect(subs.map(accepted)).toEqual(subs.map(() => 1));
  }

  describe('fail-closed (the default): two instances share sessions, attempt counters and claims', () => {
    let a: Instance;
    let b: Instance;
    beforeAll(async () => {
      const options = { maxAttempts: 3, perAccount: 4 };
      [a, b] = await Promise.all([instance('A', options), instance('B', options)]);
    }, 90_000);

    it('the journey across instances: callback on A, a wrong password on B, the right one on A; one report; B sees the user; the next BindID login on B goes straight in', async () => {
      const { browser, identity } = await pendingAt(a, a);
      const account = freshAccount();
      const onB = await browser.confirmPage(b);
      expect(onB.page.status).toBe(200);
      expect(onB.csrf).not.toBe('');

      const wrong = await browser.confirm(b, onB.csrf, account.username, 'wrong-password');
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain(GENERIC);
      expect(emulator.reports().filter((r) => r.sub === identity.sub)).toHaveLength(0);

      const onA = await browser.confirmPage(a);
      const right = await browser.confirm(a, onA.csrf, account.username, account.password);
      expect(right).toMatchObject({ status: 303, location: '/' });
      expect(await browser.whoami(b)).toEqual({ id: account.id, username: account.username });
      expect(accepted(identity.sub)).toBe(1);
      expect(emulator.aliasOf(identity.sub)).toBe(String(account.id));
      expect(count([a, b], 'linked', identity.sub)).toBe(1);

      // Later: a new browser, BindID now returns the alias; B signs the user in without the confirm page.
      const later = new Browser();
      const back = await later.bindIdSignIn(b, b, identity.id);
      expect(back).toMatchObject({ status: 303, location: '/' });
      expect(await later.whoami(a)).toEqual({ id: account.id, username: account.username });
      expect(accepted(identity.sub)).toBe(1);
    });

    it('C22 across instances: wrong passwords on A, B, A destroy the pending login on both; the right password then sends nothing', async () => {
      const { browser, identity } = await pendingAt(a, b);
      const account = freshAccount();
      const { csrf } = await browser.confirmPage(a);
      expect((await browser.confirm(a, csrf, account.username, 'wrong-1')).status).toBe(401);
      expect((await browser.confirm(b, csrf, account.username, 'wrong-2')).status).toBe(401);
      const third = await browser.confirm(a, csrf, account.username, 'wrong-3');
      expect(third.status).toBe(400);
      expect(third.text).toContain('This sign-in can no longer be confirmed');
      for (const where of [a, b]) {
        const right = await browser.confirm(where, csrf, account.username, account.password);
        expect(right.status).toBe(400);
        expect(await browser.whoami(where)).toBeNull();
      }
      expect(emulator.reports().filter((r) => r.sub === identity.sub)).toHaveLength(0);
    });

    it('C23 across instances: the per-account counter locks after 4 failures spread over A and B, each from a fresh BindID login', async () => {
      const account = freshAccount();
      const subs: string[] = [];
      for (const [start, callback, confirmOn] of [
        [a, b, a],
        [b, a, b],
        [a, a, b],
        [b, b, a],
      ] as const) {
        const { browser, identity } = await pendingAt(start, callback);
        subs.push(identity.sub);
        const { csrf } = await browser.confirmPage(confirmOn);
        expect((await browser.confirm(confirmOn, csrf, account.username, 'wrong-password')).status).toBe(401);
      }
      for (const where of [a, b]) {
        const { browser, identity } = await pendingAt(where, where);
        subs.push(identity.sub);
        const { csrf } = await browser.confirmPage(where);
        const locked = await browser.confirm(where, csrf, account.username, account.password);
        expect(locked.status).toBe(401);
        expect(locked.text).toContain(GENERIC);
        expect(await browser.whoami(where)).toBeNull();
      }
      expect(emulator.reports().filter((r) => r.sub !== undefined && subs.includes(r.sub))).toHaveLength(0);
    });

    it('D33 across instances: the same confirmation sent to A and B at once links once and sends one report (10 races)', async () => {
      for (let race = 0; race < 10; race++) {
        const { browser, identity } = await pendingAt(a, a);
        const account = freshAccount();
        const { csrf } = await browser.confirmPage(b);
        const answers = await Promise.all([
          browser.confirm(a, csrf, account.username, account.password),
          browser.confirm(b, csrf, account.username, account.password),
        ]);
        expect(answers.filter((r) => r.status === 303)).toHaveLength(1);
        expect(accepted(identity.sub)).toBe(1);
        expect(count([a, b], 'linked', identity.sub)).toBe(1);
      }
    });

    it('N122 across instances: the same callback sent to A and B at once is exchanged once; the other answers 400 without a token request (10 races)', async () => {
      emulator.setFault('token', { delayMs: 300 }); // both requests reach the state check before either has a token
      try {
        for (let race = 0; race < 10; race++) {
          const browser = new Browser();
          const identity = freshIdentity();
          const login = await browser.get(a, '/login/bindid');
          const authorize = await fetch(`${login.location}&identity=${identity.id}`, { redirect: 'manual' });
          const callback = authorize.headers.get('location') ?? '';
          const before = count([a, b], 'token-request');
          const answers = await Promise.all([browser.get(a, callback), browser.get(b, callback)]);
          expect(answers.map((r) => r.status).sort()).toEqual([303, 400]);
          expect(answers.find((r) => r.status === 303)?.location).toBe('/bindid/confirm');
          expect(count([a, b], 'token-request') - before).toBe(1);
        }
      } finally {
        emulator.setFault('token', undefined);
      }
    });

    it('N124 across instances: "not me" on B while A waits on BindID for the report: the report stands, nobody is signed in on either instance', async () => {
      const { browser, identity } = await pendingAt(a, a);
      const account = freshAccount();
      const { csrf } = await browser.confirmPage(a);
      emulator.setFault('session-feedback', { delayMs: 600, times: 1 });
      try {
        const confirming = browser.confirm(a, csrf, account.username, account.password);
        await sleep(200); // the password is checked (no hashing here) and the report is on its way
        const cancel = await browser.post(b, '/bindid/confirm/cancel', { _csrf: csrf });
        expect(cancel.status).toBe(303);
        const confirm = await confirming;
        expect(confirm.status).toBe(400);
        expect(accepted(identity.sub)).toBe(1);
        expect(await browser.whoami(a)).toBeNull();
        expect(await browser.whoami(b)).toBeNull();
      } finally {
        emulator.setFault('session-feedback', undefined);
      }
    });

    it('D32 across instances: replaying the successful confirm POST on the other instance is refused; still one report', async () => {
      const { browser, identity } = await pendingAt(b, b);
      const account = freshAccount();
      const { csrf } = await browser.confirmPage(b);
      expect((await browser.confirm(b, csrf, account.username, account.password)).status).toBe(303);
      const replay = await browser.confirm(a, csrf, account.username, account.password);
      expect(replay.status).not.toBe(303);
      expect(accepted(identity.sub)).toBe(1);
    });

    it('an instance killed after the callback: another instance finishes the confirmation from Redis alone', async () => {
      const doomed = await instance('C', { maxAttempts: 3, perAccount: 4 });
      const { browser, identity } = await pendingAt(doomed, doomed);
      const { csrf } = await browser.confirmPage(doomed);
      await doomed.kill();
      const account = freshAccount();
      expect(await browser.confirm(b, csrf, account.username, account.password)).toMatchObject({ status: 303, location: '/' });
      expect(await browser.whoami(a)).toEqual({ id: account.id, username: account.username });
      expect(accepted(identity.sub)).toBe(1);
    });
  });

  describe('N129 attempt limits under a concurrent burst split across two instances (gated checks)', () => {
    let a: Instance;
    let b: Instance;
    beforeAll(async () => {
      const options = { maxAttempts: 5, perAccount: 10, gated: true };
      [a, b] = await Promise.all([instance('gated-A', options), instance('gated-B', options)]);
    }, 90_000);
    afterEach(async () => {
      await Promise.all([a.gate(true), b.gate(true)]);
    });

    const checks = (username: string) =>
      [a, b].flatMap((i) => i.events).filter((e) => e.name === 'verify' && e.username?.trim().toLowerCase() === username).length;
    const held = () => [a, b].flatMap((i) => i.events).filter((e) => e.name === 'verify').length;

    /** Send every request at once; resolves once each answered or is held in a check; `all` gives the answers. */
    async function burst(requests: Array<() => Promise<{ status: number }>>, heldBefore: number) {
      let answered = 0;
      const all = Promise.all(
        requests.map(async (send) => {
          const res = await send();
          answered++;
          return res;
        }),
      );
      await eventually('every request answered or held', () => answered + held() - heldBefore >= requests.length, 20_000);
      return { all };
    }

    it('N129 one pending login, 100 wrong passwords split over A and B and the right one: at most maxAttempts checks, the right one does not sign in', async () => {
      await Promise.all([a.gate(false), b.gate(false)]);
      const { browser, identity } = await pendingAt(a, b);
      const account = freshAccount();
      const { csrf } = await browser.confirmPage(a);
      const before = held();
      const { all: answers } = await burst(
        Array.from({ length: 100 }, (_, i) => () => browser.confirm(i % 2 ? a : b, csrf, account.username, `wrong-${i}`)),
        before,
      );
      let rightDone = false;
      const right = browser.confirm(b, csrf, account.username, account.password).finally(() => {
        rightDone = true;
      });
      await eventually('the right password answered or held', () => rightDone || checks(account.username) > 5);
      await Promise.all([a.gate(true), b.gate(true)]);
      const everything = [...(await answers), await right];

      expect(checks(account.username)).toBeLessThanOrEqual(5);
      expect(everything.filter((r) => r.status === 303)).toHaveLength(0);
      expect(await browser.whoami(a)).toBeNull();
      expect(emulator.reports().filter((r) => r.sub === identity.sub)).toHaveLength(0);
    });

    it('N129 four pending logins bursting one username (variants) over A and B: at most perAccount checks across instances; the right password after it never signs in', async () => {
      await Promise.all([a.gate(false), b.gate(false)]);
      const account = freshAccount();
      const browsers = await Promise.all([0, 1, 2, 3].map((i) => pendingAt(i % 2 ? a : b, i % 2 ? b : a)));
      const pages = await Promise.all(browsers.map(({ browser }, i) => browser.confirmPage(i % 2 ? a : b)));
      const spellings = [account.username, account.username.toUpperCase(), ` ${account.username} `, `${account.username}\t`, account.username.replace('u', 'U')];
      const before = held();
      const { all: answers } = await burst(
        browsers.flatMap(({ browser }, bi) =>
          spellings.map((spelling, si) => () => browser.confirm((bi + si) % 2 ? a : b, pages[bi]?.csrf ?? '', spelling, `wrong-${bi}-${si}`)),
        ),
        before,
      );
      let rightsDone = 0;
      const rights = browsers.map(({ browser }, i) =>
        browser.confirm(i % 2 ? b : a, pages[i]?.csrf ?? '', account.username, account.password).finally(() => {
          rightsDone++;
        }),
      );
      await eventually('the right passwords answered or held', () => rightsDone === rights.length || checks(account.username) > 10);
      await Promise.all([a.gate(true), b.gate(true)]);
      await answers;
      const rightAnswers = await Promise.all(rights);

      expect(checks(account.username)).toBeLessThanOrEqual(10);
      expect(rightAnswers.filter((r) => r.status === 303)).toHaveLength(0);
      for (const { browser } of browsers) expect(await browser.whoami(a)).toBeNull();
      const subs = browsers.map((x) => x.identity.sub);
      expect(emulator.reports().filter((r) => r.sub !== undefined && subs.includes(r.sub))).toHaveLength(0);
    });
  });

  describe('fail-open: reports queued in Redis are delivered exactly once by the instances together', () => {
    const open: InstanceOptions = { failureMode: 'open', maxAttempts: 5, perAccount: 10 };
    let a: Instance;
    let b: Instance;
    beforeAll(async () => {
      [a, b] = await Promise.all([instance('open-A', open), instance('open-B', open)]);
    }, 90_000);

    /** Confirm a fresh identity as a fresh account on `where` while BindID is down: signed in, queued. */
    async function confirmWhileDown(where: Instance, callback: Instance): Promise<{ sub: string; browser: Browser; account: { id: number } }> {
      const { browser, identity } = await pendingAt(callback, callback);
      const account = freshAccount();
      const { csrf } = await browser.confirmPage(where);
      expect(await browser.confirm(where, csrf, account.username, account.password)).toMatchObject({ status: 303, location: '/' });
      expect((await browser.whoami(where))?.id).toBe(account.id);
      return { sub: identity.sub, browser, account };
    }

    it('K102 across instances on Redis: queued on one instance, that instance killed, the others deliver it: exactly one accepted report, nothing left in the outbox', async () => {
      const c = await instance('open-C', open);
      emulator.setFault('session-feedback', DOWN);
      const { sub, account } = await confirmWhileDown(c, c);
      expect(count([c], 'queued', sub)).toBe(1);
      await eventually('a retry while BindID is down', () => count([b, c], 'retry', sub) > 0);
      await c.kill();
      emulator.setFault('session-feedback', undefined);
      await eventually('the report accepted', () => accepted(sub) === 1);
      expect(emulator.aliasOf(sub)).toBe(String(account.id));
      await expectDeliveredOnce([sub]);
    });

    it('K104 20 confirmations spread over A and B while BindID is down: each report accepted exactly once when it is back, both workers running', async () => {
      emulator.setFault('session-feedback', DOWN);
      const subs: string[] = [];
      const started = Math.floor(Date.now() / 1000);
      for (let i = 0; i < 20; i++) {
        const [where, callback] = i % 2 === 0 ? [a, b] : [b, a];
        subs.push((await confirmWhileDown(where, callback)).sub);
      }
      const confirmed = Math.ceil(Date.now() / 1000);
      await eventually('retries on both instances', () => count([a], 'retry') > 0 && count([b], 'retry') > 0);
      await sleep(1100); // delivery comes later than every confirmation
      emulator.setFault('session-feedback', undefined);
      await eventually('all 20 accepted', () => subs.every((sub) => accepted(sub) >= 1), 20_000);
      await expectDeliveredOnce(subs);
      expect(subs.map((sub) => count([a, b], 'delivered', sub))).toEqual(subs.map(() => 1));
      expect(count([a, b], 'dead-letter')).toBe(0);
      // Each report went out with the time of its confirmation, not the time of its delivery.
      for (const sub of subs) {
        const report = emulator.reports().find((r) => r.sub === sub && r.accepted);
        expect(report?.time).toBeGreaterThanOrEqual(started);
        expect(report?.time).toBeLessThanOrEqual(confirmed);
        expect(report?.at).toBeGreaterThan(confirmed * 1000);
      }
    });

    it('K102 a Redis restart in the middle of a fail-open outage loses no report: queued before, refused (fail closed) while Redis is down, queued after; each accepted once', async () => {
      emulator.setFault('session-feedback', DOWN);
      const subs: string[] = [];
      for (let i = 0; i < 5; i++) subs.push((await confirmWhileDown(i % 2 ? a : b, a)).sub);
      expect(await outboxItems()).toHaveLength(5);

      // A browser at the confirm page when Redis goes away.
      const stranded = await pendingAt(b, b);
      const strandedAccount = freshAccount();
      const { csrf } = await stranded.browser.confirmPage(a);
      await redis.stop();
      const refused = await stranded.browser.confirm(a, csrf, strandedAccount.username, strandedAccount.password);
      expect(refused.status).toBeGreaterThanOrEqual(500); // the session store is unreachable: nobody is signed in
      await redis.startAgain();
      await eventually('both instances reach Redis again', async () => {
        const answers = await Promise.all([a, b].map((i) => fetch(`${i.url}/healthz`).then((r) => r.status)));
        return answers.every((status) => status === 200);
      });

      // The stranded browser's session and pending login came back with Redis: it confirms now.
      const retried = await stranded.browser.confirm(a, csrf, strandedAccount.username, strandedAccount.password);
      expect(retried).toMatchObject({ status: 303, location: '/' });
      subs.push(stranded.identity.sub);
      for (let i = 0; i < 5; i++) subs.push((await confirmWhileDown(i % 2 ? b : a, b)).sub);
      expect(await outboxItems()).toHaveLength(11);

      emulator.setFault('session-feedback', undefined);
      await eventually('all 11 accepted', () => subs.every((sub) => accepted(sub) >= 1), 20_000);
      await expectDeliveredOnce(subs);
      expect(count([a, b], 'dead-letter')).toBe(0);
    });
  });

  describe('fail-open across a restart of the app: the outbox in Redis outlives the process', () => {
    // No `outbox` option: the default outbox lives in the router's `store`, the RedisBindIdStore.
    const open: InstanceOptions = { failureMode: 'open', maxAttempts: 5, perAccount: 10, defaultOutbox: true };
    beforeAll(async () => {
      // Only the app under test runs: the instances of the suites above stop first.
      await Promise.all(running.splice(0).map((i) => i.stop()));
    }, 30_000);

    it('K102 an app restarted mid-outage on Redis, with the default outbox (in its RedisBindIdStore): queued by the first process, killed (SIGKILL) while BindID is down; a new process on the same Redis delivers it once BindID is back', async () => {
      const first = await instance('restart-1', open);
      emulator.setFault('session-feedback', DOWN);
      const { browser, identity } = await pendingAt(first, first);
      const account = freshAccount();
      const { csrf } = await browser.confirmPage(first);
      expect(await browser.confirm(first, csrf, account.username, account.password)).toMatchObject({ status: 303, location: '/' });
      expect(count([first], 'queued', identity.sub)).toBe(1);
      await eventually('a retry while BindID is down', () => count([first], 'retry', identity.sub) > 0);
      await first.kill(); // no instance runs from here on
      expect(await outboxItems()).toHaveLength(1);
      emulator.setFault('session-feedback', undefined);
      await sleep(500);
      expect(accepted(identity.sub)).toBe(0); // nobody delivers it while no process runs

      const second = await instance('restart-2', open);
      await eventually('the report accepted after the restart', () => accepted(identity.sub) === 1);
      // The new process delivered it (its event comes over IPC, after BindID's answer).
      await eventually('the delivery told by the new process', () => count([second], 'delivered', identity.sub) === 1);
      expect(emulator.aliasOf(identity.sub)).toBe(String(account.id));
      // The session survived too: the user is still signed in, on the new process.
      expect((await browser.whoami(second))?.id).toBe(account.id);
      await expectDeliveredOnce([identity.sub]);
      expect(count([first, second], 'dead-letter')).toBe(0);
      await second.stop();
    });
  });

  describe('one to one across instances: the link is reserved in Redis before the report', () => {
    let a: Instance;
    let b: Instance;
    beforeAll(async () => {
      [a, b] = await Promise.all([instance('A2', {}), instance('B2', {})]);
    }, 90_000);

    /** A browser signed in at BindID as `identity` through `where`, at its confirm page. */
    async function atConfirm(where: Instance, identity: string): Promise<{ browser: Browser; csrf: string }> {
      const browser = new Browser();
      expect(await browser.bindIdSignIn(where, where, identity)).toMatchObject({ status: 303, location: '/bindid/confirm' });
      const { csrf } = await browser.confirmPage(where);
      return { browser, csrf };
    }

    it('N134 two instances: one BindID identity confirming two accounts on A and B at once, and two identities confirming one account (10 races each): one links (303), the other gets 409; one report each', async () => {
      for (let race = 0; race < 10; race++) {
        const identity = freshIdentity();
        const [x, y] = [freshAccount(), freshAccount()];
        const [p, q] = [await atConfirm(a, identity.id), await atConfirm(b, identity.id)];
        const answers = await Promise.all([
          p.browser.confirm(a, p.csrf, x.username, x.password),
          q.browser.confirm(b, q.csrf, y.username, y.password),
        ]);
        expect(answers.map((r) => r.status).sort()).toEqual([303, 409]);
        expect(emulator.reports().filter((r) => r.sub === identity.sub)).toHaveLength(1);
        expect(accepted(identity.sub)).toBe(1);
      }
      for (let race = 0; race < 10; race++) {
        const [one, two] = [freshIdentity(), freshIdentity()];
        const x = freshAccount();
        const [p, q] = [await atConfirm(a, one.id), await atConfirm(b, two.id)];
        const answers = await Promise.all([
          p.browser.confirm(a, p.csrf, x.username, x.password),
          q.browser.confirm(b, q.csrf, x.username, x.password),
        ]);
        expect(answers.map((r) => r.status).sort()).toEqual([303, 409]);
        expect(emulator.reports().filter((r) => r.sub === one.sub || r.sub === two.sub)).toHaveLength(1);
        expect(accepted(one.sub) + accepted(two.sub)).toBe(1);
      }
    });
  });
  describe("N182 an unlink on A racing the owner's re-link on B, two processes on one Redis (issue 23 item 5)", () => {
    let a: Instance;
    let b: Instance;
    let registry: LinkRegistry;
    let closeRegistry: () => Promise<void>;
    beforeAll(async () => {
      // A holds BindID's answer to alias_deleted while its gate is closed; B is a plain instance.
      [a, b] = await Promise.all([instance('unlink-A', { holdUnlinks: true }), instance('relink-B', {})]);
      await a.gate(true);
      const opened = await NODE_REDIS.open(redis);
      registry = new LinkRegistry(new RedisBindIdStore(opened.client));
      closeRegistry = opened.close;
    }, 90_000);
    afterAll(async () => {
      await a?.gate(true);
      await closeRegistry?.();
    });

    /** Whether BindID's last accepted report for `sub` left `alias` set (authentication_performed, alias_updated) or not (alias_deleted). */
    function bindIdLinks(sub: string, alias: string): boolean {
      const last = emulator
        .reports()
        .filter((r) => r.sub === sub && r.accepted)
        .at(-1);
      return last !== undefined && last.type !== 'alias_deleted' && last.alias === alias;
    }

    /** The owner links `identity` to `account` again in a new browser on B: BindID no longer has the alias, so it is a new BindID user there. */
    async function relinkOnB(identity: string, account: { username: string; password: string }): Promise<void> {
      const browser = new Browser();
      expect(await browser.bindIdSignIn(b, b, identity)).toMatchObject({ status: 303, location: '/bindid/confirm' });
      const { csrf } = await browser.confirmPage(b);
      expect(await browser.confirm(b, csrf, account.username, account.password)).toMatchObject({ status: 303, location: '/' });
    }

    /** The owner, in a new browser on B, signs in with BindID until BindID has forgotten the alias, then links again: how many sign-ins went straight in first. */
    async function relinkOnBOnceDeleted(identity: string, account: { username: string; password: string }): Promise<number> {
      const browser = new Browser();
      for (let recognized = 0; recognized < 200; recognized++) {
        const res = await browser.bindIdSignIn(b, b, identity);
        if (res.location === '/bindid/confirm') {
          const { csrf } = await browser.confirmPage(b);
          expect(await browser.confirm(b, csrf, account.username, account.password)).toMatchObject({ status: 303, location: '/' });
          return recognized;
        }
        expect(res).toMatchObject({ status: 303, location: '/' }); // BindID still has the alias: a returning user
      }
      throw new Error('BindID never forgot the alias');
    }

    it('N182 several rounds: the unlink on A held after BindID deleted the alias while B re-links, A and B at once, and A alone; after each the registry agrees with what BindID last heard, and onUnlinked comes only from an unlink that removed the link', async () => {
      const identity = freshIdentity();
      const account = freshAccount();
      const alias = String(account.id);
      const owner = new Browser(); // signed in as the account on A, where it unlinks
      expect(await owner.bindIdSignIn(a, a, identity.id)).toMatchObject({ status: 303, location: '/bindid/confirm' });
      const { csrf } = await owner.confirmPage(a);
      expect(await owner.confirm(a, csrf, account.username, account.password)).toMatchObject({ status: 303, location: '/' });

      for (let round = 0; round < 9; round++) {
        const kind = (['held', 'burst', 'alone'] as const)[round % 3] as 'held' | 'burst' | 'alone';
        if (!(await registry.isLinked(alias, identity.sub))) await relinkOnB(identity.id, account);
        expect(emulator.aliasOf(identity.sub)).toBe(alias);
        const unlinkedBefore = count([a, b], 'unlinked', identity.sub);
        const { callback, authorize } = await owner.unlinkAt(a, identity.id);
        expect([authorize.searchParams.get('prompt'), authorize.searchParams.get('max_age')]).toEqual(['login', '0']);

        let answer: { status: number; location: string | null };
        if (kind === 'held') {
          await a.gate(false);
          const held = count([a], 'unlink-held');
          const unlinking = owner.get(a, callback);
          await eventually('A holding BindID\'s answer to alias_deleted', () => count([a], 'unlink-held') > held);
          await relinkOnB(identity.id, account); // the owner links again while A has not forgotten yet
          await a.gate(true);
          answer = await unlinking;
        } else if (kind === 'burst') {
          [answer] = await Promise.all([owner.get(a, callback), relinkOnBOnceDeleted(identity.id, account)]);
        } else {
          answer = await owner.get(a, callback);
        }
        expect(answer).toMatchObject({ status: 303, location: '/' });

        const linked = await registry.isLinked(alias, identity.sub);
        const unlinked = count([a, b], 'unlinked', identity.sub) - unlinkedBefore;
        // The registry agrees with what BindID last heard for this alias and identity.
        expect({ round, kind, linked }).toEqual({ round, kind, linked: bindIdLinks(identity.sub, alias) });
        expect({ round, kind, linked }).toEqual({ round, kind, linked: emulator.aliasOf(identity.sub) === alias });
        if (kind === 'held') expect({ round, kind, linked, unlinked }).toEqual({ round, kind, linked: true, unlinked: 0 });
        if (kind === 'alone') expect({ round, kind, linked, unlinked }).toEqual({ round, kind, linked: false, unlinked: 1 });
        // A and B at once: the re-link follows BindID's deletion, so it stands; the unlink reported only if its forgetting came first.
        if (kind === 'burst') expect({ round, kind, linked, atMostOne: unlinked <= 1 }).toEqual({ round, kind, linked: true, atMostOne: true });
      }
      // Still the one account for the one identity: a new browser signs in without the confirm page.
      if (await registry.isLinked(alias, identity.sub)) {
        expect(await new Browser().bindIdSignIn(b, a, identity.id)).toMatchObject({ status: 303, location: '/' });
      }
    });
  });
});
