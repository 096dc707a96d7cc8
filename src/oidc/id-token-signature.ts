/**
 * The ID token's RS256 signature, checked with node:crypto against BindID's JWKS: openid-client's own check runs WebCrypto's
 * `verify`, about three times the CPU and a thread-pool trip per sign-in (BENCHMARKS.md, signin). Stricter too: RS256 only,
 * no `crit`, the key its `kid` names. The claims (`iss`, `aud`, `exp`, `nonce`) stay openid-client's. @module
 */
import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { BindIdFeedbackError, BindIdStateError, ErrorCode, safeCause } from '../errors.js';

/** The JWKS is fetched again for an unknown `kid` at most this often, and always when older than {@link JWKS_MAX_AGE_MS}. */
export const JWKS_COOLDOWN_MS = 60_000;
export const JWKS_MAX_AGE_MS = 10 * 60_000;

/** Fetches the JWKS document (BindID's `jwks_uri`, through the HTTP seam). */
export type JwksSource = () => Promise<Response>;

interface KeySet {
  readonly keys: ReadonlyMap<unknown, KeyObject>;
  readonly at: number;
}

/** Verifies ID tokens against one provider's JWKS, kept between sign-ins. */
export class IdTokenSignature {
  #keySet: Promise<KeySet> | undefined;

  constructor(
    private readonly source: JwksSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when `idToken` is signed RS256 by a key of the JWKS; `ERR_BINDID_CALLBACK_INVALID` (400) otherwise. */
  async verify(idToken: string): Promise<void> {
    const [header, payload, signature, extra] = idToken.split('.');
    const kid = extra === undefined && signature ? rs256Kid(header) : null;
    if (kid === null) throw invalid('ID token not an RS256 JWS');
    const key = await this.#key(kid);
    if (!verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature as string, 'base64url'))) {
      throw invalid('ID token signature invalid');
    }
  }

  /** The key of `kid`, from the cached JWKS; fetched again when too old, or for an unknown `kid` after the cooldown. */
  async #key(kid: string | undefined): Promise<KeyObject> {
    const seen = this.#keySet ?? this.#refresh(undefined);
    let set = await seen;
    const age = this.now() - set.at;
    if (age >= JWKS_MAX_AGE_MS || (!set.keys.has(kid) && age >= JWKS_COOLDOWN_MS)) set = await this.#refresh(seen);
    const key = set.keys.get(kid);
    if (key === undefined) throw invalid('ID token key not in the JWKS');
    return key;
  }

  /** One fetch for concurrent callers that saw the same key set; a failed fetch is not kept. */
  #refresh(seen: Promise<KeySet> | undefined): Promise<KeySet> {
    // Another caller refreshed since `seen` was read (only a settled fetch is replaced, so it is set).
    if (this.#keySet !== seen) return this.#keySet as Promise<KeySet>;
    const loading = this.#fetch();
    this.#keySet = loading;
    loading.catch(() => {
      this.#keySet = seen; // while it ran, every caller awaited it: none replaced it
    });
    return loading;
  }

  async #fetch(): Promise<KeySet> {
    const response = await this.source().catch(() => undefined);
    const jwks: unknown = response?.status === 200 ? await response.json().catch(() => undefined) : undefined;
    if (jwks === undefined) {
      throw new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'BindID sign-in is unavailable. Try again in a moment.', {
        status: 503,
        retryable: true,
        cause: safeCause(undefined, 'JWKS unavailable'),
      });
    }
    return { keys: signingKeys(jwks), at: this.now() };
  }
}

/** The `kid` of an RS256 JWS header (`undefined` without one); `null` for anything else. */
function rs256Kid(encoded: string | undefined): string | undefined | null {
  try {
    const header = JSON.parse(Buffer.from(encoded ?? '', 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown; crit?: unknown };
    if (header.alg !== 'RS256' || header.crit !== undefined) return null;
    return typeof header.kid === 'string' ? header.kid : header.kid === undefined ? undefined : null;
  } catch {
    return null;
  }
}

/** The RSA signing keys (2048 bits or more) of a JWKS by `kid`; when there is only one, also without a `kid`. */
function signingKeys(jwks: unknown): Map<unknown, KeyObject> {
  const found: [unknown, KeyObject][] = [];
  const list = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) return new Map();
  for (const jwk of list as (Record<string, unknown> | null)[]) {
    if (jwk?.kty !== 'RSA' || (jwk.use ?? 'sig') !== 'sig' || (jwk.alg ?? 'RS256') !== 'RS256') continue;
    try {
      const key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e } as JsonWebKey, format: 'jwk' });
      // Stryker disable next-line OptionalChaining: equivalent, an RSA key object always has its details
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) found.push([jwk.kid, key]);
    } catch {
      // not a usable RSA public key: skipped
    }
  }
  const keys = new Map(found.filter(([kid]) => typeof kid === 'string'));
  if (found.length === 1) keys.set(undefined, (found[0] as [unknown, KeyObject])[1]);
  return keys;
}

function invalid(label: string): BindIdStateError {
  return new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'The BindID sign-in could not be verified. Start again.', {
    status: 400,
    cause: safeCause(undefined, label),
  });
}
