// Give `require()` consumers CommonJS-flavoured declarations: copy every dist/**/*.d.ts to a .d.cts
// twin whose relative imports point at the other twins (`./x.js` -> `./x.cjs`).
//
// Why: `require('express-bindid')` loads the CommonJS build, which is the implementation
// (dist/cjs, openid-client bundled inside it; docs/architecture.md, "Module format"), not the ES
// module entry points through Node's require(esm). The `.d.ts` files sit in a "type": "module"
// package, so TypeScript reads them as ES modules, and a CommonJS file importing them gets TS1479
// (unless TypeScript models require(esm): `module: nodenext` with TypeScript >= 5.8). The `.d.cts`
// twins describe the same exports as a CommonJS module, which is what `require` gets. package.json
// `exports` points the `require` condition's `types` here.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? 'dist';

/** `from './x.js'`, `import('./x.js')` and `export * from '../x.js'`, relative specifiers only. */
const RELATIVE_JS = /(\bfrom\s+|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]*?)\.js\2/g;

let count = 0;
for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8')
    .replace(RELATIVE_JS, (_match, lead, quote, path) => `${lead}${quote}${path}.cjs${quote}`)
    // The source maps describe the .d.ts files (and are not published).
    .replace(/^\/\/# sourceMappingURL=.*$/m, '');
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), text);
  count++;
}
if (count === 0) {
  console.error(`cts-types: no .d.ts files under ${root}; run tsc first`);
  process.exit(1);
}
