/**
 * The parent side of the chaos run's BindID (`emulator-process.ts`): start it, collect every
 * session-feedback request it received, and drive its faults through its admin endpoint.
 *
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmulatorEndpoint, Fault } from '../../src/emulator/index.js';
import type { EmulatorEndpoints } from '../redis/instances.js';

/** One session-feedback request as the emulator answered it (no token, no HMAC). */
export interface SeenReport {
  at: number;
  status: number;
  accepted: boolean;
  alias?: string;
  sub?: string;
  type?: string;
  error?: string;
}

/** Every endpoint a fault can be set on. */
export const ENDPOINTS: readonly EmulatorEndpoint[] = ['discovery', 'jwks', 'authorize', 'token', 'userinfo', 'session-feedback'];

const SCRIPT = fileURLToPath(new URL('./emulator-process.ts', import.meta.url));

/** The emulator process. */
export class ChaosEmulator {
  readonly endpoints: EmulatorEndpoints;
  /** The `sub` of each identity (`chaos-<n>`). */
  readonly subs: Readonly<Record<string, string>>;
  /** Every session-feedback request received so far, oldest first. */
  readonly reports: SeenReport[] = [];
  readonly #proc: ChildProcess;
  readonly #exited: Promise<void>;

  private constructor(proc: ChildProcess, endpoints: EmulatorEndpoints, subs: Record<string, string>) {
    this.#proc = proc;
    this.endpoints = endpoints;
    this.subs = subs;
    this.#exited = new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    proc.on('message', (raw) => {
      const message = raw as { type?: string; reports?: SeenReport[] };
      if (message.type === 'reports' && message.reports) this.reports.push(...message.reports);
    });
  }

  /** Fork it with `users` identities; resolves once it listens. */
  static start(users: number, redirectUri: string): Promise<ChaosEmulator> {
    const env: NodeJS.ProcessEnv = { ...process.env, CHAOS_USERS: String(users), CHAOS_REDIRECT_URI: redirectUri };
    delete env.DEBUG;
    const proc = fork(SCRIPT, [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('the emulator did not start within 60 s')), 60_000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(err);
      };
      proc.once('error', fail);
      proc.once('exit', (code) => fail(new Error(`the emulator exited with code ${code} before it was ready`)));
      proc.once('message', (raw) => {
        const { issuer, apiUrl, clientId, clientSecret, subs } = raw as EmulatorEndpoints & { subs: Record<string, string> };
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        proc.removeAllListeners('error');
        resolve(new ChaosEmulator(proc, { issuer, apiUrl, clientId, clientSecret }, subs));
      });
    });
  }

  /** Set (or clear, with `null`) the fault of one endpoint, through `POST /__emulator/faults`. */
  async setFault(endpoint: EmulatorEndpoint, fault: Fault | null): Promise<void> {
    const res = await fetch(`${this.endpoints.apiUrl}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint, fault }),
    });
    if (res.status !== 200) throw new Error(`POST /__emulator/faults answered ${res.status}: ${await res.text()}`);
  }

  /** Clear the fault of every endpoint. */
  async clearFaults(): Promise<void> {
    for (const endpoint of ENDPOINTS) await this.setFault(endpoint, null);
  }

  /** Collect what the emulator received up to now. */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      const done = (raw: unknown) => {
        if ((raw as { type?: string }).type !== 'flushed') return;
        this.#proc.off('message', done);
        resolve();
      };
      this.#proc.on('message', done);
      this.#proc.send({ type: 'flush' });
    });
  }

  /** Close it (SIGKILL after 5 s) and wait for its exit. */
  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    const kill = setTimeout(() => this.#proc.kill('SIGKILL'), 5000);
    if (this.#proc.connected) this.#proc.disconnect();
    else this.#proc.kill('SIGKILL');
    await this.#exited;
    clearTimeout(kill);
  }
}
