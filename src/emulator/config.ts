/**
 * The emulator's configuration: {@link EmulatorOptions} checked once (errors are
 * `ERR_BINDID_INVALID_OPTION` naming the option), with defaults applied; and the context every
 * request handler receives.
 *
 * @module
 */
import { KeyObject } from 'node:crypto';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { describeType } from '../internal/describe-type.js';
import { checkFault, type FaultTable, isEndpoint } from './faults.js';
import { readPrivateKey, type SigningKey } from './keys.js';
import type { EmulatorState } from './state.js';
import type { EmulatorEndpoint, EmulatorIdentity, EmulatorOptions, Fault } from './types.js';

/** Default client id. */
export const DEFAULT_CLIENT_ID = 'bindid-test-client';
/** Default client secret (a test value, printed by the CLI). */
export const DEFAULT_CLIENT_SECRET = 'bindid-test-secret';
/** The identities offered when none are given. */
export const DEFAULT_IDENTITIES: readonly EmulatorIdentity[] = [
  { id: 'alice', email: 'alice@example.com', phoneNumber: '+15555550100', name: 'Alice Example' },
  { id: 'bob', email: 'bob@example.com', name: 'Bob Example' },
];
/** How long an authorization code can be redeemed, in ms. */
export const CODE_TTL_MS = 60_000;
/** The device a login comes from when `/authorize` names none (`device=<id>`, an emulator extension). */
export const DEFAULT_DEVICE = 'device-1';
/** Lifetime of ID tokens, in seconds. */
export const ID_TOKEN_TTL_SECONDS = 3600;

/** Identity ids reserved by `/authorize`. */
const RESERVED_IDS = new Set(['new', 'cancel']);

/** Whether `id` can name a test identity: 1 to 64 letters, digits, `.`, `_`, `-`, and not `new` or `cancel`. */
export function isIdentityId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(id) && !RESERVED_IDS.has(id);
}

/** The options with their defaults, checked. */
export interface EmulatorConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: ReadonlySet<string>;
  readonly host: string;
  readonly signinPort: number;
  readonly apiPort: number;
  readonly identities: readonly EmulatorIdentity[];
  readonly aliasConflict: 'reject' | 'allow';
  readonly faults: ReadonlyMap<EmulatorEndpoint, Fault>;
  readonly now: () => number;
  readonly accessTokenTtlSeconds: number;
  readonly allowClientSecretBasic: boolean;
  readonly allowPostAuthorize: boolean;
  readonly tokenResponseScope: boolean;
  readonly repeatedAuthenticationPerformed: 'accept' | 'reject';
  readonly unchangedAliasUpdated: 'accept' | 'reject';
  /** Key and certificate of the HTTPS servers, if any. */
  readonly tls: { readonly key: string | Buffer; readonly cert: string | Buffer } | undefined;
  /** The key that signs ID tokens, when given (else one is generated at start). */
  readonly signingKey: KeyObject | undefined;
}

/** What each request handler works with. */
export interface Context {
  readonly config: EmulatorConfig;
  readonly state: EmulatorState;
  readonly faults: FaultTable;
  readonly keys: SigningKey;
  /** The sign-in side's base URL (set once it listens). */
  issuer: string;
  /** The API side's base URL (set once it listens). */
  apiUrl: string;
}

const KNOWN: KnownKeys<EmulatorOptions> = {
  clientId: true,
  clientSecret: true,
  redirectUris: true,
  host: true,
  signinPort: true,
  apiPort: true,
  identities: true,
  aliasConflict: true,
  faults: true,
  now: true,
  accessTokenTtlSeconds: true,
  allowClientSecretBasic: true,
  allowPostAuthorize: true,
  tokenResponseScope: true,
  repeatedAuthenticationPerformed: true,
  unchangedAliasUpdated: true,
  tls: true,
  signingKey: true,
};

/**
 * Check the options of `createEmulator` and apply the defaults.
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_OPTION` naming the first bad option.
 */
