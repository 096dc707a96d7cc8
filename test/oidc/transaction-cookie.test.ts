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

describe('N179 TransactionCookie: what a deploy, a long returnTo and a crowded Cookie header meet', () => {
  /** Sealed by this code for SECRET and TX (bindid.tx): the key is HKDF-SHA256 of the secret with fixed salt and info. */
  const SEALED_BEFORE =
    'k-4GaXof8y0M6-5iprxrcnbsYisVy3KWYhuN5y_pjYJA8oMsij-_qHofXi8XKz0MeQ4-_ZI5FKVfC18HznqjH8X1eJ8bqIxrR2NzbkjX1eO67_vC8aDogFCByLnKctGlvj4qy1Es823QcV1va8w1LqlboArotxsXKpFnhrHqK5S5PkjrQziC1VFkKR4IIUtiB6Ii9_T6iFFyUz7yLhr8Ffs7TItE3MJxBxrW2aNaivw3sMxz52N-EFZuKfHQQuf99z603zsJ0T1Hs1qBsLh6hxxF2_LHht11rg6CbOi7CxJYD2Sqt-QZXWHw0652sY4oO_nr7jfi';

  it('N179 a sign-in started before a restart or a deploy completes after it: the same secret derives the same key', () => {
    expect(new TransactionCookie(SECRET, false).open(SEALED_BEFORE, NOW + 1_000)).toEqual(TX);
  });

  it('N179 a callback in the very millisecond its sign-in started is read (age 0)', () => {
    const cookie = new TransactionCookie(SECRET, false);
    expect(cookie.open(cookie.seal(TX), NOW)).toEqual(TX);
  });

  it('N179 a sealed value of 4,000 characters (a long returnTo) is read; a longer one is not this app\'s', () => {
    const cookie = new TransactionCookie(SECRET, false);
    /** TX with a returnTo making the sealed value `chars` long (12 bytes IV, 16 tag, base64url without padding). */
    const sized = (chars: number): AuthTransaction => {
      const bytes = Math.floor((chars * 3) / 4) - 12 - 16;
      const base = JSON.stringify({ ...TX, returnTo: '/' }).length;
      return { ...TX, returnTo: `/${'a'.repeat(bytes - base)}` };
    };
    const atLimit = sized(4_000);
    expect(cookie.seal(atLimit)).toHaveLength(4_000);
    expect(cookie.open(cookie.seal(atLimit), NOW)).toEqual(atLimit);
    const over = sized(4_002);
    expect(cookie.seal(over)).toHaveLength(4_002);
    expect(cookie.open(cookie.seal(over), NOW)).toBeUndefined();
  });

  it('N179 only the first four cookies of that name are tried: a fifth, even a valid one, is not read', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const junk = Array.from({ length: 4 }, (_, i) => `${TRANSACTION_COOKIE.plain}=junk${i}`);
    const valid = `${TRANSACTION_COOKIE.plain}=${cookie.seal(TX)}`;
    expect(cookie.read(exchange([...junk.slice(1), valid].join('; ')).req, NOW).state).toBe(TX.state);
    expect(() => cookie.read(exchange([...junk, valid].join('; ')).req, NOW)).toThrow(expect.objectContaining({ code: ErrorCode.LOGIN_STATE_MISSING }));
  });

  it('N179 four other cookies before it, and whitespace around its value, do not stop it being read', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const header = `a=1; b=2; c=3; d=4; ${TRANSACTION_COOKIE.plain}=${cookie.seal(TX)} ; e=5`;
    expect(cookie.read(exchange(header).req, NOW).state).toBe(TX.state);
  });

  it('N179 no transaction: the error tells the user to start again, and the app developer what to check', () => {
    const cookie = new TransactionCookie(SECRET, false);
    expect(() => cookie.read(exchange('other=1').req, NOW)).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/not started from this browser.*longer than 10 minutes.*Start again from "Sign in with BindID".*SameSite=Lax, Secure on https/s),
      }),
    );
  });

  it('N179 a part without "=" is no cookie of that name, and does not take one of the four places', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const bare = Array.from({ length: 4 }, () => `${TRANSACTION_COOKIE.plain}x`);
    const header = [...bare, `${TRANSACTION_COOKIE.plain}=${cookie.seal(TX)}`].join('; ');
    expect(cookie.read(exchange(header).req, NOW).state).toBe(TX.state);
  });

  it('N179 write() keeps the Set-Cookie list already on the response, and adds nothing once the headers are sent', () => {
    const cookie = new TransactionCookie(SECRET, false);
    const { req, setCookies } = exchange();
    (req.res as Response).setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; Path=/']);
    cookie.write(req, TX);
    expect(setCookies().slice(0, 2)).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(setCookies()[2]).toMatch(/^bindid\.tx=[A-Za-z0-9_-]+; Max-Age=600;/);
    const sent = exchange();
    (sent.req.res as { headersSent: boolean }).headersSent = true;
    cookie.write(sent.req, TX);
    cookie.clear(sent.req);
    expect(sent.setCookies()).toEqual([]);
    const noResponse = { headers: {} } as unknown as Request;
    expect(() => cookie.clear(noResponse)).not.toThrow();
  });
});
