/**
 * The sealed transaction cookie (src/oidc/transaction-cookie.ts): the sign-in in flight lives in the
 * browser, unreadable and unforgeable there, for 10 minutes at most; and the used state it leaves in
 * the store expires with it.
 */
import type { Request, Response } from 'express';
import { ErrorCode, MemoryBindIdStore } from '../../src/index.js';
import { consumeState } from '../../src/oidc/consume-state.js';
import { TRANSACTION_COOKIE, TRANSACTION_TTL_MS, TransactionCookie } from '../../src/oidc/transaction-cookie.js';
import type { AuthTransaction } from '../../src/session/pending-login.js';

const SECRET = 'a-client-secret-for-this-test-only';
const NOW = 1_800_000_000_000;
const TX: AuthTransaction = {
  state: 'S'.repeat(43),
  nonce: 'N'.repeat(43),
  codeVerifier: 'V'.repeat(43),
  returnTo: '/account',
  createdAt: NOW,
};

/** A request whose `res` records the Set-Cookie headers, with `cookie` as its Cookie header. */
function exchange(cookie?: string): { req: Request; setCookies: () => string[] } {
  const headers = new Map<string, unknown>();
  const res = {
    headersSent: false,
    getHeader: (name: string) => headers.get(name.toLowerCase()),
    setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), value),
  } as unknown as Response;
  const req = { headers: cookie === undefined ? {} : { cookie }, res } as unknown as Request;
  return { req, setCookies: () => (headers.get('set-cookie') as string[] | undefined) ?? [] };
}

/** The `name=value` of a Set-Cookie line, as a browser would send it back. */
const sendBack = (setCookie: string) => setCookie.split(';')[0] as string;

describe('N179 TransactionCookie', () => {
  it('N179 on plain-http loopback: HttpOnly, SameSite=Lax, Path=/, 10 minutes, not Secure; the browser sends it back and the callback reads the transaction', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const start = exchange();
    cookie.write(start.req, TX);
    const [line] = start.setCookies();
    expect(line).toMatch(/^bindid\.tx=[A-Za-z0-9_-]+; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(cookie.read(exchange(`other=1; ${sendBack(line as string)}`).req, NOW + 1_000)).toEqual(TX);
  });

  it('N179 on https: the __Host- name, Secure, no Domain', () => {
    const cookie = new TransactionCookie(SECRET, true);
    const start = exchange();
    cookie.write(start.req, TX);
    const [line] = start.setCookies();
    expect(line).toMatch(/^__Host-bindid\.tx=[A-Za-z0-9_-]+; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    expect(line).not.toMatch(/Domain/i);
    expect(TRANSACTION_COOKIE.secure.startsWith('__Host-')).toBe(true);
  });

  it('N179 the browser cannot read it: no state, nonce, verifier or returnTo in clear, and each seal differs (random IV)', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const a = cookie.seal(TX);
    const b = cookie.seal(TX);
    expect(a).not.toBe(b);
    for (const sealed of [a, b, Buffer.from(a, 'base64url').toString('latin1')]) {
      for (const secret of [TX.state, TX.nonce, TX.codeVerifier as string, 'account', SECRET]) expect(sealed).not.toContain(secret);
    }
  });

  it('N179 a changed byte, another client secret, the other cookie name, a cut or oversized value: not a transaction (400 LOGIN_STATE_MISSING)', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const sealed = cookie.seal(TX);
    const raw = Buffer.from(sealed, 'base64url');
    for (const at of [0, 13, raw.length - 1]) {
      const flipped = Buffer.from(raw);
      flipped[at] = (flipped[at] as number) ^ 1;
      expect(cookie.open(flipped.toString('base64url'), NOW)).toBeUndefined();
    }
    expect(new TransactionCookie(`${SECRET}x`, false).open(sealed, NOW)).toBeUndefined();
    expect(new TransactionCookie(SECRET, true).open(sealed, NOW)).toBeUndefined(); // the name is authenticated
    for (const bad of [sealed.slice(0, 20), '', 'not base64!', 'A'.repeat(5_000), `${sealed}.x`]) expect(cookie.open(bad, NOW)).toBeUndefined();
    const forged = exchange(`${TRANSACTION_COOKIE.plain}=${sealed.slice(0, -2)}AA`);
    expect(() => cookie.read(forged.req, NOW)).toThrow(expect.objectContaining({ code: ErrorCode.LOGIN_STATE_MISSING, status: 400 }));
    expect(() => cookie.read(exchange().req, NOW)).toThrow(expect.objectContaining({ code: ErrorCode.LOGIN_STATE_MISSING }));
  });

  it('N179 lives 10 minutes: refused from TRANSACTION_TTL_MS after it started, and when it claims to start in the future', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const sealed = cookie.seal(TX);
    expect(cookie.open(sealed, NOW + TRANSACTION_TTL_MS - 1)).toEqual(TX);
    expect(cookie.open(sealed, NOW + TRANSACTION_TTL_MS)).toBeUndefined();
    expect(cookie.open(sealed, NOW - 1)).toBeUndefined();
  });

  it('N179 two cookies of that name (one planted): the one this app sealed is read', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const planted = new TransactionCookie('another-apps-secret', false).seal({ ...TX, state: 'planted' });
    const header = `${TRANSACTION_COOKIE.plain}=${planted}; ${TRANSACTION_COOKIE.plain}=${cookie.seal(TX)}`;
    expect(cookie.read(exchange(header).req, NOW).state).toBe(TX.state);
  });

  it('N179 clear() expires it in the browser, keeping the Set-Cookie headers already on the response', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const { req, setCookies } = exchange();
    (req.res as Response).setHeader('Set-Cookie', 'connect.sid=abc; Path=/');
    cookie.clear(req);
    expect(setCookies()).toEqual(['connect.sid=abc; Path=/', 'bindid.tx=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax']);
  });
});

describe('N179 consumeState: the used state expires with its transaction', () => {
  it('N179 the key lives until the transaction would have expired, then the store forgets it', async () => {
    let now = NOW + 4 * 60_000;
    const store = new MemoryBindIdStore({ now: () => now });
    await consumeState(store, TX, now);
    await expect(consumeState(store, TX, now)).rejects.toMatchObject({ code: ErrorCode.CALLBACK_INVALID, status: 400 });
    expect(store.size).toBe(1);
    now = NOW + TRANSACTION_TTL_MS - 1;
    expect(store.size).toBe(1);
    now = NOW + TRANSACTION_TTL_MS;
    expect(store.size).toBe(0);
  });

  it('N179 a transaction at the very end of its life still gets a key (at least 1 ms)', async () => {
    const store = new MemoryBindIdStore({ now: () => NOW + TRANSACTION_TTL_MS + 5 });
    await consumeState(store, TX, NOW + TRANSACTION_TTL_MS + 5);
    await expect(consumeState(store, TX, NOW + TRANSACTION_TTL_MS + 5)).rejects.toMatchObject({ code: ErrorCode.CALLBACK_INVALID });
  });
});
