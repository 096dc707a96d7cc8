/**
 * Settings of the property and fuzz tests (fast-check): a fixed number of runs (`fuzzRuns`), or
 * time-boxed (`fuzzParameters`: fewer runs on a busy machine), and reproducible: every run starts from a fixed seed (test/setup/fast-check.ts; any
 * seed with `FC_SEED=<seed>`, a random one with `FC_SEED=random`); on a failure fast-check prints the
 * seed and the path of the counterexample; run again with `FC_SEED=<seed>` and `FC_PATH=<path>` to
 * replay exactly that input. `FC_RUNS=<n>` multiplies the number of runs (for a longer soak).
 *
 * ```ts
 * fc.assert(fc.property(arb, check), fuzzParameters(200, 5000));
 * ```
 *
 * @module
 */
import type fc from 'fast-check';

/**
 * `numRuns` runs (times `FC_RUNS`), stopped early without failing after `timeLimitMs`, with the seed
 * and path from `FC_SEED` / `FC_PATH` when set.
 */
export function fuzzParameters<T>(numRuns: number, timeLimitMs: number): fc.Parameters<T> {
  return {
    ...fuzzRuns<T>(numRuns),
    interruptAfterTimeLimit: timeLimitMs * positiveInteger(process.env.FC_RUNS, 1),
    markInterruptAsFailure: false,
  };
}

/**
 * Exactly `numRuns` runs (times `FC_RUNS`), never cut short: the same inputs, and the same checks,
 * however fast the machine is (choose `numRuns` so that they fit `npm test`). Seed and path as
 * {@link fuzzParameters}.
 */
export function fuzzRuns<T>(numRuns: number): fc.Parameters<T> {
  const parameters: fc.Parameters<T> = { numRuns: numRuns * positiveInteger(process.env.FC_RUNS, 1) };
  const seed = process.env.FC_SEED;
  if (seed !== undefined && seed !== '' && Number.isInteger(Number(seed))) parameters.seed = Number(seed);
  const path = process.env.FC_PATH;
  if (path !== undefined && path !== '') parameters.path = path;
  return parameters;
}

function positiveInteger(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : fallback;
}
