/**
 * `express-bindid/emulator`: a local BindID for tests and development.
 *
 * Two `node:http` servers on loopback: the sign-in side (an OIDC provider whose base URL is the
 * issuer: discovery, `/jwks`, `/authorize` with a sign-in page, `/token`, `/userinfo`) and the
 * service-provider API side (`POST /session-feedback`, strictly checked). Reports set, replace and
 * delete the alias that later ID tokens carry. Faults (errors, delays, hangs, dropped connections)
 * can be injected per endpoint. All state lives in memory, bounded.
 *
 * Faithful to BindID's documentation by default rather than ideal (`client_secret_post` only, GET
 * `/authorize`, no `scope` in the token response, `email_verified` only for verified data,
 * `ts.bindid.app_bound_cred` per device...); flags enable the looser behaviours. Each difference
 * from BindID is listed in docs/emulator-fidelity.md.
 *
 * ```ts
 * import { createEmulator } from 'express-bindid/emulator';
 *
 * const emu = await createEmulator({ redirectUris: ['http://localhost:3000/callback'] });
 * // configure the app with emu.issuer, emu.apiUrl, emu.clientId, emu.clientSecret ...
 * await emu.close();
 * ```
 *
 * @module express-bindid/emulator
 */
import { invalidArgument } from '../errors.js';
import { type Context, DEFAULT_DEVICE, type EmulatorConfig, isIdentityId, readConfig } from './config.js';
import { checkFault, ENDPOINTS, FaultTable, isEndpoint } from './faults.js';
import { createSigningKey, generateSigningKey } from './keys.js';
import { API_ROUTES, SIGNIN_ROUTES } from './routes.js';
import { EmulatorServer } from './server.js';
import { EmulatorState } from './state.js';
import type { Emulator, EmulatorEndpoint, EmulatorIdentity, EmulatorOptions, Fault, ReceivedReport } from './types.js';

export type {
  Emulator,
  EmulatorEndpoint,
  EmulatorIdentity,
  EmulatorOptions,
  Fault,
  HeaderForm,
  ReceivedReport,
} from './types.js';

/**
 * Start an emulator: generate its signing key (unless `signingKey` is given), listen on both ports, and resolve once both listen.
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_OPTION` for a bad option; the listen error
 *   (`EADDRINUSE`...) when a port cannot be bound (nothing is left listening then).
 */
export async function createEmulator(options?: EmulatorOptions): Promise<Emulator> {
  const config = readConfig(options);
  const faults = new FaultTable();
  for (const [endpoint, fault] of config.faults) faults.set(endpoint, fault);
  const ctx: Context = {
    config,
    state: new EmulatorState(config.identities),
    faults,
    keys: createSigningKey(config.signingKey ?? (await generateSigningKey())),
    issuer: '',
    apiUrl: '',
  };
  const signin = new EmulatorServer('signin', SIGNIN_ROUTES, ctx);
  const api = new EmulatorServer('api', API_ROUTES, ctx);
  try {
    const scheme = config.tls ? 'https' : 'http';
    ctx.issuer = baseUrl(scheme, config.host, await signin.listen(config.signinPort, config.host));
    ctx.apiUrl = baseUrl(scheme, config.host, await api.listen(config.apiPort, config.host));
  } catch (err) {
    await Promise.all([signin.close(), api.close()]);
    throw err;
  }
  return new RunningEmulator(ctx, config, [signin, api]);
}

/** The properties of an {@link EmulatorIdentity}. */
const IDENTITY_KEYS: readonly (keyof EmulatorIdentity)[] = ['id', 'email', 'phoneNumber', 'name'];

/** `http://host:port` (or `https:`), with an IPv6 host in brackets. */
function baseUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

class RunningEmulator implements Emulator {
  readonly issuer: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;

  constructor(
    private readonly ctx: Context,
    config: EmulatorConfig,
    private readonly servers: readonly EmulatorServer[],
  ) {
    this.issuer = ctx.issuer;
    this.apiUrl = ctx.apiUrl;
    this.clientId = config.clientId;
    this.clientSecret = config.clientSecret;
  }

  reports(): ReceivedReport[] {
    return this.ctx.state.reports();
  }

  clearReports(): void {
    this.ctx.state.clearReports();
  }

  setFault(endpoint: EmulatorEndpoint, fault: Fault | undefined): void {
    if (!isEndpoint(endpoint)) throw invalidArgument(`setFault: unknown endpoint (known: ${ENDPOINTS.join(', ')})`);
    if (fault === undefined) {
      this.ctx.faults.set(endpoint, undefined);
      return;
    }
    const checked = checkFault(fault, endpoint);
    if (!checked.ok) throw invalidArgument(`setFault: ${checked.problem}`);
    this.ctx.faults.set(endpoint, checked.fault);
  }

  clearFaults(): void {
    this.ctx.faults.clear();
  }

  aliasOf(sub: string): string | undefined {
    return this.ctx.state.user(sub)?.alias;
  }

  subOf(identityId: string): string | undefined {
    return this.ctx.state.subOf(identityId);
  }

  setAlias(sub: string, alias: string | undefined): void {
    const user = this.ctx.state.user(sub);
    if (user === undefined) throw invalidArgument('setAlias: unknown sub');
    if (alias !== undefined && (typeof alias !== 'string' || alias === '')) {
      throw invalidArgument('setAlias: alias must be a non-empty string or undefined');
    }
    this.ctx.state.setAlias(user, alias);
    const now = Math.floor(this.ctx.config.now() / 1000);
    if (alias === undefined) {
      this.ctx.state.unbindDevices(user);
    } else {
      this.ctx.state.confirm(user, now);
      this.ctx.state.bindDevice(user, DEFAULT_DEVICE, now);
    }
  }

  addIdentity(identity: EmulatorIdentity): string {
    if (identity === null || typeof identity !== 'object' || Array.isArray(identity)) {
      throw invalidArgument('addIdentity: identity must be an object such as { id: "carol" }');
    }
    const unknown = Object.keys(identity).find((key) => !IDENTITY_KEYS.includes(key as keyof EmulatorIdentity));
    if (unknown !== undefined) throw invalidArgument(`addIdentity: unknown property (known: ${IDENTITY_KEYS.join(', ')})`);
    if (!isIdentityId(identity.id)) {
      throw invalidArgument('addIdentity: id must be 1 to 64 letters, digits, ".", "_" or "-", and not "new" or "cancel"');
    }
    if (this.ctx.state.identity(identity.id) !== undefined) throw invalidArgument(`addIdentity: the id "${identity.id}" is taken`);
    const copy: EmulatorIdentity = { id: identity.id };
    for (const key of ['email', 'phoneNumber', 'name'] as const) {
      const value: unknown = identity[key];
      if (value === undefined) continue;
      if (typeof value !== 'string') throw invalidArgument(`addIdentity: ${key} must be a string`);
      copy[key] = value;
    }
    return this.ctx.state.createIdentity(copy).sub;
  }

  expireAccessTokens(): void {
    this.ctx.state.expireSessions();
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.close()));
  }
}
