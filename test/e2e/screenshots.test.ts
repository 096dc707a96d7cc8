/**
 * `npm run test:e2e` leaves the tracked screenshots alone unless asked: without
 * `UPDATE_SCREENSHOTS=1` the browser test writes them under os.tmpdir(), outside the working tree.
 */
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** The harness's screenshot settings, loaded afresh with UPDATE_SCREENSHOTS set to `value`. */
function harnessWith(value: string | undefined): { SCREENSHOTS: string; TRACKED_SCREENSHOTS: string; ROOT: string } {
  const before = process.env.UPDATE_SCREENSHOTS;
  if (value === undefined) delete process.env.UPDATE_SCREENSHOTS;
  else process.env.UPDATE_SCREENSHOTS = value;
  try {
    let harness: { SCREENSHOTS: string; TRACKED_SCREENSHOTS: string; ROOT: string } | undefined;
    jest.isolateModules(() => {
      harness = require('./harness.js');
    });
    if (!harness) throw new Error('harness not loaded');
    return harness;
  } finally {
    if (before === undefined) delete process.env.UPDATE_SCREENSHOTS;
    else process.env.UPDATE_SCREENSHOTS = before;
  }
}

describe('where the browser test writes its screenshots', () => {
  it.each([[undefined], ['0'], ['true']])('UPDATE_SCREENSHOTS=%s: under os.tmpdir(), outside the repository', (value) => {
    const { SCREENSHOTS, ROOT } = harnessWith(value);
    expect(relative(tmpdir(), SCREENSHOTS).startsWith('..')).toBe(false);
    expect(relative(ROOT, SCREENSHOTS).startsWith('..')).toBe(true);
  });

  it('UPDATE_SCREENSHOTS=1: docs/screenshots, the tracked ones', () => {
    const { SCREENSHOTS, TRACKED_SCREENSHOTS, ROOT } = harnessWith('1');
    expect(SCREENSHOTS).toBe(TRACKED_SCREENSHOTS);
    expect(SCREENSHOTS).toBe(join(ROOT, 'docs/screenshots'));
  });
});
