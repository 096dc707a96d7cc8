/**
 * StrykerJS (`npm run test:mutation`, scripts/mutation/run.mjs): mutation testing of the modules that
 * enforce a defence (issue 26), on Express 5, with the suites of jest.mutation.config.js.
 *
 * Calibration (docs/testing.md, "Contributing: mutation testing"): per-test coverage, with the code a
 * test file runs while loading or in a `beforeAll` charged to the tests that depend on it (Stryker
 * calls such mutants "static" and would run the whole suite for each, or drop them with
 * `ignoreStatic`), and each mutant run loading only the test files that reached the mutant
 * (scripts/mutation/environment.cjs and filter.cjs). Jest's findRelatedTests is off: it cannot follow
 * this project's `.js` → `.ts` imports and finds no test at all.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The defence scope, by concern. A `file:from-to` entry mutates those lines only, where most of the
 * file is not the defence; every other file is mutated whole. The order is the order of a run in steps
 * (`--concerns N`): concerns whose modules have their own unit suites first, those reached mostly
 * through whole app suites (minutes per mutant on a shared 2-core machine) last.
 */
export const DEFENCES = {
  'CSRF token and origin check': ['src/session/csrf.ts'],
  // finishAt: the redirect-time re-check of the session's returnTo (the rest of the file renders the page).
  returnTo: ['src/session/return-to.ts', 'src/router/router-responses.ts:48-52'],
  'HMAC and the exact header': ['src/feedback/signing.ts'],
  '4xx/5xx classification': ['src/feedback/classify-response.ts'],
  // escapeHtml (the rest of the file is the page's markup and text, which no mutator could un-escape).
  'HTML escaping': ['src/router/confirm-page.ts:80-83'],
  // SAFE_CODE, errorCodes, errorCode and safeCause; printable (the rest is the logger factory).
  redaction: ['src/errors.ts:190-218', 'src/internal/log.ts:9-14'],
  'session regeneration': ['src/session/regenerate-session.ts'],
  // The pair (the ID token's alias is the signed-in user's) and the fresh authentication (auth_time, the 10-minute age).
  'the unlink pair and fresh authentication': ['src/confirm/unlink-bindid.ts'],
  // Sealed (AES-256-GCM under an HKDF key, the name as associated data), opened, fresh; its cookie attributes.
  'the sealed transaction cookie': ['src/oidc/transaction-cookie.ts'],
  // consumeState (single use in the shared store) and matchState (this browser's state, before anything is consumed).
  'single-use state and claims': ['src/oidc/consume-state.ts', 'src/confirm/confirm-claim.ts', 'src/confirm/confirm-pending-login.ts'],
  'one identity ↔ one account': ['src/confirm/link-registry.ts'],
  // The lifetime in pendingLoginOf, then getPendingLogin through isPendingLogin's shape check: the expiry (the input checks are argument errors).
  'pending-login expiry': ['src/session/pending-login.ts:151-164', 'src/session/pending-login.ts:179-248'],
  // authorizationRequest (with an unlink's prompt=login, max_age=0) and the callback: state, nonce and PKCE sent, then expected back.
  'the nonce': ['src/oidc/bindid-oidc-client.ts:65-134'],
  // The ID token's RS256 signature (node:crypto) against the cached JWKS, and the JWKS request (#jwks).
  'the ID-token signature': ['src/oidc/id-token-signature.ts', 'src/oidc/bindid-oidc-client.ts:139-145'],
  // MemoryBindIdStore's atomic operations (add … setIf), #live and #put; failClosed.
  'fail-closed store errors and atomic operations': [
    'src/stores/bindid-store.ts:66-103',
    'src/stores/bindid-store.ts:190-206',
    'src/stores/bindid-store.ts:225-237',
  ],
  // OutboxWorker: the lease outliving a send (readLease), and the run (claim, re-read, remove, update under
  // the lease, dead-letter); MemoryBindIdStore's queue operations (add … remove, the lease holder), no longer queue-store.ts's.
  // Every range is whole functions (checked against their first and last lines when the ranges last moved).
  'outbox removal and lease ownership': [
    'src/fail-open/store-outbox.ts',
    'src/fail-open/outbox-worker.ts:85-96',
    'src/fail-open/outbox-worker.ts:195-275',
    'src/stores/bindid-store.ts:111-188',
  ],
  'attempt limits': ['src/confirm/attempt-guard.ts', 'src/passport/guarded-verify.ts'],
  // The binding cookie and its check (assertSameBrowser); SignInFlow#keep, which binds the transaction to it.
  'browser binding': ['src/session/browser-binding.ts', 'src/flow/sign-in-flow.ts:121-128'],
  // SignInFlow: complete (the state matched and the browser checked before the state is consumed) and
  // #signIn (the alias decides: refused, recognised, self-healed or pending); #keepPending (a new session
  // id, the binding carried on); selfHeal and settleHeal (no password only for a link the registry
  // confirms); finishUnlink (the user who started the unlink is still the one signed in).
  'the one sign-in flow': [
    'src/flow/sign-in-flow.ts:55-92',
    'src/flow/sign-in-flow.ts:102-115',
    'src/flow/self-heal.ts:16-72',
    'src/flow/unlink.ts:35-71',
  ],
};

