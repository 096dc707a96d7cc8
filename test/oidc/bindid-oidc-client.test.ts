/**
 * BindIdOidcClient, the relying-party side, against the emulator: how each way BindID can fail the
 * callback maps to a coded error. The user sees "try again" (503, retryable) only when BindID itself
 * is unavailable; anything BindID refused is a 400 "start again"; and no error repeats what BindID
 * answered beyond a short OAuth error code.
 */
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import { ErrorCode, isBindIdError } from '../../src/index.js';
import type { BindIdOidcClient } from '../../src/oidc/bindid-oidc-client.js';
import { OIDC_REDIRECT, oidcClient } from '../helpers/oidc-client.js';

const REDIRECT = OIDC_REDIRECT;

let emulator: Emulator;
let client: BindIdOidcClient;

beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: [REDIRECT] });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => {
  emulator.clearFaults();
  client = oidcClient(emulator);
});

/** Start a sign-in and come back with `query` (the state of the transaction is added unless given). */
async function callbackWith(params: Record<string, string>): Promise<unknown> {
  const { transaction } = await client.authorizationRequest('/', Date.now());
  const query = new URLSearchParams({ state: transaction.state, ...params }).toString();
  return client.callback(query, transaction).then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('the callback, when BindID fails it', () => {
  it('an authorization error other than access_denied is a 400 CALLBACK_INVALID naming only the OAuth code', async () => {
    const err = await callbackWith({ error: 'server_error', error_description: 'secret-ish upstream text' });
    expect(isBindIdError(err, ErrorCode.CALLBACK_INVALID)).toBe(true);
    expect(err).toMatchObject({ status: 400 });
    expect((err as Error).cause).toMatchObject({ message: 'authorization error server_error' });
    expect(JSON.stringify(err)).not.toContain('secret-ish');
  });

  it('an authorization error code that is not a plain OAuth code is not repeated', async () => {
    const err = await callbackWith({ error: 'Evil\r\nInjected: 1' });
    expect(isBindIdError(err, ErrorCode.CALLBACK_INVALID)).toBe(true);
    expect((err as Error).cause).toMatchObject({ message: 'authorization error an error' });
  });

  it('the token endpoint answering 5xx (even with an OAuth error body) is a retryable 503 UNAVAILABLE', async () => {
    emulator.setFault('token', { status: 502, body: JSON.stringify({ error: 'temporarily_unavailable', error_description: 'upstream text' }) });
    const err = await callbackWith({ code: 'some-code' });
    expect(isBindIdError(err, ErrorCode.UNAVAILABLE)).toBe(true);
    expect(err).toMatchObject({ status: 503, retryable: true });
    expect((err as Error).cause).toMatchObject({ code: 'OAUTH_RESPONSE_IS_NOT_CONFORM' });
    expect(JSON.stringify(err)).not.toContain('upstream text');
  });

  it('the token endpoint refusing the code (400 invalid_grant) is a 400 CALLBACK_INVALID, not retryable', async () => {
    emulator.setFault('token', { status: 400, body: JSON.stringify({ error: 'invalid_grant', error_description: 'code reused' }) });
    const err = await callbackWith({ code: 'some-code' });
    expect(isBindIdError(err, ErrorCode.CALLBACK_INVALID)).toBe(true);
    expect(err).toMatchObject({ status: 400, retryable: false });
    expect(JSON.stringify(err)).not.toContain('code reused');
  });
});

describe('the callback, when BindID accepts it', () => {
  it("the access token's lifetime is BindID's expires_in (here 120 s), which the pending login is bounded by", async () => {
    const short = await createEmulator({ redirectUris: [REDIRECT], accessTokenTtlSeconds: 120 });
    try {
      const c = oidcClient(short);
      const { url, transaction } = await c.authorizationRequest('/', Date.now());
      const res = await fetch(`${url}&identity=new`, { redirect: 'manual' });
      const result = await c.callback(new URL(res.headers.get('location') ?? '').search.slice(1), transaction);
      expect(result.expiresIn).toBe(120);
      expect(result.accessToken).toEqual(expect.any(String));
    } finally {
      await short.close();
    }
  });
});
