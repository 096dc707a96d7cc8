// `npm run test:stress`: `npm test` while the machine is busy. Two CPU hogs (one per core of a 2-core
// machine) spin for the whole run, so a test that needs the machine to be fast fails here instead of
// in CI. `-- --runs 3` runs `npm test` three times in a row and stops at the first red run. Other
// arguments run Jest alone on them instead of the whole `npm test` (no build, no coverage), to try a
// few suites under load: `npm run test:stress -- --runs 5 test/feedback test/internal/diagnostics`.
//
// The hogs stop by themselves: each spins in 50 ms slices and exits when its parent is gone or when
// HOG_MAX_MINUTES (default 30) have passed, so an interrupted run never leaves them behind.
import { spawn, spawnSync } from 'node:child_process';

const HOG = `
  const end = Date.now() + Number(process.env.HOG_MAX_MINUTES || 30) * 60_000;
  const parent = process.ppid;
  function alive() { try { process.kill(parent, 0); return true; } catch { return false; } }
  function slice() {
    const stop = Date.now() + 50;
    let x = 0;
    while (Date.now() < stop) x += Math.sqrt(x + 1);
    if (Date.now() < end && alive()) setImmediate(slice); else process.exit(0);
  }
  process.on('disconnect', () => process.exit(0));
  slice();
`;

function parseArgs(argv) {
  const rest = [];
  let runs = 1;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i].startsWith('--runs=')) runs = Number(argv[i].slice('--runs='.length));
    else rest.push(argv[i]);
  }
  if (!Number.isInteger(runs) || runs < 1 || runs > 10) {
    console.error('test:stress: --runs takes a whole number from 1 to 10');
    process.exit(2);
  }
  return { runs, rest };
}

const { runs, rest } = parseArgs(process.argv.slice(2));
const hogCount = Number(process.env.STRESS_HOGS || 2);
const hogs = Array.from({ length: hogCount }, () =>
  spawn(process.execPath, ['-e', HOG], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] }),
);
const stopHogs = () => {
  for (const hog of hogs) hog.kill('SIGKILL');
};
process.on('exit', stopHogs);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopHogs();
    process.exit(130);
  });
}

const [command, args] = rest.length
  ? [process.execPath, ['node_modules/jest/bin/jest.js', ...rest]]
  : [process.platform === 'win32' ? 'npm.cmd' : 'npm', ['test']];
const what = rest.length ? `jest ${rest.join(' ')}` : 'npm test';
console.log(`test:stress: ${hogCount} CPU hogs running; ${what}, ${runs} time(s) in a row`);
for (let run = 1; run <= runs; run++) {
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`test:stress: run ${run} of ${runs} FAILED after ${seconds} s (with ${hogCount} CPU hogs)`);
    process.exit(result.status ?? 1);
  }
  console.log(`test:stress: run ${run} of ${runs} passed in ${seconds} s (with ${hogCount} CPU hogs)`);
}
console.log(`test:stress: ${runs} of ${runs} runs green under load`);
process.exit(0); // the hogs' IPC channels would keep this process alive; 'exit' stops them