/** Where the committed results live (the incremental file and the summary the fast check reads). */
export const REPORT_DIR = 'reports/mutation';

/** The fast check (`npm run test:mutation:check`) fails when the overall score is below this, in per cent. */
export const THRESHOLD = 95;

/**
 * How long an incremental `npm run test:mutation` takes after a one-line change, in minutes, on a
 * quiet 2-core machine: 1 min 47 s and 2 min 33 s measured, most of it the dry run of the whole suite,
 * which took 7 to 9 minutes when the machine was shared (docs/testing.md). The fast check quotes it.
 */
export const INCREMENTAL_MINUTES = 3;

// The map from mutant to test files (scripts/mutation/environment.cjs → filter.cjs): one per run, so a
// run never reads another's, outside the temp dir Stryker deletes. Set before Stryker starts its
// runners, which inherit it; scripts/mutation/run.mjs sets it itself and removes it afterwards.
process.env.MUTATION_COVERAGE_MAP ??= join(tmpdir(), `express-bindid-mutation-${process.pid}.json`);

const partial = process.env.MUTATION_FILES; // scripts/mutation/run.mjs --files: a calibration run

/**
 * The entries a run of the scope mutates: every concern, or the first MUTATION_CONCERNS of them
 * (`npm run test:mutation -- --concerns N`: a full run in steps on a slow machine, each step
 * incremental, so a later step, or the whole scope, tests only what earlier steps did not).
 */
export function scopeEntries(concerns = process.env.MUTATION_CONCERNS) {
  const all = Object.values(DEFENCES);
  const n = concerns === undefined || concerns === '' ? all.length : Number(concerns);
  if (!Number.isInteger(n) || n < 1 || n > all.length) throw new Error(`MUTATION_CONCERNS must be 1 to ${all.length}, not ${concerns}`);
  return all.slice(0, n).flat();
}

export default {
  testRunner: 'jest',
  // The text of debug log lines is not mutated (scripts/mutation/ignore-log-text.mjs says why).
  plugins: ['@stryker-mutator/jest-runner', './scripts/mutation/ignore-log-text.mjs'],
  ignorers: ['log-text'],
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  coverageAnalysis: process.env.MUTATION_COVERAGE ?? 'perTest',
  mutate: partial ? partial.split(',') : scopeEntries(),
  // A full run keeps its results: the next run tests only the mutants whose code or tests changed.
  incremental: !partial,
  incrementalFile: `${REPORT_DIR}/incremental.json`,
  reporters: ['json', 'progress-append-only'],
  // The full report (git-ignored): scripts/mutation/run.mjs summarises it into summary.json.
  // A calibration run's (one per coverage mode, so two can run side by side) is git-ignored too.
  jsonReporter: { fileName: `${REPORT_DIR}/${partial ? `partial-${process.env.MUTATION_COVERAGE ?? 'perTest'}` : 'mutation'}.json` },
  // Two runners on a shared 2-core machine; the dry run of the whole suite takes minutes there.
  concurrency: 2,
  dryRunTimeoutMinutes: 30,
  // A mutant times out after 3 × its tests' time in the dry run + 60 s. Stryker's 1.5 × + 20 s turned
  // survivors into timeouts when the load average swung between 15 and 27 on 2 cores.
  timeoutFactor: 3,
  timeoutMS: 60000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignoreStatic: false,
};
