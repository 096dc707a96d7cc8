/**
 * Starting the bench's child processes (servers, probe) and calling them over IPC.
 *
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CallMessage, FromChild, ProcessStats } from './rpc.js';

/** A running child process. */
export interface Child {
  readonly name: string;
  /** What the child announced when ready (its URL...). */
  readonly info: Record<string, unknown>;
  /** Call one of its handlers. */
  call<T = unknown>(method: string, arg?: unknown): Promise<T>;
  /** Its {@link ProcessStats}. */
  stats(): Promise<ProcessStats>;
  /** Disconnect and wait for it to exit (killed after 5 s). */
  stop(): Promise<void>;
}

/** Options of {@link startChild}. */
export interface ChildOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** Start `bench/servers/<script>.ts` under tsx and wait for it to announce itself. */
export function startChild(name: string, script: string, options: ChildOptions = {}): Promise<Child> {
  const file = fileURLToPath(new URL(`../servers/${script}.ts`, import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.DEBUG; // debug output would be measured too
  const proc = fork(file, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within 60 s`)), 60_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      proc.kill();
      reject(err);
    };
    proc.once('error', fail);
    proc.once('exit', (code) => fail(new Error(`${name} exited with code ${code} before it was ready`)));
    proc.on('message', function onReady(raw) {
      const message = raw as FromChild;
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      proc.removeAllListeners('error');
      proc.off('message', onReady);
      resolve(wrap(name, proc, message.info));
    });
  });
}

function wrap(name: string, proc: ChildProcess, info: Record<string, unknown>): Child {
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let exited = false;
  proc.on('message', (raw) => {
    const message = raw as FromChild;
    if (message.type !== 'reply') return;
    const call = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) call?.reject(new Error(`${name}: ${message.error}`));
    else call?.resolve(message.result);
  });
  const exit = new Promise<void>((resolve) => {
    proc.once('exit', (code, signal) => {
      exited = true;
      for (const call of pending.values()) call.reject(new Error(`${name} exited (${code ?? signal})`));
      pending.clear();
      resolve();
    });
  });
  return {
    name,
    info,
    call<T>(method: string, arg?: unknown): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        proc.send({ type: 'call', id, method, arg } satisfies CallMessage);
      });
    },
    stats() {
      return this.call<ProcessStats>('stats');
    },
    async stop() {
      if (exited) return;
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.disconnect();
      await exit;
      clearTimeout(kill);
    },
  };
}
