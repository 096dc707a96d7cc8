/**
 * CPU pinning for the pass-through scenario (Linux `taskset`): the load generator (this process) on
 * one core and the app under test on the other, so that on 2 cores they stop taking turns on the
 * same one, which is most of the run-to-run spread. Every thread of the process is pinned (`-a`:
 * libuv's pool, V8's GC and compiler threads too). Where `taskset` is missing or the machine has
 * one CPU, nothing is pinned and the scenario says so.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** All CPUs, as taskset writes a list. */
export const ALL_CPUS = `0-${Math.max(0, os.availableParallelism() - 1)}`;

/** Whether pinning is possible here (taskset works and there are at least 2 CPUs). */
export function canPin(): boolean {
  if (os.platform() !== 'linux' || os.availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pin every thread of `pid` to `cpus` (a taskset list: `0`, `1`, `0-1`). */
export function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}
