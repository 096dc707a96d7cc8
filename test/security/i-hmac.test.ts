/**
 * Checklist I (reliability §3.8–3.9; cases 69–78): the HMAC and the `Authorization` header.
 *
 * The byte-level cases live beside the code they test: the vectors (I69, I70) in
 * test/feedback/signing.test.ts, the header and body on the wire (I71, I76, I77) in
 * test/feedback/client-wire.test.ts, bad tokens (I73–I75) in test/feedback/signing.test.ts and
 * test/feedback/client-validation.test.ts, a rotated secret (I78) in
 * test/feedback/client-options.test.ts. This file adds what those cannot show: the same rules
 * through the router and the middleware (secret checks at start-up, the only way a token enters a
 * session, the exact body of a real confirmation, 50 confirmations at once) and a secret rotated
 * between two attempts of one report.
 */
import type { Request } from 'express';
import {
  bindIdRouter,
  ErrorCode,
  isBindIdError,
  SessionFeedbackClient,
  sendAuthenticationPerformed,
  storePendingLogin,
} from '../../src/index.js';
import { type FakeBindId, type RecordedRequest, reply } from '../helpers/fake-bindid.js';
import { expectedAuthorization, hmac, makeClient, newToken, rejection, SECRET, useFakeBindId } from '../helpers/feedback.js';
import {
  type Agent,
  APP_ORIGIN,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  freshUser,
  pendingAccessToken,
  submitConfirm,
} from '../helpers/flow.js';
import { FAKE_CLOCK } from '../helpers/fake-clock.js';

let api: FakeBindId;
useFakeBindId((server) => (api = server));

/** A flow whose router reports to `api` (a fresh router per test: the fake API changes per test). */
async function flowOnApi(): Promise<Flow> {
  return createFlow({ router: { apiUrl: api.url } });
}

function parseAuthorization(header: string | undefined): { token: string; mac: string } | undefined {
  const match = /^BindIdBackend AccessToken ([A-Za-z0-9\-._~+/]+=*); ([A-Za-z0-9+/]+=*)$/.exec(header ?? '');
  return match ? { token: match[1] as string, mac: match[2] as string } : undefined;
}

