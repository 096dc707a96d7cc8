/**
 * How busy the machine was apart from the bench: the CPU time all processes used (Linux
 * `/proc/stat`) minus what the bench's own processes used, over a stretch of wall time. Benchmarks on
 * a shared machine are only as good as this figure is small.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** `/proc/stat` counts in USER_HZ, which is 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** A reading of the machine's busy time and of the bench's own CPU time. */
export interface LoadMark {
  at: number;
  /** All processes' busy CPU time, s (undefined where /proc/stat cannot be read). */
  busy: number | undefined;
  /** The bench's processes' CPU time, s. */
  ours: number;
}

function busySeconds(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal ...
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Read the machine now; `oursMicros` is the CPU time of the bench's processes so far, µs. */
export function mark(oursMicros: number): LoadMark {
  return { at: performance.now(), busy: busySeconds(), ours: oursMicros / 1e6 };
}

/** CPUs' worth of work done by other processes between two marks (NaN when unknown). */
export function otherCpus(from: LoadMark, to: LoadMark): number {
  if (from.busy === undefined || to.busy === undefined) return Number.NaN;
  const wall = (to.at - from.at) / 1000;
  return Math.max(0, (to.busy - from.busy - (to.ours - from.ours)) / wall);
}
