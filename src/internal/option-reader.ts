/** Option validation shared by every factory, run once when it is called: `ERR_BINDID_INVALID_OPTION` errors name the option and say what to do. */
import { BindIdArgumentError, ErrorCode } from '../errors.js';
import { describeType } from './describe-type.js';
import { isLoopback } from './is-loopback.js';

/** A map with one entry per option key, so the compiler keeps the list of known keys complete. */
export type KnownKeys<T> = { readonly [K in keyof Required<T>]: true };

/** Where the next top-level reader belongs, while {@link OptionReader.within} runs. */
let parentScope: { factory: string; path: string } | undefined;

/** Reads one options object: construction refuses unknown keys; each getter checks one option and applies its default. */
export class OptionReader {
  private readonly values: Record<string, unknown>;
  private readonly factory: string;
  private readonly path: string;

  /** `value` undefined means `{}`; `path` is the dotted prefix of a nested object (`backoff`). */
  constructor(factory: string, value: unknown, known: object, path = '') {
    const scope = path === '' ? parentScope : undefined;
    if (scope) parentScope = undefined; // taken by the first top-level reader only
    this.factory = scope?.factory ?? factory;
    this.path = scope?.path ?? path;
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw this.fail(this.path || 'options', `must be an object (got ${describeType(value)})`, !this.path);
    }
    this.values = (value ?? {}) as Record<string, unknown>;
    const names = Object.keys(known);
    for (const key of Object.keys(this.values)) {
      if (Object.hasOwn(known, key)) continue;
      const hint = closest(key, names);
      throw this.error(key, `is not a known option.${hint ? ` Did you mean \`${this.name(hint)}\`?` : ''} Known options: ${names.join(', ')}.`);
    }
  }

  /** Set to anything but `undefined`. */
  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.values[key];
  }

  requiredString(key: string, example?: string): string {
    const value = this.values[key];
    if (value === undefined || value === null || value === '') throw this.error(key, `is required${example ? `, for example ${example}` : ''}`);
    if (typeof value !== 'string') throw this.error(key, `must be a string (got ${describeType(value)})`);
    return value;
  }

  string(key: string, fallback: string): string {
    return this.#optional(key, fallback, (v) => typeof v === 'string' && v !== '', (v) => `must be a non-empty string (got ${describeType(v)})`);
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
    const got = (v: unknown) => (typeof v === 'number' ? String(v) : describeType(v));
    return this.#optional(key, fallback, ok, (v) => `must be a whole number from ${min} to ${max} (got ${got(v)})`);
  }

  boolean(key: string, fallback: boolean): boolean {
    return this.#optional(key, fallback, (v) => typeof v === 'boolean', (v) => `must be true or false (got ${describeType(v)})`);
  }

  fn<F>(key: string): F | undefined {
    return this.#optional<F | undefined>(key, undefined, (v) => typeof v === 'function', (v) => `must be a function (got ${describeType(v)})`);
  }

  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const ok = (v: unknown) => (choices as readonly unknown[]).includes(v);
    return this.#optional(key, fallback, ok, () => `must be one of ${choices.map((c) => `"${c}"`).join(', ')}`);
  }

  /** The value of `key` if `ok`, `fallback` if unset; else the error `message` gives. */
  #optional<T>(key: string, fallback: T, ok: (value: unknown) => boolean, message: (value: unknown) => string): T {
    const value = this.values[key];
    if (value === undefined) return fallback;
    if (!ok(value)) throw this.error(key, message(value));
    return value as T;
  }

  /** Without a trailing slash. Plain `http:` only for loopback hosts, because the URL receives the access token. */
  baseUrl(key: string, example: string): string {
    const raw = this.requiredString(key, example);
    if (!URL.canParse(raw)) throw this.error(key, `must be an absolute URL such as ${example}`);
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw this.error(key, 'must use https:');
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      throw this.error(key, 'must use https: (plain http is only allowed for localhost, 127.0.0.1 and [::1])');
    }
    if (url.username || url.password || url.search || url.hash) throw this.error(key, 'must not contain credentials, a query or a fragment');
    return url.href.replace(/\/+$/, '');
  }

  nested(key: string, known: object): OptionReader {
    return new OptionReader(this.factory, this.values[key], known, this.name(key));
  }

  /**
   * Build another factory's object (`new OutboxWorker(...)`) from options under `key` (or at this level): the first top-level
   * reader `build` creates reports its errors as this factory's (`bindIdRouter() option \`outboxWorker.intervalMs\``).
   * Construction is synchronous, so the scope ends with `build`.
   */
  within<T>(key: string | undefined, build: () => T): T {
    const saved = parentScope;
    parentScope = { factory: this.factory, path: key === undefined ? this.path : this.name(key) };
    try {
      return build();
    } finally {
      parentScope = saved;
    }
  }

  error(key: string, message: string): BindIdArgumentError {
    return this.fail(this.name(key), message, false);
  }

  private fail(option: string, message: string, whole: boolean): BindIdArgumentError {
    const subject = whole ? `the options of ${this.factory}()` : `${this.factory}() option \`${option}\``;
    return new BindIdArgumentError(ErrorCode.INVALID_OPTION, `express-bindid: ${subject} ${message}`, { option });
  }

  name(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }
}

/** The known name closest to `input` (edit distance ≤ 2, or equal ignoring case). */
function closest(input: string, names: readonly string[]): string | undefined {
  const scored = names.map((name) => ({ name, d: name.toLowerCase() === input.toLowerCase() ? 0 : distance(input, name) }));
  return scored.filter(({ d }) => d <= 2).sort((a, b) => a.d - b.d)[0]?.name;
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, substitution));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}
