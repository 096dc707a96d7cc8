/**
 * The Jest test environment of `npm run test:mutation` (jest.mutation.config.js): Node's, plus two
 * things StrykerJS's Jest runner does not do for this suite.
 *
 * 1. Coverage of hooks and module loading. Stryker's per-test coverage charges a mutant to the test
 *    running when its code ran; code that runs while a test file loads or in a `beforeAll`/`afterAll`
 *    (an app, an emulator, a factory that reads its options) belongs to no test, so Stryker calls the
 *    mutant "static" and runs every test of every file for it (minutes each), or drops it from the
 *    score with `ignoreStatic`. During the dry run (perTest coverage, no active mutant) this
 *    environment charges that code to the tests that depend on it instead: what runs while the file
 *    loads to every test of the file, what runs in a `beforeAll`/`afterAll` to every test of its
 *    `describe` block (Jest runs a block's hooks only when one of its tests runs, so selecting those
 *    tests runs the hook again, with the mutant active). It also writes, for each mutant, the test
 *    files whose code reached it (MUTATION_COVERAGE_MAP, a JSON file): filter.cjs then gives Jest only
 *    those files for that mutant, instead of loading all ~110 of them.
 * 2. Bail. Stryker asks its runners to stop at the first failing test, which its Jest runner cannot
 *    do; here a mutant's remaining tests are skipped once one of them failed (the mutant is killed),
 *    and jest-circus-with-bail.cjs does not load its remaining files (bail.cjs: the shared state).
 *
 * Stryker's own environment (its mixin) wraps this one and still records per-test coverage; this one
 * only moves what the mixin left unattributed. With `coverageAnalysis: 'off'` Stryker does not wrap
 * it, nothing is recorded, and filter.cjs runs every file for every mutant.
 */
'use strict';
const fs = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');

const bail = require('./bail.cjs');

const LOAD = 'load';

/** mutant id → indexes into `testFiles`, for the whole dry run (one process runs it, in band). */
const coveringFiles = new Map();
const testFiles = [];
/** How long each of `testFiles` took in the dry run, in ms (sequencer.cjs runs the quickest first). */
const durations = [];

/**
 * The test id Stryker's mixin records coverage under: the names of the enclosing `describe` blocks and
 * the test, space-separated, leading spaces trimmed (its `fullName`, mixin-jest-environment.cjs).
 */
function blockName(block) {
  return block.parent ? `${blockName(block.parent)} ${block.name}`.trimStart() : '';
}

function fullName(test) {
  return `${blockName(test.parent)} ${test.name}`.trimStart();
}

function* testsOf(block) {
  for (const child of block.children) {
    if (child.type === 'describeBlock') yield* testsOf(child);
    else if (child.mode !== 'skip' && child.mode !== 'todo') yield child;
  }
}

function skipAll(block) {
  for (const test of testsOf(block)) test.mode = 'skip';
}

function addCounts(into, from) {
  for (const [id, count] of Object.entries(from)) into[id] = (into[id] ?? 0) + count;
}

function writeCoveringFiles() {
  const target = process.env.MUTATION_COVERAGE_MAP;
  if (!target) return;
  const mutants = Object.fromEntries(coveringFiles);
  fs.writeFileSync(`${target}.tmp`, JSON.stringify({ testFiles, durations, mutants }));
  fs.renameSync(`${target}.tmp`, target);
}

class MutationTestEnvironment extends TestEnvironment {
  #testPath;
  /** Set during the dry run only: Stryker's coverage context, the file's own coverage, the hook markers. */
  #context;
  #cumulative;
  #markers = new Map();
  #root;
  #started;

  constructor(config, context) {
    super(config, context);
    this.#testPath = context.testPath;
  }

  async handleTestEvent(event, state) {
    if (bail.activeMutant() !== undefined) {
      // Skipping every test not yet run also skips the `beforeAll` hooks of the blocks still to come
      // (Jest runs a block's hooks only when it has a test to run); jest-circus-with-bail.cjs does not
      // load the files after this one.
      if (event.name === 'test_start' && bail.isKilled()) event.test.mode = 'skip';
      if (event.name === 'test_done' && event.test.errors.length > 0) {
        bail.markKilled(this.#testPath);
        skipAll(state.rootDescribeBlock);
      }
      // A test failed, so the mutant is killed; what broke after it (an `afterAll` closing a server
      // its failed `beforeAll` never started) would make Jest report the file as a suite that failed
      // to run, which Stryker counts as an error instead of a kill.
      if (event.name === 'run_finish' && bail.isKilled()) state.unhandledErrors.length = 0;
      return;
    }
    if (event.name === 'setup') this.#startTracking();
    if (this.#context === undefined) return;
    if (event.name === 'run_start') this.#context.currentTestId = undefined;
    const hook = event.hook;
    if (hook && (hook.type === 'beforeAll' || hook.type === 'afterAll')) {
      if (event.name === 'hook_start') this.#context.currentTestId = this.#marker(hook.parent);
      else if (event.name === 'hook_success' || event.name === 'hook_failure') this.#context.currentTestId = undefined;
    }
    if (event.name === 'run_finish') this.#root = state.rootDescribeBlock;
  }

  async teardown() {
    if (this.#context !== undefined) this.#finishTracking();
    await super.teardown();
  }

  /** Dry run with per-test coverage: Stryker's mixin has put its context on the global. */
  #startTracking() {
    const context = this.global[this.global.__strykerGlobalNamespace__ ?? '__stryker__'];
    if (context === undefined || context === null || typeof context !== 'object') return;
    this.#context = context;
    this.#started = Date.now();
    this.#cumulative = context.mutantCoverage;
    context.mutantCoverage = { static: {}, perTest: {} };
    context.currentTestId = this.#marker(LOAD);
  }

  #marker(key) {
    let marker = this.#markers.get(key);
    if (marker === undefined) {
      marker = `\u0000mutation-environment ${this.#markers.size} ${this.#testPath}`;
      this.#markers.set(key, marker);
    }
    return marker;
  }

  /** Charge the markers' coverage to their tests, note the file for each mutant it reached, merge. */
  #finishTracking() {
    const context = this.#context;
    const own = context.mutantCoverage;
    context.currentTestId = undefined;
    for (const [key, marker] of this.#markers) {
      const counts = own.perTest[marker];
      delete own.perTest[marker];
      const block = key === LOAD ? this.#root : key;
      if (counts === undefined || block === undefined) {
        if (counts !== undefined) addCounts(own.static, counts);
        continue;
      }
      for (const test of testsOf(block)) {
        const id = fullName(test);
        own.perTest[id] ??= {};
        addCounts(own.perTest[id], counts);
      }
    }
    const reached = new Set(Object.keys(own.static));
    for (const counts of Object.values(own.perTest)) for (const id of Object.keys(counts)) reached.add(id);
    if (reached.size > 0) {
      const index = testFiles.push(this.#testPath) - 1;
      durations[index] = Date.now() - this.#started;
      for (const id of reached) {
        const files = coveringFiles.get(id) ?? [];
        files.push(index);
        coveringFiles.set(id, files);
      }
      writeCoveringFiles();
    }
    const cumulative = this.#cumulative ?? { static: {}, perTest: {} };
    addCounts(cumulative.static, own.static);
    for (const [id, counts] of Object.entries(own.perTest)) {
      cumulative.perTest[id] ??= {};
      addCounts(cumulative.perTest[id], counts);
    }
    context.mutantCoverage = cumulative;
    this.#context = undefined;
  }
}

module.exports = MutationTestEnvironment;
