/**
 * Read the sign-in in flight out of an agent's cookie jar: the sealed transaction cookie
 * (src/oidc/transaction-cookie.ts) opened with the app's client secret, as the app itself opens it.
 *
 * @module
 */
import type { CookieAccessInfo as Access } from 'cookiejar';
import { CookieAccessInfo } from 'cookiejar';
import type { AuthTransaction } from '../../src/session/pending-login.js';
import { TRANSACTION_COOKIE, TransactionCookie } from '../../src/oidc/transaction-cookie.js';

interface Jar {
  getCookies(access: Access): Array<{ name: string; value: string }>;
}

/** The raw values of the transaction cookie in `agent`'s jar (plain-http name). */
export function transactionCookieValues(agent: object): string[] {
  const jar = (agent as { jar: Jar }).jar;
  return jar
    .getCookies(CookieAccessInfo.All)
    .filter((c) => c.name === TRANSACTION_COOKIE.plain || c.name === TRANSACTION_COOKIE.secure)
    .map((c) => c.value)
    .filter((v) => v !== '');
}

/** The unexpired transaction `agent` holds for an app with `clientSecret` on plain http, or `undefined`. */
export function transactionOf(agent: object, clientSecret: string, now = Date.now()): AuthTransaction | undefined {
  const cookie = new TransactionCookie(clientSecret, false);
  for (const value of transactionCookieValues(agent)) {
    const transaction = cookie.open(value, now);
    if (transaction !== undefined) return transaction;
  }
  return undefined;
}

/** The `name=value` of the transaction cookie a response set (either name), as a browser sends it back; `undefined` when it set none or cleared it. */
export function transactionCookieOf(res: { headers: Record<string, unknown> }): string | undefined {
  const lines = ([] as string[]).concat((res.headers['set-cookie'] as string | string[] | undefined) ?? []);
  const pair = lines
    .map((line) => line.split(';')[0] as string)
    .find((p) => p.startsWith(`${TRANSACTION_COOKIE.plain}=`) || p.startsWith(`${TRANSACTION_COOKIE.secure}=`));
  return pair === undefined || pair.endsWith('=') ? undefined : pair;
}