export function readConfig(options: EmulatorOptions | undefined): EmulatorConfig {
  const reader = new OptionReader('createEmulator', options, KNOWN);
  return {
    clientId: reader.string('clientId', DEFAULT_CLIENT_ID),
    clientSecret: reader.string('clientSecret', DEFAULT_CLIENT_SECRET),
    redirectUris: readRedirectUris(reader),
    host: reader.string('host', '127.0.0.1'),
    signinPort: reader.integer('signinPort', 0, 0, 65535),
    apiPort: reader.integer('apiPort', 0, 0, 65535),
    identities: readIdentities(reader),
    aliasConflict: reader.oneOf('aliasConflict', ['reject', 'allow'], 'reject'),
    faults: readFaults(reader),
    now: reader.fn<() => number>('now') ?? Date.now,
    accessTokenTtlSeconds: reader.integer('accessTokenTtlSeconds', 3600, 1, 86400),
    allowClientSecretBasic: reader.boolean('allowClientSecretBasic', false),
    allowPostAuthorize: reader.boolean('allowPostAuthorize', false),
    tokenResponseScope: reader.boolean('tokenResponseScope', false),
    repeatedAuthenticationPerformed: reader.oneOf('repeatedAuthenticationPerformed', ['accept', 'reject'], 'accept'),
    unchangedAliasUpdated: reader.oneOf('unchangedAliasUpdated', ['accept', 'reject'], 'accept'),
    tls: readTls(reader),
    signingKey: readSigningKey(reader),
  };
}

function readSigningKey(reader: OptionReader): KeyObject | undefined {
  const value = reader.raw('signingKey');
  if (value === undefined) return undefined;
  const key = typeof value === 'string' || Buffer.isBuffer(value) || value instanceof KeyObject ? readPrivateKey(value) : 'must be a KeyObject or a PEM string';
  if (typeof key === 'string') throw reader.error('signingKey', `${key}, e.g. generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey`);
  return key;
}

function readTls(reader: OptionReader): EmulatorConfig['tls'] {
  if (!reader.has('tls')) return undefined;
  const tls = reader.nested('tls', { key: true, cert: true });
  const pem = (key: 'key' | 'cert'): string | Buffer => {
    const value = tls.raw(key);
    if ((typeof value === 'string' || Buffer.isBuffer(value)) && value.length > 0) return value;
    throw tls.error(key, `must be a PEM string or Buffer, e.g. readFileSync('${key}.pem') (got ${describeType(value)})`);
  };
  return { key: pem('key'), cert: pem('cert') };
}

function readRedirectUris(reader: OptionReader): ReadonlySet<string> {
  const value = reader.raw('redirectUris') ?? [];
  if (!Array.isArray(value)) {
    throw reader.error('redirectUris', `must be an array of URLs (got ${describeType(value)})`);
  }
  for (const [i, uri] of value.entries()) {
    if (typeof uri !== 'string' || !URL.canParse(uri)) {
      throw reader.error(`redirectUris[${i}]`, 'must be an absolute URL such as http://localhost:3000/callback');
    }
    if (new URL(uri).hash !== '' || uri.includes('#')) {
      throw reader.error(`redirectUris[${i}]`, 'must not contain a fragment (RFC 6749 §3.1.2)');
    }
  }
  return new Set(value as string[]);
}

function readIdentities(reader: OptionReader): readonly EmulatorIdentity[] {
  const value = reader.raw('identities');
  if (value === undefined) return DEFAULT_IDENTITIES;
  if (!Array.isArray(value)) throw reader.error('identities', `must be an array (got ${describeType(value)})`);
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const known = { id: true, email: true, emailVerified: true, phoneNumber: true, phoneNumberVerified: true, name: true };
    const item = new OptionReader('createEmulator', entry, known, `identities[${i}]`);
    const id = item.requiredString('id', 'alice');
    if (!isIdentityId(id) || seen.has(id)) {
      throw item.error(
        'id',
        'must be 1 to 64 letters, digits, ".", "_" or "-", unique, and not "new" or "cancel"',
      );
    }
    seen.add(id);
    const identity: EmulatorIdentity = { id };
    if (item.has('email')) identity.email = item.string('email', '');
    if (item.has('emailVerified')) identity.emailVerified = item.boolean('emailVerified', true);
    if (item.has('phoneNumber')) identity.phoneNumber = item.string('phoneNumber', '');
    if (item.has('phoneNumberVerified')) identity.phoneNumberVerified = item.boolean('phoneNumberVerified', true);
    if (item.has('name')) identity.name = item.string('name', '');
    return identity;
  });
}

function readFaults(reader: OptionReader): ReadonlyMap<EmulatorEndpoint, Fault> {
  const value = reader.raw('faults');
  const faults = new Map<EmulatorEndpoint, Fault>();
  if (value === undefined) return faults;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw reader.error('faults', `must be an object keyed by endpoint (got ${describeType(value)})`);
  }
  for (const [endpoint, fault] of Object.entries(value)) {
    if (!isEndpoint(endpoint)) throw reader.error(`faults.${endpoint}`, 'is not an endpoint');
    if (fault === undefined) continue;
    const checked = checkFault(fault, endpoint);
    if (!checked.ok) throw reader.error(`faults.${endpoint}`, `is invalid: ${checked.problem}`);
    faults.set(endpoint, checked.fault);
  }
  return faults;
}
