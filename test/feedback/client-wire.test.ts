/**
 * The wire format of a session-feedback report (protocol §5.1–5.2, checklist I 71, 76, 77), checked
 * on what a local fake BindID actually received.
 */
import type { FakeBindId, RecordedRequest } from '../helpers/fake-bindid.js';
import { expectedAuthorization, hmac, makeClient, newToken, SECRET, useFakeBindId } from '../helpers/feedback.js';

let bindid: FakeBindId;
useFakeBindId((server) => (bindid = server));

function only(requests: RecordedRequest[]): RecordedRequest {
  expect(requests).toHaveLength(1);
  return requests[0] as RecordedRequest;
}

/** `BindIdBackend AccessToken <token>; <hmac>` split into its two values (fails if the shape differs). */
function parseAuthorization(header: string | undefined): { token: string; mac: string } {
  const match = /^BindIdBackend AccessToken ([^;\s]+); ([A-Za-z0-9+/]+=*)$/.exec(header ?? '');
  if (!match) throw new Error('the Authorization header does not have the shape `BindIdBackend AccessToken <t>; <hmac>`');
  return { token: match[1] as string, mac: match[2] as string };
}

describe('one report on the wire', () => {
  it('I71 is POST /session-feedback with Content-Type application/json and the exact Authorization header', async () => {
    const token = newToken();
    const result = await makeClient(bindid.url).authenticationPerformed({ accessToken: token, alias: 'user-42' });
    expect(result).toMatchObject({ status: 200, attempts: 1 });
    const request = only(bindid.requests);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/session-feedback');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe(expectedAuthorization(SECRET, token));
    expect(request.headers['user-agent']).toBe('express-bindid');
  });

  it.each([
    ['a path prefix', '/bindid/api', '/bindid/api/session-feedback'],
    ['a path prefix and a trailing slash', '/bindid/api/', '/bindid/api/session-feedback'],
    ['a bare trailing slash', '/', '/session-feedback'],
  ])('keeps %s of apiUrl', async (_what, suffix, path) => {
    await makeClient(`${bindid.url}${suffix}`).aliasUpdated({ accessToken: newToken(), alias: 'a' });
    expect(only(bindid.requests).path).toBe(path);
  });

  it('I76 sends exactly {subject_session_at, reports:[{type, alias, time}]} for authentication_performed, in that key order', async () => {
    const token = newToken();
    const before = Math.floor(Date.now() / 1000);
    await makeClient(bindid.url).authenticationPerformed({ accessToken: token, alias: 'user-42' });
    const raw = only(bindid.requests).body.toString('utf8');
    const body = JSON.parse(raw) as { reports: Array<{ time: number }> };
    const time = body.reports[0]?.time as number;
    expect(Number.isInteger(time)).toBe(true);
    expect(Math.abs(time - before)).toBeLessThanOrEqual(5);
    expect(raw).toBe(
      JSON.stringify({ subject_session_at: token, reports: [{ type: 'authentication_performed', alias: 'user-42', time }] }),
    );
  });

  it('sends alias_updated and alias_deleted (with and without an alias) in the same shape', async () => {
    const token = newToken();
    const client = makeClient(bindid.url, { now: () => 1_700_000_000_999 });
    await client.aliasUpdated({ accessToken: token, alias: 'new-alias' });
    await client.aliasDeleted({ accessToken: token, alias: 'old-alias' });
    await client.aliasDeleted({ accessToken: token });
    expect(bindid.requests.map((r) => r.body.toString('utf8'))).toEqual([
      `{"subject_session_at":"${token}","reports":[{"type":"alias_updated","alias":"new-alias","time":1700000000}]}`,
      `{"subject_session_at":"${token}","reports":[{"type":"alias_deleted","alias":"old-alias","time":1700000000}]}`,
      `{"subject_session_at":"${token}","reports":[{"type":"alias_deleted","time":1700000000}]}`,
    ]);
  });

  it('takes `time` from the injected clock (floored to seconds), or from the input as given', async () => {
    const client = makeClient(bindid.url, { now: () => 1_234_567_890_987 });
    await client.authenticationPerformed({ accessToken: newToken(), alias: 'a' });
    await client.authenticationPerformed({ accessToken: newToken(), alias: 'a', time: 1_600_000_000 });
    expect(bindid.bodies()).toMatchObject([
      { reports: [{ time: 1_234_567_890 }] },
      { reports: [{ time: 1_600_000_000 }] },
    ]);
  });

  it('passes amr after time, as given', async () => {
    const token = newToken();
    await makeClient(bindid.url, { now: () => 5_000 }).authenticationPerformed({
      accessToken: token,
      alias: 'a',
      amr: ['pwd', 'otp'],
    });
    expect(only(bindid.requests).body.toString('utf8')).toBe(
      `{"subject_session_at":"${token}","reports":[{"type":"authentication_performed","alias":"a","time":5,"amr":["pwd","otp"]}]}`,
    );
  });

  it('send() replays a queued report with its original time and only the known report fields, in protocol order', async () => {
    const token = newToken();
    await makeClient(bindid.url).send(token, { time: 1_500_000_000, alias: 'x', type: 'alias_updated' });
    expect(only(bindid.requests).body.toString('utf8')).toBe(
      `{"subject_session_at":"${token}","reports":[{"type":"alias_updated","alias":"x","time":1500000000}]}`,
    );
  });

  it('I71 puts the same token in the header and in subject_session_at, with an HMAC that verifies', async () => {
    const token = newToken();
    await makeClient(bindid.url).aliasDeleted({ accessToken: token });
    const request = only(bindid.requests);
    const { token: headerToken, mac } = parseAuthorization(request.headers.authorization);
    expect(headerToken).toBe(token);
    expect((JSON.parse(request.body.toString('utf8')) as { subject_session_at: string }).subject_session_at).toBe(token);
    expect(mac).toBe(hmac(SECRET, token));
  });
});

describe('50 parallel reports with distinct tokens', () => {
  it('I77 each request carries its own token in header and body, and every HMAC verifies', async () => {
    const client = makeClient(bindid.url, { timeoutMs: 5000 });
    const tokens = Array.from({ length: 50 }, newToken);
    const results = await Promise.all(
      tokens.map((accessToken, i) => client.authenticationPerformed({ accessToken, alias: `user-${i}` })),
    );
    expect(results.every((r) => r.status === 200 && r.attempts === 1)).toBe(true);
    expect(bindid.requests).toHaveLength(50);
    const seen = new Set<string>();
    for (const request of bindid.requests) {
      const { token, mac } = parseAuthorization(request.headers.authorization);
      const body = JSON.parse(request.body.toString('utf8')) as { subject_session_at: string; reports: Array<{ alias: string }> };
      expect(body.subject_session_at).toBe(token);
      expect(mac).toBe(hmac(SECRET, token));
      // The alias was sent with its own token, not with another flow's.
      expect(body.reports[0]?.alias).toBe(`user-${tokens.indexOf(token)}`);
      seen.add(token);
    }
    expect([...seen].sort()).toEqual([...tokens].sort());
  });
});
