/**
 * `express-bindid/doctor`: what `npx bindid-doctor` runs, for code (docs/doctor.md).
 *
 * @module express-bindid/doctor
 */
export { checkBindIdSetup } from './check-bindid-setup.js';
export type { BindIdSetupCheck, BindIdSetupCheckId, BindIdSetupOptions, BindIdSetupReport } from './types.js';
