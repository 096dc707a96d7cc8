/**
 * The built package as users load it: `require('express-bindid')` (CommonJS, through Node's
 * require(esm)) and `import('express-bindid')` both resolve through the package's own `exports`
 * map (self-reference) to dist/. `npm test` builds dist before Jest runs.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..');
const HEADER = 'BindIdBackend AccessToken at_1; KR2iwnojK0BEWr7i0/0dCZG2MtULYyPOTbDDbXWpSKs=';

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('the built package', () => {
  it("require('express-bindid') prints the header", () => {
    expect(node(['-e', "const b = require('express-bindid'); console.log(b.authorizationHeader('s3cr3t', 'at_1'))"])).toBe(HEADER);
  });

  it("import('express-bindid') prints the header", () => {
    expect(
      node(['--input-type=module', '-e', "const b = await import('express-bindid'); console.log(b.authorizationHeader('s3cr3t', 'at_1'))"]),
    ).toBe(HEADER);
  });

  it('exports the same names through require and import', () => {
    const names = node([
      '--input-type=module',
      '-e',
      "import { createRequire } from 'node:module'; const r = Object.keys(createRequire(import.meta.url)('express-bindid')).sort().join(); const i = Object.keys(await import('express-bindid')).sort().join(); console.log(r === i, r.split(',').length)",
    ]);
    expect(names).toMatch(/^true \d+$/);
  });
});
