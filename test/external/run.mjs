#!/usr/bin/env node
/**
 * The import matrix: install the packed package into tiny consumer projects, the way users get it,
 * and use it from each module system.
 *
 *   cjs          CommonJS JavaScript (require), on the lowest Express 4, express-session and
 *                passport the peer ranges allow; runs the whole BindID journey; runs the CLI bin.
 *   esm          ES module JavaScript (import), on Express 5.0.0; the journey again; require() and
 *                import() must give the same module.
 *   ts-nodenext  TypeScript, module nodenext, skipLibCheck off, Express 4 types: an ES module file
 *                and a .cts file, compiled by tsc and run; the declaration augmentations
 *                (req.session.bindid, optional req.bindid); the .cts again under module node16.
 *   ts-bundler   TypeScript, moduleResolution bundler (module preserve), Express 5 types;
 *                bundled with esbuild (the package inside the bundle) and run.
 *
 * And the test runners an app's own suite uses, each with no configuration about express-bindid
 * (no transform, no flag), testing the same small app (testing-app.cjs, or its ESM and TypeScript
 * twins) through the whole journey with express-bindid/testing: new user → wrong password (no
 * report) → right password (one report) → returning user straight in → BindID down (503):
 *   jest-cjs     JavaScript, Jest without any config; its test is the "Testing your app" block of
 *                docs/testing.md, extracted at run time (so the docs cannot drift from what runs);
 *   jest-ts      TypeScript with ts-jest's preset (CommonJS), types checked by ts-jest;
 *   vitest       ES modules, Vitest without a config file;
 *   node-test    CommonJS, `node --test`.
 *
 * The import consumers print the BindID header of a known vector; every consumer must exit 0. Usage:
 *   node test/external/run.mjs [consumer...]     (KEEP=1 keeps the temporary directory,
 *                                                TARBALL=<file> installs that package instead)
 * Needs the npm registry (for express and friends); npm's cache is shared between consumers.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
/** `authorizationHeader('s3cr3t', 'at_1')`, from test/fixtures/authorization-header.tsv. */
const HEADER = 'BindIdBackend AccessToken at_1; KR2iwnojK0BEWr7i0/0dCZG2MtULYyPOTbDDbXWpSKs=';

/** What each consumer does after its install: commands (`run`, or `parallel` ones), an esbuild `bundle`. */
const CONSUMERS = {
  cjs: {
    shared: ['journey.cjs'],
    steps: [
      { run: ['node', 'index.js'], prints: [HEADER, 'journey ok'] },
      { run: ['node_modules/.bin/bindid-emulator', '--help'], prints: ['Usage: bindid-emulator [options]'] },
    ],
  },
  esm: {
    shared: ['journey.cjs'],
    steps: [{ run: ['node', 'index.js'], prints: [HEADER, 'journey ok'] }],
  },
  'ts-nodenext': {
    steps: [
      { parallel: [['node', tsc, '-p', 'tsconfig.json'], ['node', tsc, '-p', 'tsconfig.node16.json']] },
      { run: ['node', 'dist/esm.js'], prints: [HEADER, 'esm ok'] },
      { run: ['node', 'dist/cjs.cjs'], prints: [HEADER, 'cjs ok'] },
    ],
  },
  'ts-bundler': {
    steps: [
      { run: ['node', tsc, '-p', 'tsconfig.json'] },
      { bundle: { entry: 'index.ts', out: 'out/bundle.mjs' } },
      { run: ['node', 'out/bundle.mjs'], prints: [HEADER, 'bundler ok'] },
    ],
  },
  'jest-cjs': {
    shared: [['testing-app.cjs', 'app.js']],
    readme: 'app.test.js',
    steps: [{ run: ['node', 'node_modules/jest/bin/jest.js', '--ci'], reports: /^Tests: +(\d+) passed, \1 total$/m }],
  },
  'jest-ts': {
    steps: [{ run: ['node', 'node_modules/jest/bin/jest.js', '--ci'], reports: /^Tests: +(\d+) passed, \1 total$/m }],
  },
  vitest: {
    steps: [{ run: ['node', 'node_modules/vitest/vitest.mjs', 'run'], reports: /Tests +(\d+) passed \(\1\)/ }],
  },
  'node-test': {
    shared: [['testing-app.cjs', 'app.js']],
    steps: [{ run: ['node', '--test'], reports: /^# pass [1-9]\d*$[\s\S]*^# fail 0$/m }],
  },
};

/**
 * The code block of docs/testing.md ("Testing your app", linked from the README) whose first line is
 * `// <name>`: the test a user would copy, run as it is written.
 */
function readmeBlock(name) {
  const doc = readFileSync(join(repo, 'docs', 'testing.md'), 'utf8');
  const section = doc.split(/^#{1,2} /m).find((part) => part.startsWith('Testing your app'));
  const block = section && [...section.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]).find((code) => code.startsWith(`// ${name}\n`));
  if (!block) throw new Error(`docs/testing.md: no \`\`\`js block starting with "// ${name}" in the "Testing your app" section`);
  return block;
}

/** Run a command; resolve with its exit code and output (stdout and stderr, in order). */
function exec(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? signal, stdout, output }));
  });
}

