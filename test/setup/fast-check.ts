/**
 * Every fast-check property of the suites runs from one fixed seed (deterministic: CI and a
 * developer see the same inputs), unless `FC_SEED` says otherwise: `FC_SEED=<n>` replays a seed
 * fast-check printed with a failure (`FC_PATH=<path>` too, through test/helpers/fuzz.ts), and
 * `FC_SEED=random` explores with a fresh random seed, printed on failure like any other.
 * Loaded for every suite by jest.config.js (`setupFilesAfterEnv`).
 */
import fc from 'fast-check';

/** The seed of every property run unless FC_SEED is set. */
export const DEFAULT_FC_SEED = 20_261_202;

const given = process.env.FC_SEED;
if (given !== 'random') {
  const seed = given !== undefined && given !== '' && Number.isInteger(Number(given)) ? Number(given) : DEFAULT_FC_SEED;
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
