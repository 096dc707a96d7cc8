/**
 * Fault injection: forced statuses with Retry-After, delays, hangs, dropped connections, `times`;
 * set by options, by `setFault()` and by `POST /__emulator/faults`; and the CLI fault grammar.
 */
import { ErrorCode, isBindIdError } from '../../src/errors.js';
import { parseFaultSpec } from '../../src/emulator/faults.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { settlesAt, until, watch, withFakeClock } from '../helpers/fake-clock.js';
import { authorizationHeader } from '../../src/feedback/signing.js';
import { feedbackBody, get, login, sendFeedback, startEmulator } from './helpers.js';

let emu: Emulator;
let token: string;
beforeAll(async () => {
  emu = await startEmulator({ faults: { 'session-feedback': { status: 503, retryAfter: '1', times: 1 } } });
  token = (await login(emu)).accessToken;
});
afterAll(() => emu.close());
afterEach(() => emu.clearFaults());

const discovery = (): string => `${emu.issuer}/.well-known/openid-configuration`;

function postFault(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/__emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('faults', () => {
  it('from options: 503 with Retry-After once (times: 1), then the normal answer', async () => {
    const faulted = await sendFeedback(emu, token);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get('retry-after')).toBe('1');
    expect(await faulted.json()).toMatchObject({ error: 'emulated_fault' });
    const normal = await sendFeedback(emu, token);
    expect(normal.status).toBe(200);
    const [first, second] = emu.reports().slice(-2);
    expect(first).toMatchObject({ status: 503, accepted: false, headerForm: 'token-and-hmac' });
    expect(first?.error).toMatch(/fault/);
    expect(second).toMatchObject({ status: 200, accepted: true });
  });

  it('times: 2 → two faulted answers, then the fault clears itself', async () => {
    emu.setFault('discovery', { status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(discovery())).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('a forced status with a custom body (text and JSON)', async () => {
    emu.setFault('jwks', { status: 502, body: 'Bad gateway' });
    const text = await get(`${emu.issuer}/jwks`);
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await text.text()).toBe('Bad gateway');
    emu.setFault('jwks', { status: 200, body: '{"keys":[]}' });
    const json = await get(`${emu.issuer}/jwks`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toEqual({ keys: [] });
  });

  // The delays on a fake clock: the emulator answers when the clock reads delayMs, not a millisecond before.
  it('delayMs delays the normal answer', () =>
    withFakeClock(async () => {
      emu.setFault('discovery', { delayMs: 120 });
      const since = jest.now();
      const res = watch(get(discovery()));
      await until(() => jest.getTimerCount() === 1, 'the emulator holds the answer');
      expect((await settlesAt(res, 120, since)).status).toBe(200);
    }));

  it('delayMs with a status delays the forced answer', () =>
    withFakeClock(async () => {
      emu.setFault('token', { delayMs: 80, status: 500 });
      const since = jest.now();
      const res = watch(fetch(`${emu.issuer}/token`, { method: 'POST' }));
      await until(() => jest.getTimerCount() === 1, 'the emulator holds the answer');
      expect((await settlesAt(res, 80, since)).status).toBe(500);
    }));

  it('hang never answers: the client gives up; the next request (fault cleared) works', async () => {
    emu.setFault('userinfo', { hang: true });
    await expect(fetch(`${emu.issuer}/userinfo`, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    emu.setFault('userinfo', undefined);
    expect((await get(`${emu.issuer}/userinfo`)).status).toBe(401);
  });

  it('drop destroys the connection without an answer; session-feedback records it with status 0', async () => {
    emu.setFault('session-feedback', { drop: true, times: 1 });
    await expect(sendFeedback(emu, token)).rejects.toThrow(/fetch failed/);
    expect(emu.reports().at(-1)).toMatchObject({ status: 0, accepted: false, error: 'fault injected: drop' });
    expect((await sendFeedback(emu, token)).status).toBe(200);
  });

  it('after + drop: the report is applied (the next login carries the alias), then the connection dropped', async () => {
    const { accessToken } = await login(emu, 'new');
    emu.setFault('session-feedback', { drop: true, after: true, times: 1 });
    await expect(sendFeedback(emu, accessToken, { body: feedbackBody(accessToken, { alias: 'applied-then-lost' }) })).rejects.toThrow();
    expect(emu.reports().at(-1)).toMatchObject({ type: 'authentication_performed', alias: 'applied-then-lost', accepted: true });
    const sub = emu.reports().at(-1)?.sub as string;
    expect(emu.aliasOf(sub)).toBe('applied-then-lost');
  });

  it('after + status: the report is applied, then the status answered instead of 200', async () => {
    const { accessToken } = await login(emu, 'new');
    emu.setFault('session-feedback', { status: 502, after: true, times: 1 });
    const res = await sendFeedback(emu, accessToken, { body: feedbackBody(accessToken, { alias: 'applied-then-502' }) });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'emulated_fault' });
    expect(emu.reports().at(-1)).toMatchObject({ alias: 'applied-then-502', accepted: true });
  });

  it('faults play on /custom-user-data too; after + drop stores the data, then drops', async () => {
    emu.setAlias(emu.subOf('bob') as string, 'cud-fault');
    const { accessToken: token } = await login(emu, 'bob');
    const call = (method: string, body?: unknown) =>
      fetch(`${emu.apiUrl}/custom-user-data`, {
        method,
        headers: { authorization: authorizationHeader(emu.clientSecret, token), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    emu.setFault('custom-user-data', { status: 503, times: 1 });
    expect((await call('GET')).status).toBe(503);
    emu.setFault('custom-user-data', { drop: true, after: true, times: 1 });
    await expect(call('POST', { data: { plan: 'gold' } })).rejects.toThrow();
    expect(await (await call('GET')).json()).toEqual({ data: { plan: 'gold' } });
  });

  it('clearFaults() clears every fault', async () => {
    emu.setFault('discovery', { status: 500 });
    emu.setFault('jwks', { status: 500 });
    emu.clearFaults();
    expect((await get(discovery())).status).toBe(200);
    expect((await get(`${emu.issuer}/jwks`)).status).toBe(200);
  });

  it('setFault() rejects an invalid fault or endpoint with ERR_BINDID_INVALID_ARGUMENT', () => {
    const invalid = (fn: () => void): boolean => {
      try {
        fn();
        return false;
      } catch (err) {
        return isBindIdError(err, ErrorCode.INVALID_ARGUMENT);
      }
    };
    expect(invalid(() => emu.setFault('token', { status: 99 }))).toBe(true);
    expect(invalid(() => emu.setFault('token', {}))).toBe(true);
    expect(invalid(() => emu.setFault('token', { hang: true, status: 500 }))).toBe(true);
    expect(invalid(() => emu.setFault('token', { retryAfter: '1' }))).toBe(true);
    expect(invalid(() => emu.setFault('token', { status: 500, times: 0 }))).toBe(true);
    expect(invalid(() => emu.setFault('nope' as 'token', { status: 500 }))).toBe(true);
  });

  it.each([
    ['on another endpoint than token', 'authorize', { staleAuthTime: 60 }, /token endpoint only/],
    ['not a whole number of seconds', 'token', { staleAuthTime: 1.5 }, /staleAuthTime must be an integer from 1/],
    ['zero', 'token', { staleAuthTime: 0 }, /staleAuthTime must be an integer from 1/],
    ['over a year', 'token', { staleAuthTime: 31_536_001 }, /staleAuthTime must be an integer from 1/],
    ['omitAuthTime not a boolean', 'token', { omitAuthTime: 'yes' }, /omitAuthTime must be true or false/],
    ['omitAuthTime false alone', 'token', { omitAuthTime: false }, /at least one/],
    ['both', 'token', { staleAuthTime: 60, omitAuthTime: true }, /cannot be combined with omitAuthTime/],
    ['with a status', 'token', { staleAuthTime: 60, status: 500 }, /cannot be combined with status/],
    ['with drop', 'token', { omitAuthTime: true, drop: true }, /cannot be combined with status/],
  ] as const)('N187 the ID-token faults are validated like the others: refused %s', async (_name, endpoint, fault, problem) => {
    expect(() => emu.setFault(endpoint, fault as never)).toThrow(problem);
    await expect(createEmulator({ faults: { [endpoint]: fault } })).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION, option: `faults.${endpoint}` });
    const res = await postFault(emu.issuer, { endpoint, fault });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_description: string }).error_description).toMatch(problem);
  });

  it('createEmulator() rejects an invalid fault option with ERR_BINDID_INVALID_OPTION', async () => {
    await expect(createEmulator({ faults: { token: { delayMs: -1 } } })).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
      option: 'faults.token',
    });
  });
});

