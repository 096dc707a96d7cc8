/**
 * How the journey suites' emulators answer a repeated `authentication_performed`: `accept` (the
 * emulator's default) unless `EXPRESS_BINDID_TEST_REPEATED_AUTHENTICATION_PERFORMED=reject`, which
 * `npm run test:reject` sets (part of `npm run test:all`, hence CI): the same suites against a BindID
 * that refuses to set an alias twice, BindID's documented rule ("an alias can be set once") whose
 * real answer is unknown.
 */
import type { EmulatorOptions } from '../../src/emulator/index.js';

const VARIABLE = 'EXPRESS_BINDID_TEST_REPEATED_AUTHENTICATION_PERFORMED';

/** The emulator options of the journey suites' mode. */
export function journeyEmulatorMode(): Pick<EmulatorOptions, 'repeatedAuthenticationPerformed'> {
  const mode = process.env[VARIABLE];
  if (mode === undefined || mode === '') return {};
  if (mode !== 'accept' && mode !== 'reject') throw new Error(`${VARIABLE} must be accept or reject (got ${JSON.stringify(mode)})`);
  return { repeatedAuthenticationPerformed: mode };
}
