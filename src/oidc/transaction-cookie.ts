/** The sign-in in flight (state, nonce, PKCE verifier, `returnTo`, `createdAt`) sealed in a browser cookie, so an anonymous flood of
 * `GET /login/bindid` costs the server no memory. AES-256-GCM under an HKDF-SHA256 key from the client secret, the cookie's name as
 * associated data: the browser can neither read the verifier nor change or forge a transaction. `SameSite=Lax`: sent on BindID's
 * top-level redirect back; `__Host-` on https: a sibling subdomain cannot set it. Single use of the state: `consumeState`. @module */
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

  write(req: Request, transaction: AuthTransaction): void {
    const maxAge = Math.floor(TRANSACTION_TTL_MS / 1000);
    appendCookie(req, `${this.name}=${this.seal(transaction)}; Max-Age=${maxAge}; ${this.#attributes()}`);
  }

  clear(req: Request): void {
    appendCookie(req, `${this.name}=; Max-Age=0; ${this.#attributes()}`);
  }

  /** The transaction this browser started, unexpired at `now`; else `ERR_BINDID_LOGIN_STATE_MISSING` (400). */
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

function fresh(transaction: AuthTransaction, now: number): AuthTransaction | undefined {
  const age = now - transaction.createdAt;
  return Number.isFinite(age) && age >= 0 && age < TRANSACTION_TTL_MS ? transaction : undefined;
}

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
