/**
 * Fixtures for tests of `SessionFeedbackClient`: a random secret and tokens, an independent HMAC,
 * clients that are closed after each test, and a helper that awaits an expected rejection.
 *
 * @module
 */
import { createHmac, randomBytes } from 'node:crypto';
import { type BindIdError, SessionFeedbackClient, type SessionFeedbackClientOptions } from '../../src/index.js';
import { FakeBindId } from './fake-bindid.js';

/** A client secret for tests, random per run so that a leak check cannot match by accident. */
export const SECRET = `test-secret-${randomBytes(12).toString('hex')}`;

/** A fresh access token shaped like BindID's (43 base64url characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The header's auth value computed here, independently of `src/feedback/signing.ts`: standard padded Base64 of
 * HMAC-SHA256 keyed with the UTF-8 secret over the UTF-8 token.
 */
export function hmac(secret: string, token: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(token, 'utf8')).digest('base64');
}

/** The exact `Authorization` value BindID expects. */
export function expectedAuthorization(secret: string, token: string): string {
  return `BindIdBackend AccessToken ${token}; ${hmac(secret, token)}`;
}

const open: SessionFeedbackClient[] = [];

/**
 * The deadline of {@link makeClient} unless a test sets `timeoutMs`: far beyond what a loopback
 * exchange takes even on a busy machine, so that only a test that means to reach a deadline (with its
 * own `timeoutMs`, on a fake clock or in a `*.timing.ts` suite) ever does.
 */
export const GENEROUS_TIMEOUT_MS = 10_000;

/**
 * A client for `apiUrl` with test-friendly defaults ({@link GENEROUS_TIMEOUT_MS} deadline, 1–5 ms
 * backoff) and `overrides`. Call {@link closeClients} in `afterEach`.
 */
export function makeClient(apiUrl: string, overrides: Partial<SessionFeedbackClientOptions> = {}): SessionFeedbackClient {
  const client = new SessionFeedbackClient({
    clientSecret: SECRET,
    apiUrl,
    timeoutMs: GENEROUS_TIMEOUT_MS,
    backoff: { baseMs: 1, maxMs: 5 },
    ...overrides,
  });
  open.push(client);
  return client;
}

/** What a client did so far, seen through its `clientSecret` and `random` options (see {@link clientProbe}). */
export interface ClientProbe {
  /** Pass these to the client. */
  readonly options: { clientSecret: () => string; random: () => number };
  /** Attempts started: each one signs its request (reads the secret) just before it is sent. */
  readonly attempts: number;
  /**
   * Retryable outcomes handled: each draws one backoff delay, and the client, when the retry is allowed
   * and fits in the deadline, is waiting that delay by the time this count is read.
   */
  readonly backoffs: number;
}

/**
 * Options that count what the client does, at the moment it does it, through two of its own options
 * ({@link SECRET} as the secret, `jitter` as every `random()`: 1 makes each delay its bound, 0 makes
 * it 0). On a fake clock a test then knows when the client waits, and can check when it retries.
 */
export function clientProbe(jitter = 1): ClientProbe {
  let attempts = 0;
  let backoffs = 0;
  return {
    options: {
      clientSecret: () => {
        attempts += 1;
        return SECRET;
      },
      random: () => {
        backoffs += 1;
        return jitter;
      },
    },
    get attempts() {
      return attempts;
    },
    get backoffs() {
      return backoffs;
    },
  };
}

/** Close the keep-alive agents of every client made by {@link makeClient}. */
export function closeClients(): void {
  for (const client of open.splice(0)) client.close();
}

/**
 * Start a fresh fake BindID before each test of the calling file and hand it to `set`; after each
 * test, close the clients made by {@link makeClient} and the server (hung sockets included).
 *
 * ```ts
 * let bindid: FakeBindId;
 * useFakeBindId((server) => (bindid = server));
 * ```
 */
export function useFakeBindId(set: (server: FakeBindId) => void): void {
  let server: FakeBindId | undefined;
  beforeEach(async () => {
    server = await FakeBindId.start();
    set(server);
  });
  afterEach(async () => {
    closeClients();
    await server?.close();
  });
}

/** Await a promise that must reject; return what it rejected with (fails the test if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<BindIdError> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    return err as BindIdError;
  }
  throw new Error(`expected a rejection, but the call resolved with ${JSON.stringify(value)}`);
}

/** Milliseconds taken by `fn`, with its result or rejection. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: BindIdError }> {
  const started = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - started, value };
  } catch (err) {
    return { ms: performance.now() - started, error: err as BindIdError };
  }
}
