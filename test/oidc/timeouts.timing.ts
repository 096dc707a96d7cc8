/**
 * The OIDC client's timeout in real time: `npm run test:timing` (one worker), not `npm test`.
 *
 * openid-client bounds each request to BindID with `AbortSignal.timeout(timeout)`, in whole seconds
 * (`timeoutMs` rounded up), a timer of Node's own that no fake clock moves. oidc-fetch.test.ts and
 * discovery-and-callback-edges.test.ts check what a hung token endpoint or discovery gives (the
 * retryable ERR_BINDID_UNAVAILABLE); this suite checks when: not before the timeout (1 s, minus 10 ms
 * for a timer that fires a hair early), and within MAX_MS (5 s) of the start of the sign-in, which
 * also covers the other requests of a sign-in on a loaded machine. Without the timeout the call would
 * hang until the server gave up (never, here).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import { ErrorCode, isBindIdError } from '../../src/index.js';
import type { BindIdOidcClient } from '../../src/oidc/bindid-oidc-client.js';
import { loginError, OIDC_REDIRECT, oidcClient } from '../helpers/oidc-client.js';

const TIMEOUT_MS = 1000;
const MAX_MS = 5000;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: [OIDC_REDIRECT] });
});
afterAll(() => emulator.close());

/** A whole sign-in through the emulator's scripted shortcut; resolves the error, or undefined. */
async function signIn(c: BindIdOidcClient): Promise<unknown> {
  const { url, transaction } = await c.authorizationRequest('/', Date.now());
  const res = await fetch(`${url}&identity=new`, { redirect: 'manual' });
  const callback = new URL(res.headers.get('location') ?? '');
  return c.callback(callback.search.slice(1), transaction).then(
    () => undefined,
    (err: unknown) => err,
  );
}

/** Milliseconds `fn` took, with what it resolved. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

it('a token endpoint that never answers: ERR_BINDID_UNAVAILABLE once the 1 s timeout has passed, well within 5 s', async () => {
  emulator.setFault('token', { hang: true });
  try {
    const { ms, value } = await timed(() => signIn(oidcClient(emulator, { timeoutMs: TIMEOUT_MS })));
    expect(isBindIdError(value, ErrorCode.UNAVAILABLE)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
    expect(ms).toBeLessThan(MAX_MS);
  } finally {
    emulator.clearFaults();
  }
});

it('a discovery that never answers: ERR_BINDID_UNAVAILABLE once the timeout (100 ms, rounded up to 1 s) has passed, well within 5 s', async () => {
  const hanging = http.createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  try {
    const issuer = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const { ms, value } = await timed(() => loginError(oidcClient(emulator, { issuer, timeoutMs: 100 })));
    expect(isBindIdError(value, ErrorCode.UNAVAILABLE)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
    expect(ms).toBeLessThan(MAX_MS);
  } finally {
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
  }
});