/** Bundle `entry` for Node with esbuild (from the repo's dev tree), the package itself included. */
async function bundle(cwd, { entry, out }) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    absWorkingDir: cwd,
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    // CommonJS dependencies (express, axios...) inside an ESM bundle call require() for built-ins.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}

async function consumer(name, work, tarball) {
  const spec = CONSUMERS[name];
  const dir = join(work, name);
  cpSync(join(here, name), dir, { recursive: true });
  for (const file of spec.shared ?? []) {
    const [from, to] = Array.isArray(file) ? file : [file, file];
    cpSync(join(here, from), join(dir, to));
  }
  if (spec.readme) writeFileSync(join(dir, spec.readme), readmeBlock(spec.readme));
  const started = Date.now();
  const log = [];
  const fail = (what, result) => {
    throw new Error(`${name}: ${what}\n${log.join('\n')}\n--- output ---\n${result?.output ?? ''}`);
  };

  const install = ['install', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', '--loglevel=error', tarball];
  const installed = await exec('npm', install, dir);
  log.push(`$ npm ${install.join(' ')} -> ${installed.code}`);
  if (installed.code !== 0) fail('npm install failed', installed);

  for (const step of spec.steps) {
    if (step.bundle) {
      try {
        await bundle(dir, step.bundle);
      } catch (err) {
        fail(`esbuild failed: ${err.message}`);
      }
      log.push(`bundled ${step.bundle.entry} -> ${step.bundle.out}`);
      continue;
    }
    const commands = step.parallel ?? [step.run];
    const results = await Promise.all(commands.map(([command, ...args]) => exec(command, args, dir)));
    for (const [i, result] of results.entries()) log.push(`$ ${commands[i].map((a) => a.replace(repo, '<repo>')).join(' ')} -> ${result.code}`);
    results.forEach((result, i) => {
      if (result.code !== 0) fail(`\`${commands[i].at(-1)}\` exited with ${result.code}`, result);
      for (const line of step.prints ?? []) {
        if (!result.stdout.split('\n').includes(line)) fail(`expected the line ${JSON.stringify(line)}`, result);
      }
      // A test runner must say it ran tests and all passed (exit 0 alone would let "no tests" through).
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the colours a runner may print.
      if (step.reports && !step.reports.test(result.output.replace(/\u001b\[[0-9;]*m/g, ''))) fail(`expected the runner's summary to match ${step.reports}`, result);
    });
  }
  log.push(`${Math.round((Date.now() - started) / 100) / 10} s in all`);
  return log;
}

async function main() {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !(name in CONSUMERS));
  if (unknown.length > 0) throw new Error(`unknown consumer(s): ${unknown.join(', ')} (known: ${Object.keys(CONSUMERS).join(', ')})`);
  const names = only.length > 0 ? only : Object.keys(CONSUMERS);

  const work = mkdtempSync(join(tmpdir(), 'express-bindid-external-'));
  const started = Date.now();
  let failed = false;
  try {
    // `npm pack` runs `prepare` (the build), as publishing does. TARBALL=<file> tries another
    // package instead (e.g. one packed from an older commit, to see what a consumer got before).
    let tarball = process.env.TARBALL;
    if (!tarball) {
      const packed = await exec('npm', ['pack', '--pack-destination', work, '--loglevel=error'], repo);
      if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.output}`);
      tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')));
    }
    console.log(`packed ${tarball}`);

    const results = await Promise.allSettled(names.map((name) => consumer(name, work, tarball)));
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        console.log(`ok   ${names[i]}\n${result.value.map((l) => `     ${l}`).join('\n')}`);
      } else {
        failed = true;
        console.error(`FAIL ${result.reason instanceof Error ? result.reason.message : result.reason}`);
      }
    });
  } finally {
    if (process.env.KEEP) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  console.log(`${failed ? 'import matrix FAILED' : 'import matrix passed'} (${names.length} consumers, ${Math.round((Date.now() - started) / 1000)} s)`);
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
