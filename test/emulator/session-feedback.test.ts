/**
 * `POST /session-feedback`: one named test per validation rule. Every request, accepted or not, is
 * recorded in `emu.reports()` with its status, and never with the access token or the HMAC.
 */
import { randomBytes } from 'node:crypto';
import type { Emulator, ReceivedReport } from '../../src/emulator/index.js';
import { authorizationHeader, hmacBase64 } from '../../src/feedback/signing.js';
import { type FeedbackRequest, feedbackBody, login, sendFeedback, startEmulator } from './helpers.js';

/** Added to the real clock: tests move time forward to expire tokens. */
let clockOffset = 0;
let emu: Emulator;
let token: string;
let otherToken: string;
beforeAll(async () => {
  emu = await startEmulator({ now: () => Date.now() + clockOffset });
  token = (await login(emu, 'alice')).accessToken;
  otherToken = (await login(emu, 'bob')).accessToken;
});
afterAll(() => emu.close());
beforeEach(() => emu.clearReports());

/** The only report received since the last clear. */
function lastReport(): ReceivedReport {
  const reports = emu.reports();
  expect(reports).toHaveLength(1);
  return reports[0] as ReceivedReport;
}

/** Fail if a token, HMAC or Authorization header of this test appears anywhere in the reports. */
function expectNoSecretsInReports(request: FeedbackRequest = {}): void {
  const recorded = JSON.stringify(emu.reports());
  const header = request.authorization ?? '';
  const headerParts = header.replace(/^BindIdBackend AccessToken /, '').split(/;\s*/);
  for (const secret of [token, otherToken, ...headerParts].filter((part) => part.length >= 16)) {
    expect(recorded).not.toContain(secret);
    expect(recorded).not.toContain(hmacBase64(emu.clientSecret, secret));
  }
  if (header !== '') expect(recorded).not.toContain(header);
}

function hmacOnly(accessToken: string): string {
  return `BindIdBackend AccessToken ${hmacBase64(emu.clientSecret, accessToken)}`;
}

function withReport(report: Record<string, unknown>): string {
  return feedbackBody(token, report);
}