describe('POST /__emulator/faults', () => {
  it('sets a fault (on the other side too: state is shared) and clears it with fault: null', async () => {
    const set = await postFault(emu.apiUrl, { endpoint: 'userinfo', fault: { status: 429, retryAfter: '2' } });
    expect(set.status).toBe(200);
    const faulted = await get(`${emu.issuer}/userinfo`);
    expect(faulted.status).toBe(429);
    expect(faulted.headers.get('retry-after')).toBe('2');
    expect((await postFault(emu.issuer, { endpoint: 'userinfo', fault: null })).status).toBe(200);
    expect((await get(`${emu.issuer}/userinfo`)).status).toBe(401);
  });

  it.each([
    ['an unknown endpoint', { endpoint: 'nope', fault: { status: 500 } }],
    ['a status out of range', { endpoint: 'token', fault: { status: 99 } }],
    ['an unknown fault property', { endpoint: 'token', fault: { status: 500, later: true } }],
    ['hang with a status', { endpoint: 'token', fault: { status: 500, hang: true } }],
    ['no fault at all', { endpoint: 'token' }],
    ['not an object', ['token']],
  ])('rejects %s with 400', async (_name, body) => {
    const res = await postFault(emu.issuer, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    expect((await get(discovery())).status).toBe(200);
  });

  it('rejects a body that is not JSON with 400', async () => {
    const res = await fetch(`${emu.issuer}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(res.status).toBe(400);
  });
});

describe('the CLI fault grammar (parseFaultSpec)', () => {
  it.each([
    ['session-feedback=503', { endpoint: 'session-feedback', fault: { status: 503 } }],
    ['session-feedback=503:retry-after=1', { endpoint: 'session-feedback', fault: { status: 503, retryAfter: '1' } }],
    ['token=delay=2000', { endpoint: 'token', fault: { delayMs: 2000 } }],
    ['userinfo=hang', { endpoint: 'userinfo', fault: { hang: true } }],
    ['jwks=drop', { endpoint: 'jwks', fault: { drop: true } }],
    ['session-feedback=500:times=1', { endpoint: 'session-feedback', fault: { status: 500, times: 1 } }],
    ['discovery=delay=100:drop', { endpoint: 'discovery', fault: { delayMs: 100, drop: true } }],
    ['session-feedback=drop:after:times=1', { endpoint: 'session-feedback', fault: { drop: true, after: true, times: 1 } }],
    ['custom-user-data=500:after', { endpoint: 'custom-user-data', fault: { status: 500, after: true } }],
    ['token=stale-auth-time=3600:times=1', { endpoint: 'token', fault: { staleAuthTime: 3600, times: 1 } }],
    ['token=omit-auth-time:delay=10', { endpoint: 'token', fault: { omitAuthTime: true, delayMs: 10 } }],
  ])('%s', (spec, expected) => {
    expect(parseFaultSpec(spec)).toEqual(expected);
  });

  it.each([
    ['nope=503', /endpoint/],
    ['token', /at least one/],
    ['token=', /unknown item ""/],
    ['token=5000', /unknown item "5000"/],
    ['token=delay=soon', /unknown item "delay=soon"/],
    ['token=hang:503', /hang cannot be combined/],
    ['token=retry-after=1', /need a status/],
    ['session-feedback=after', /after needs drop or a status/],
    ['session-feedback=delay=5:after', /after needs drop or a status/],
    ['userinfo=stale-auth-time=60', /token endpoint only/],
    ['token=stale-auth-time=60:omit-auth-time', /cannot be combined/],
    ['token=stale-auth-time', /unknown item "stale-auth-time"/],
    ['token=omit-auth-time=1', /unknown item "omit-auth-time=1"/],
  ])('rejects %s', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });
});
