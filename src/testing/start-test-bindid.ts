/**
 * `startTestBindId`: an emulator for one test file, registered for the app's redirect URI, with the
 * few controls an app's tests need (accepted reports, faults).
 *
 * @module
 */
import { invalidArgument } from '../errors.js';
import { createEmulator } from '../emulator/index.js';
import { ENDPOINTS, isEndpoint, MAX_DELAY_MS } from '../emulator/faults.js';
import type { Emulator, EmulatorEndpoint, Fault, ReceivedReport } from '../emulator/types.js';
import { describeType } from '../internal/describe-type.js';
import { isLoopback } from '../internal/is-loopback.js';
import { OptionReader } from '../internal/option-reader.js';
import type {
  TestBindId,
  TestBindIdCredentials,
  TestBindIdFaultKind,
  TestBindIdFaultOptions,
  TestBindIdOptions,
} from './types.js';

const KNOWN = { redirectUri: true, emulator: true } as const;
const FAULT_KINDS: readonly TestBindIdFaultKind[] = ['down', 'slow', 'unauthorized'];
/** Default wait of a `'slow'` fault, in ms. */
export const DEFAULT_SLOW_MS = 2000;

/**
 * Start a local BindID (the emulator, on 127.0.0.1) for the app under test, with `redirectUri`
 * registered. Start one per test file (`beforeAll`) and close it after (`afterAll`).
 *
 * ```ts
 * const bindid = await startTestBindId({ redirectUri: 'http://localhost:3000/bindid/callback' });
 * const app = createApp({ ...bindid.options, baseUrl: 'http://localhost:3000' });
 * // ... signInWithBindId(request.agent(app), bindid) ...
 * await bindid.close();
 * ```
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_OPTION` (a rejection) for a missing or bad
 *   `redirectUri`, an `emulator.redirectUris`, a non-loopback `emulator.host` or another bad emulator option.
 */
export async function startTestBindId(options: TestBindIdOptions): Promise<TestBindId> {
  const o = new OptionReader('startTestBindId', options, KNOWN);
  const redirectUri = readRedirectUri(o);
  const emulatorOptions = o.raw('emulator') ?? {};
  if (emulatorOptions === null || typeof emulatorOptions !== 'object' || Array.isArray(emulatorOptions)) {
    throw o.error('emulator', `must be an object of emulator options (got ${describeType(emulatorOptions)})`);
  }
  if ('redirectUris' in emulatorOptions) {
    throw o.error('emulator.redirectUris', 'is set by startTestBindId from `redirectUri`: leave it out');
  }
  // Checked before anything listens: a test BindID never opens a port off the machine, not even briefly.
  const host = (emulatorOptions as { host?: unknown }).host;
  if (host !== undefined && !(typeof host === 'string' && isLoopbackHost(host))) throw notLoopback(o);
  const emulator = await o.within('emulator', () => createEmulator({ ...emulatorOptions, redirectUris: [redirectUri] }));
  if (!isLoopback(new URL(emulator.issuer).hostname)) {
    await emulator.close();
    throw notLoopback(o);
  }
  return new RunningTestBindId(emulator, redirectUri);
}

/** A listening host that is loopback: `localhost`, `127.x.x.x`, `::1` (bracketed or not). */
function isLoopbackHost(host: string): boolean {
  return host === '::1' || isLoopback(host);
}

function notLoopback(o: OptionReader): Error {
  return o.error('emulator.host', 'must be a loopback interface (127.0.0.1, ::1 or localhost): a test BindID never leaves the machine');
}

function readRedirectUri(o: OptionReader): string {
  const value = o.requiredString('redirectUri', 'http://localhost:3000/bindid/callback');
  const example = "an absolute http(s) URL, your app's callback such as http://localhost:3000/bindid/callback";
  if (!URL.canParse(value)) throw o.error('redirectUri', `must be ${example}`);
  const url = new URL(value);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || value.includes('#')) {
    throw o.error('redirectUri', `must be ${example}, without a fragment`);
  }
  return value;
}

class RunningTestBindId implements TestBindId {
  readonly issuer: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly options: Readonly<TestBindIdCredentials>;

  constructor(
    readonly emulator: Emulator,
    readonly redirectUri: string,
  ) {
    this.issuer = emulator.issuer;
    this.apiUrl = emulator.apiUrl;
    this.clientId = emulator.clientId;
    this.clientSecret = emulator.clientSecret;
    this.options = Object.freeze({ issuer: this.issuer, apiUrl: this.apiUrl, clientId: this.clientId, clientSecret: this.clientSecret });
  }

  reports(): ReceivedReport[] {
    return this.emulator.reports().filter((report) => report.accepted);
  }

  clearReports(): void {
    this.emulator.clearReports();
  }

  fail(kind: TestBindIdFaultKind, options: TestBindIdFaultOptions = {}): void {
    if (!FAULT_KINDS.includes(kind)) {
      throw invalidArgument(`fail(): kind must be one of ${FAULT_KINDS.map((k) => `'${k}'`).join(', ')} (got ${describeType(kind)})`);
    }
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw invalidArgument(`fail(): options must be an object such as { endpoint: 'token' } (got ${describeType(options)})`);
    }
    const unknown = Object.keys(options).find((key) => key !== 'endpoint' && key !== 'delayMs');
    if (unknown !== undefined) throw invalidArgument('fail(): options take only `endpoint` and `delayMs`');
    const endpoint: EmulatorEndpoint = options.endpoint ?? 'session-feedback';
    if (!isEndpoint(endpoint)) throw invalidArgument(`fail(): options.endpoint must be one of ${ENDPOINTS.join(', ')}`);
    const { delayMs } = options;
    if (delayMs !== undefined && kind !== 'slow') throw invalidArgument("fail(): options.delayMs is only for 'slow'");
    if (delayMs !== undefined && (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS)) {
      throw invalidArgument(`fail(): options.delayMs must be a whole number of ms from 0 to ${MAX_DELAY_MS}`);
    }
    const fault: Fault =
      kind === 'down' ? { status: 503 } : kind === 'unauthorized' ? { status: 401 } : { delayMs: delayMs ?? DEFAULT_SLOW_MS };
    this.emulator.setFault(endpoint, fault);
  }

  recover(): void {
    this.emulator.clearFaults();
  }

  close(): Promise<void> {
    return this.emulator.close();
  }
}