describe('accepted requests', () => {
  it('full header form "AccessToken <at>; <hmac>" → 200 {}', async () => {
    const res = await sendFeedback(emu, token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(lastReport()).toMatchObject({
      status: 200,
      accepted: true,
      headerForm: 'token-and-hmac',
      type: 'authentication_performed',
      alias: 'user-1',
      time: 1700000000,
      sub: emu.subOf('alice'),
    });
    expect(lastReport().error).toBeUndefined();
    expectNoSecretsInReports();
  });

  it('short header form "AccessToken <hmac>" with the token in subject_session_at → 200 {}', async () => {
    const res = await sendFeedback(emu, token, { authorization: hmacOnly(token) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(lastReport()).toMatchObject({ status: 200, accepted: true, headerForm: 'hmac-only' });
    expectNoSecretsInReports();
  });

  it('amr as an array of strings on authentication_performed → 200, recorded', async () => {
    const res = await sendFeedback(emu, token, { body: withReport({ amr: ['pwd', 'otp'] }) });
    expect(res.status).toBe(200);
    expect(lastReport().amr).toEqual(['pwd', 'otp']);
  });

  it('Content-Type with a charset parameter → 200', async () => {
    const res = await sendFeedback(emu, token, { contentType: 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
  });
});

/** A rejected variant: how to build it and the status it must get. */
type Rule = [name: string, status: number, build: () => FeedbackRequest];

const rules: Rule[] = [
  // 401: authentication
  ['no Authorization header', 401, () => ({ authorization: null })],
  ['wrong scheme (Bearer <token>)', 401, () => ({ authorization: `Bearer ${token}` })],
  [
    'wrong shape: scheme in lower case',
    401,
    () => ({ authorization: authorizationHeader(emu.clientSecret, token).replace('BindIdBackend', 'bindidbackend') }),
  ],
  [
    'wrong shape: no space after ";"',
    401,
    () => ({ authorization: authorizationHeader(emu.clientSecret, token).replace('; ', ';') }),
  ],
  [
    'wrong shape: empty auth value',
    401,
    () => ({ authorization: `BindIdBackend AccessToken ${token}; ` }),
  ],
  ['bad HMAC: keyed with another secret (full form)', 401, () => ({ authorization: authorizationHeader('wrong-secret', token) })],
  [
    'bad HMAC: keyed with another secret (short form)',
    401,
    () => ({ authorization: `BindIdBackend AccessToken ${hmacBase64('wrong-secret', token)}` }),
  ],
  [
    'wrong shape: HMAC without its base64 padding (base64url style)',
    401,
    () => {
      const hmac = hmacBase64(emu.clientSecret, token);
      return { authorization: `BindIdBackend AccessToken ${token}; ${hmac.replace(/=+$/, '')}` };
    },
  ],
  [
    'bad HMAC: the HMAC of another token',
    401,
    () => ({ authorization: `BindIdBackend AccessToken ${token}; ${hmacBase64(emu.clientSecret, otherToken)}` }),
  ],
  [
    'unknown access token (correctly signed)',
    401,
    () => {
      const unknown = randomBytes(32).toString('base64url');
      return { authorization: authorizationHeader(emu.clientSecret, unknown), body: feedbackBody(unknown) };
    },
  ],
  [
    'header token differs from subject_session_at',
    401,
    () => ({ authorization: authorizationHeader(emu.clientSecret, otherToken), body: feedbackBody(token) }),
  ],
  // 415 / 400: body
  ['Content-Type is not application/json', 415, () => ({ contentType: 'text/plain' })],
  ['no Content-Type', 415, () => ({ contentType: null })],
  ['body is not JSON', 400, () => ({ body: '{"subject_session_at": ' })],
  ['body is JSON but not an object (an array)', 400, () => ({ body: JSON.stringify([token]) })],
  ['body is JSON null', 400, () => ({ body: 'null' })],
  [
    'subject_session_at missing (short header form)',
    400,
    () => ({ authorization: hmacOnly(token), body: JSON.stringify({ reports: [{ type: 'alias_deleted', time: 1 }] }) }),
  ],
  [
    'subject_session_at not a string',
    400,
    () => ({ body: JSON.stringify({ subject_session_at: 42, reports: [{ type: 'alias_deleted', time: 1 }] }) }),
  ],
  ['reports missing', 400, () => ({ body: JSON.stringify({ subject_session_at: token }) })],
  ['reports not an array', 400, () => ({ body: JSON.stringify({ subject_session_at: token, reports: {} }) })],
  ['reports empty', 400, () => ({ body: JSON.stringify({ subject_session_at: token, reports: [] }) })],
  [
    'reports with two reports',
    400,
    () => {
      const one = { type: 'authentication_performed', alias: 'a', time: 1 };
      return { body: JSON.stringify({ subject_session_at: token, reports: [one, one] }) };
    },
  ],
  ['report not an object', 400, () => ({ body: JSON.stringify({ subject_session_at: token, reports: ['x'] }) })],
  ['unknown type', 400, () => ({ body: withReport({ type: 'user_deleted' }) })],
  ['type missing', 400, () => ({ body: withReport({ type: undefined }) })],
  ['time is a float', 400, () => ({ body: withReport({ time: 1700000000.5 }) })],
  ['time is a string', 400, () => ({ body: withReport({ time: '1700000000' }) })],
  ['time is negative', 400, () => ({ body: withReport({ time: -1 }) })],
  ['time missing', 400, () => ({ body: withReport({ time: undefined }) })],
  ['alias missing on authentication_performed', 400, () => ({ body: withReport({ alias: undefined }) })],
  ['alias empty', 400, () => ({ body: withReport({ alias: '' }) })],
  ['alias not a string', 400, () => ({ body: withReport({ alias: 123 }) })],
  ['alias missing on alias_updated', 400, () => ({ body: withReport({ type: 'alias_updated', alias: undefined }) })],
  ['alias longer than 1024 characters', 400, () => ({ body: withReport({ alias: 'a'.repeat(1025) }) })],
  ['alias present but empty on alias_deleted', 400, () => ({ body: withReport({ type: 'alias_deleted', alias: '' }) })],
  ['amr not an array', 400, () => ({ body: withReport({ amr: 'pwd' }) })],
  ['amr with a non-string value', 400, () => ({ body: withReport({ amr: ['pwd', 7] }) })],
  ['amr on an alias_updated report', 400, () => ({ body: withReport({ type: 'alias_updated', amr: ['pwd'] }) })],
  // 413
  ['body larger than 64 KiB', 413, () => ({ body: withReport({ alias: 'a'.repeat(70 * 1024) }) })],
];

describe('rejected requests', () => {
  it.each(rules)('%s → %i, recorded as not accepted, no secret in the report', async (_name, status, build) => {
    const aliasBefore = emu.aliasOf(emu.subOf('alice') as string);
    const request = build();
    const res = await sendFeedback(emu, token, request);
    expect(res.status).toBe(status);
    const body = (await res.json()) as Record<string, unknown>;
    expect(typeof body.error).toBe('string');
    expect(typeof body.error_description).toBe('string');
    const recorded = lastReport();
    expect(recorded.status).toBe(status);
    expect(recorded.accepted).toBe(false);
    expect(recorded.error).toEqual(body.error_description);
    expect(emu.aliasOf(emu.subOf('alice') as string)).toBe(aliasBefore);
    expectNoSecretsInReports(request);
  });

  it('records the header form of each rejected request', async () => {
    await sendFeedback(emu, token, { authorization: null, body: '' });
    await sendFeedback(emu, token, { authorization: 'Basic abc' });
    await sendFeedback(emu, token, { authorization: hmacOnly(token), body: 'not json' });
    expect(emu.reports().map((r) => [r.headerForm, r.status])).toEqual([
      ['none', 401],
      ['malformed', 401],
      ['hmac-only', 400],
    ]);
  });

  it('redacts a report field that contains the access token', async () => {
    const res = await sendFeedback(emu, token, { body: withReport({ alias: `x${token}x`, time: 'bad' }) });
    expect(res.status).toBe(400);
    expect(lastReport().alias).toBe('[redacted]');
    expectNoSecretsInReports();
  });
});

describe('expired access tokens (last: they expire the shared tokens)', () => {
  beforeEach(() => emu.clearReports());

  it('a token past its lifetime (injected clock) → 401', async () => {
    const { accessToken } = await login(emu, 'new');
    clockOffset += 3600 * 1000;
    const res = await sendFeedback(emu, accessToken);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error_description: 'the access token has expired' });
    expect(lastReport()).toMatchObject({ status: 401, accepted: false });
    expectNoSecretsInReports({ authorization: authorizationHeader(emu.clientSecret, accessToken) });
  });

  it('expireAccessTokens() → 401 for tokens issued before, not after', async () => {
    const before = await login(emu, 'new');
    emu.expireAccessTokens();
    const after = await login(emu, 'new');
    expect((await sendFeedback(emu, before.accessToken)).status).toBe(401);
    const body = feedbackBody(after.accessToken, { alias: 'after-expiry' });
    expect((await sendFeedback(emu, after.accessToken, { body })).status).toBe(200);
  });
});