describe('I HMAC and header construction', () => {
  describe('I72 a client secret with surrounding whitespace (a newline from an env file) is refused at start-up', () => {
    const secrets: Array<[string, string]> = [
      ['a trailing newline', `${SECRET}\n`],
      ['a trailing CR LF', `${SECRET}\r\n`],
      ['a trailing space', `${SECRET} `],
      ['a leading space', ` ${SECRET}`],
      ['a leading tab', `\t${SECRET}`],
    ];
    const factories: Array<[string, (secret: string) => unknown]> = [
      ['new SessionFeedbackClient', (clientSecret) => new SessionFeedbackClient({ clientSecret, apiUrl: 'https://api.bindid-sandbox.io' })],
      ['sendAuthenticationPerformed', (clientSecret) => sendAuthenticationPerformed({ clientSecret, apiUrl: 'https://api.bindid-sandbox.io' })],
      [
        'bindIdRouter',
        (clientSecret) =>
          bindIdRouter({
            issuer: 'https://signin.bindid-sandbox.io',
            apiUrl: 'https://api.bindid-sandbox.io',
            clientId: 'client',
            clientSecret,
            baseUrl: APP_ORIGIN,
            findUserByAlias: () => null,
          }),
      ],
    ];
    it.each(factories)('I72 %s: ERR_BINDID_INVALID_OPTION naming clientSecret, for every kind of whitespace, without repeating it', (_name, build) => {
      for (const [what, secret] of secrets) {
        let thrown: unknown;
        try {
          build(secret);
        } catch (err) {
          thrown = err;
        }
        expect({ what, code: isBindIdError(thrown) ? thrown.code : 'no coded error' }).toEqual({ what, code: ErrorCode.INVALID_OPTION });
        expect((thrown as { option?: string }).option).toBe('clientSecret');
        expect((thrown as Error).message).toMatch(/whitespace/);
        expect(String((thrown as Error).message).includes(SECRET)).toBe(false);
      }
    });

    it('I72 a secret function returning a value with a newline: a coded error at send time, nothing sent', async () => {
      const client = makeClient(api.url, { clientSecret: () => `${SECRET}\n` });
      const err = await rejection(client.aliasDeleted({ accessToken: newToken() }));
      expect(err).toMatchObject({ code: ErrorCode.INVALID_OPTION, option: 'clientSecret' });
      expect(api.requests).toEqual([]);
    });
  });

  describe('I73–I75 a token BindID (or an own callback) hands over must fit the header before it is kept', () => {
    const fakeRequest = () => ({ session: { regenerate: () => {}, save: () => {} } }) as unknown as Request;
    it.each<[string, unknown]>([
      ['I73 CR LF and a header', `${newToken()}\r\nX-Evil: 1`],
      ['I73 NUL', `${newToken()}\u0000`],
      ['I74 a semicolon', `${newToken()};x`],
      ['I74 a space', `${newToken()} x`],
      ['I74 a comma', `${newToken()},x`],
      ['I74 a double quote', `${newToken()}"`],
      ['I74 non-ASCII', `${newToken()}é`],
      ['I75 empty', ''],
      ['I75 over 4 KB', 'a'.repeat(4097)],
      ['I75 a number', 42],
      ['I75 an array', [newToken()]],
    ])('%s: storePendingLogin refuses it (ERR_BINDID_INVALID_ARGUMENT) and the session stays empty', (_what, accessToken) => {
      const req = fakeRequest();
      let thrown: unknown;
      try {
        storePendingLogin(req, { accessToken: accessToken as string, expiresIn: 3600, claims: { sub: 'sub-1' } });
      } catch (err) {
        thrown = err;
      }
      expect(isBindIdError(thrown, ErrorCode.INVALID_ARGUMENT)).toBe(true);
      expect((req.session as { bindid?: unknown }).bindid).toBeUndefined();
    });
  });

  describe('I76 the body of a real confirmation', () => {
    it('I76 is exactly {subject_session_at: <the session token>, reports: [{type: "authentication_performed", alias: "<user id>", time: <unix seconds of the confirm>}]}', async () => {
      const local = await flowOnApi();
      try {
        const agent = local.agent();
        await bindIdSignIn(agent, 'new');
        const { csrf } = await confirmPage(agent);
        const token = await pendingAccessToken(agent);
        const u = freshUser();
        const before = Date.now() / 1000;
        const res = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
        const after = Date.now() / 1000;
        expect(res.status).toBe(303);
        expect(api.requests).toHaveLength(1);
        const raw = api.requests[0]?.body.toString('utf8') ?? '';
        const time = (JSON.parse(raw) as { reports: Array<{ time: unknown }> }).reports[0]?.time;
        expect(Number.isInteger(time)).toBe(true);
        expect(time as number).toBeGreaterThanOrEqual(Math.floor(before) - 5);
        expect(time as number).toBeLessThanOrEqual(after + 5);
        const expected = JSON.stringify({
          subject_session_at: token,
          reports: [{ type: 'authentication_performed', alias: String(u.id), time }],
        });
        expect(raw === expected).toBe(true);
        expect(api.requests[0]?.headers.authorization === expectedAuthorization(local.emulator.clientSecret, token)).toBe(true);
      } finally {
        await local.close();
      }
    });
  });

  describe('I77 50 confirmations at once', () => {
    it("I77 each report carries its own flow's token in the header and the body, its own user's alias, and an HMAC that verifies", async () => {
      const local = await flowOnApi();
      try {
        // 50 browsers at the confirm page, one after another: a sign-in runs on real time (its token
        // exchange has a deadline), and concurrent sign-ins on a busy machine waited on each other past
        // it (a stress run lost a pending login even 10 at a time)...
        const flows: Array<{ agent: Agent; csrf: string; token: string; user: ReturnType<typeof freshUser> }> = [];
        for (let i = 0; i < 50; i++) {
          const agent = local.agent();
          await bindIdSignIn(agent, 'new');
          const { csrf } = await confirmPage(agent);
          flows.push({ agent, csrf, token: await pendingAccessToken(agent), user: freshUser() });
        }
        // ...then their 50 confirmations at once, on Jest's fake clock (test/helpers/fake-clock.ts):
        // the reports' deadline cannot pass while they wait on each other.
        jest.useFakeTimers(FAKE_CLOCK);
        const results = await Promise.all(
          flows.map(({ agent, csrf, user }) => submitConfirm(agent, { _csrf: csrf, username: user.username, password: user.password })),
        ).finally(() => jest.useRealTimers());
        expect(results.map((r) => r.status)).toEqual(flows.map(() => 303));
        expect(api.requests).toHaveLength(50);
        const secret = local.emulator.clientSecret;
        const byToken = new Map(flows.map((f) => [f.token, f]));
        const mismatches = api.requests.filter((request: RecordedRequest) => {
          const header = parseAuthorization(request.headers.authorization);
          const body = JSON.parse(request.body.toString('utf8')) as { subject_session_at: string; reports: Array<{ alias: string }> };
          const own = byToken.get(body.subject_session_at);
          return !header || !own || header.token !== body.subject_session_at || header.mac !== hmac(secret, header.token) || body.reports[0]?.alias !== String(own.user.id);
        });
        expect(mismatches.map((r) => r.index)).toEqual([]);
        expect(new Set(api.requests.map((r) => parseAuthorization(r.headers.authorization)?.token)).size).toBe(50);
      } finally {
        await local.close();
      }
      // 50 sign-ins in a row: a guard against a hang, wide enough for a machine busy with other work.
    }, 180_000);
  });

  describe('I78 the secret is read when the report is sent, not when it was made', () => {
    it('I78 a secret rotated between two attempts of one report: the retry is signed with the new secret', async () => {
      let current = 'secret-one';
      const token = newToken();
      api.script((_request) => {
        current = 'secret-two'; // rotated while BindID was answering the first attempt
        return reply.status(503);
      }, reply.json(200, {}));
      const result = await makeClient(api.url, { clientSecret: () => current }).aliasDeleted({ accessToken: token });
      expect(result.attempts).toBe(2);
      expect(api.requests.map((r) => r.headers.authorization === expectedAuthorization(r.index === 0 ? 'secret-one' : 'secret-two', token))).toEqual([
        true,
        true,
      ]);
    });

    it('I78 a report kept for later (its time fixed when it was made) is signed with the secret current when it is sent', async () => {
      let current = 'secret-one';
      const client = makeClient(api.url, { clientSecret: () => current });
      const token = newToken();
      const queued = { type: 'authentication_performed', alias: 'user-1', time: Math.floor(Date.now() / 1000) - 60 } as const;
      current = 'secret-two';
      await client.send(token, queued);
      expect(api.requests[0]?.headers.authorization === expectedAuthorization('secret-two', token)).toBe(true);
      expect(JSON.parse(api.requests[0]?.body.toString('utf8') ?? '{}')).toEqual({ subject_session_at: token, reports: [queued] });
    });
  });
});
