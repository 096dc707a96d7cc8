/**
 * `TransactionCookie`: the sign-in in flight (state, nonce, PKCE verifier, `returnTo`) kept in the
 * browser until BindID's callback, sealed, instead of in a server-side session. An anonymous flood of
 * `GET /login/bindid` therefore costs the server no memory (no session is written before BindID has
 * answered), as express-openid-connect keeps its `auth_verification` cookie.
 *
 * The value is AES-256-GCM (random 96-bit IV) under a key derived with HKDF-SHA256 from the client
 * secret, with the cookie's name as associated data: the browser can neither read the PKCE verifier
 * nor change or forge a transaction, and one older than {@link TRANSACTION_TTL_MS} is refused. The
 * cookie is `HttpOnly`, `SameSite=Lax` (sent on BindID's top-level redirect back), `Path=/`, and on
 * https `Secure` with the `__Host-` prefix (no `Domain`: a sibling subdomain cannot set it). Single
 * use of the state is still decided in the shared store (`consumeState`). The transaction's
 * `createdAt` (when the sign-in or the unlink started) is sealed with it: an unlink's callback
 * requires the ID token's `auth_time` not to be earlier.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { BindIdStateError, ErrorCode } from '../errors.js';
import type { AuthTransaction } from '../session/pending-login.js';

/** How long a sign-in may take at BindID: an older transaction is refused, and a used state is remembered that long. */
export const TRANSACTION_TTL_MS = 10 * 60 * 1000;

/** The cookie's name on https (`__Host-`: Secure, Path=/, no Domain) and on plain-http loopback. */
export const TRANSACTION_COOKIE = { secure: '__Host-bindid.tx', plain: 'bindid.tx' } as const;

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A sealed value longer than this is not ours (a transaction with a 2 kB `returnTo` stays well below). */
const MAX_SEALED_LENGTH = 4_000;

/** Seals, sets, reads and clears the transaction cookie of one door (its key derived once). */
export class TransactionCookie {
  readonly name: string;
  readonly #key: Buffer;
  readonly #secure: boolean;

  /** `secure`: the app is served over https (its `baseUrl` or redirect URI). */
  constructor(clientSecret: string, secure: boolean) {
    this.#secure = secure;
    this.name = secure ? TRANSACTION_COOKIE.secure : TRANSACTION_COOKIE.plain;
    this.#key = Buffer.from(hkdfSync('sha256', clientSecret, 'express-bindid', 'transaction cookie v1', 32));
  }

  /** Set the cookie holding `transaction` on the response to `req`. */
  write(req: Request, transaction: AuthTransaction): void {
    const maxAge = Math.floor(TRANSACTION_TTL_MS / 1000);
    appendCookie(req, `${this.name}=${this.seal(transaction)}; Max-Age=${maxAge}; ${this.#attributes()}`);
  }

  /** Remove the cookie in the browser (the transaction is used or refused). */
  clear(req: Request): void {
    appendCookie(req, `${this.name}=; Max-Age=0; ${this.#attributes()}`);
  }

  /**
   * The transaction this browser started, unexpired at `now`.
   *
   * @throws BindIdStateError `ERR_BINDID_LOGIN_STATE_MISSING` (400) when there is none, or none this
   *   app sealed, or it is older than {@link TRANSACTION_TTL_MS}.
   */
  read(req: Request, now: number): AuthTransaction {
    for (const value of cookieValues(req, this.name)) {
      const transaction = this.open(value, now);
      if (transaction !== undefined) return transaction;
    }
    throw new BindIdStateError(
      ErrorCode.LOGIN_STATE_MISSING,
      'This BindID sign-in was not started from this browser, or it took longer than 10 minutes (its cookie is ' +
        'missing, expired or not this app\'s). Start again from "Sign in with BindID". If it keeps happening, check ' +
        'that cookies survive the redirect back from BindID (SameSite=Lax, Secure on https).',
      { status: 400 },
    );
  }

  /** The sealed form of `transaction` (base64url: IV, ciphertext, tag). */
  seal(transaction: AuthTransaction): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv).setAAD(Buffer.from(this.name));
    // Stryker disable next-line StringLiteral: equivalent, Node reads a string given without an encoding as UTF-8
    const body = Buffer.concat([cipher.update(JSON.stringify(transaction), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The transaction sealed in `value` if this key sealed it and it is unexpired at `now`; else `undefined`. */
  open(value: string, now: number): AuthTransaction | undefined {
    if (value.length > MAX_SEALED_LENGTH || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
    const raw = Buffer.from(value, 'base64url');
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: equivalent, a value too short for an IV, a tag and a body fails authentication in the try below and is refused the same
    if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES)).setAAD(Buffer.from(this.name));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      return fresh(JSON.parse(text) as AuthTransaction, now);
    } /* Stryker disable next-line BlockStatement: equivalent, an empty catch block also returns undefined */ catch {
      return undefined; // not sealed with this key (another secret, tampered, cut short)
    }
  }

  #attributes(): string {
    return `Path=/; HttpOnly; SameSite=Lax${this.#secure ? '; Secure' : ''}`;
  }
}

/** `transaction` if it was created within {@link TRANSACTION_TTL_MS} before `now` (and not in the future). */
function fresh(transaction: AuthTransaction, now: number): AuthTransaction | undefined {
  const age = now - transaction.createdAt;
  return Number.isFinite(age) && age >= 0 && age < TRANSACTION_TTL_MS ? transaction : undefined;
}

/** Add a `Set-Cookie` header to the response of `req` (Express sets `req.res`), keeping any already there. */
function appendCookie(req: Request, cookie: string): void {
  const res = req.res as Response | undefined;
  if (res === undefined || res.headersSent) return;
  const previous = res.getHeader('Set-Cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  res.setHeader('Set-Cookie', [...list, cookie]);
}

/** Every value of the cookie `name` in the request (a browser may send two with one name). */
function cookieValues(req: Request, name: string): string[] {
  const header = req.headers.cookie;
  // Stryker disable next-line ArrayDeclaration: equivalent, a made-up value is never sealed by this key, so no transaction is read either way
  if (typeof header !== 'string') return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) values.push(part.slice(at + 1).trim());
  }
  return values.slice(0, 4);
}
