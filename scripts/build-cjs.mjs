// The JavaScript of the package: one CommonJS build, and ES module entry points that re-export it.
//
//   dist/cjs/**/*.js           every src/ file compiled to CommonJS on its own (esbuild, no
//                              bundling of our code: one module per source file, readable stack
//                              traces), with dist/cjs/package.json saying "type": "commonjs";
//   dist/cjs/vendor/<dep>.js   the ESM-only dependency (openid-client with oauth4webapi and the
//                              parts of jose it uses) bundled into one CommonJS file, its first
//                              line naming the three versions, with their licences next to it;
//   dist/<entry>.js            for each `exports` entry, an ES module that imports the CommonJS
//                              entry and re-exports its names.
//
// Why: Jest's module loader (and ts-jest, and any CommonJS tool without require(esm)) cannot load
// ESM-only packages before Node 24.9, so `require('express-bindid')` must not reach one. ESM
// consumers go through the same CommonJS modules, so `import` and `require` give the very same
// objects (no dual-package hazard: one BindIdError class, one MemoryBindIdStore). The trade-offs
// are in docs/architecture.md ("Module format").
//
// Usage: node scripts/build-cjs.mjs [dist]     (after tsc wrote the declarations)
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, process.argv[2] ?? 'dist');
const cjs = join(dist, 'cjs');
const require = createRequire(import.meta.url);

/** The ESM-only dependencies and the vendor file each becomes. */
export const VENDORED = ['openid-client'];

/** The packages inside a vendored bundle (named with their versions in its first line). */
const INSIDE = { 'openid-client': ['oauth4webapi', 'jose'] };

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const target = 'node20';

await buildVendor();
const sources = listSources(join(root, 'src'));
await build({
  entryPoints: sources,
  outbase: join(root, 'src'),
  outdir: cjs,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target,
  logLevel: 'warning',
  plugins: [keepModulesApart()],
});
writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
for (const entry of esmEntries()) writeWrapper(entry);

/** Every .ts file under `dir` (no declarations). */
function listSources(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * Per-file output: a relative import stays a `require` of the sibling module; a vendored package
 * becomes a `require` of its bundle in dist/cjs/vendor; every other package stays external.
 */
function keepModulesApart() {
  return {
    name: 'keep-modules-apart',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (args.path.startsWith('.')) return { path: args.path, external: true };
        if (VENDORED.includes(args.path)) {
          const from = dirname(join(cjs, relative(join(root, 'src'), args.importer)));
          let path = relative(from, join(cjs, 'vendor', `${args.path}.js`)).split(sep).join(posix.sep);
          if (!path.startsWith('.')) path = `./${path}`;
          return { path, external: true };
        }
        return { path: args.path, external: true };
      });
    },
  };
}

/** One CommonJS bundle per vendored package, from the version in node_modules, licence alongside. */
async function buildVendor() {
  for (const name of VENDORED) {
    const dir = dirname(require.resolve(`${name}/package.json`));
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const inside = (INSIDE[name] ?? []).map((dep) => `${dep}@${versionFrom(dep, dir)}`);
    await build({
      stdin: { contents: `export * from '${name}';`, resolveDir: root, loader: 'js' },
      outfile: join(cjs, 'vendor', `${name}.js`),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target,
      legalComments: 'eof',
      banner: {
        js: `// ${[`${name}@${version}`, ...inside].join(', ')}, bundled by express-bindid (scripts/build-cjs.mjs); licences: ./LICENSE-*.md`,
      },
      logLevel: 'warning',
    });
    copyFileSync(join(dir, 'LICENSE.md'), join(cjs, 'vendor', `LICENSE-${name}.md`));
    // The packages inside the bundle: their licences travel too.
    for (const dep of INSIDE[name] ?? []) {
      copyFileSync(join(packageDir(dep, dir), 'LICENSE.md'), join(cjs, 'vendor', `LICENSE-${dep}.md`));
    }
  }
}

/** The folder of `dep` as `from` resolves it (the copy the bundler takes). */
function packageDir(dep, from) {
  return dirname(require.resolve(`${dep}/package.json`, { paths: [from] }));
}

function versionFrom(dep, from) {
  return JSON.parse(readFileSync(join(packageDir(dep, from), 'package.json'), 'utf8')).version;
}

/** The `exports` entries' ES module files (`./dist/x/index.js` → `x/index`). */
function esmEntries() {
  return Object.values(pkg.exports)
    .map((target) => (typeof target === 'object' ? target.import?.default : undefined))
    .filter((file) => typeof file === 'string')
    .map((file) => file.replace(/^\.\/dist\//, '').replace(/\.js$/, ''));
}

/** dist/<entry>.js: import the CommonJS module, re-export each of its names. */
function writeWrapper(entry) {
  const names = Object.keys(require(join(cjs, `${entry}.js`))).filter((n) => n !== '__esModule');
  const depth = entry.split('/').length - 1;
  const specifier = `${depth === 0 ? './' : '../'.repeat(depth)}cjs/${entry}.js`;
  const text = [
    '// The ES module entry: the CommonJS build is the one implementation (scripts/build-cjs.mjs).',
    `import cjs from '${specifier}';`,
    '',
    `export const { ${names.join(', ')} } = cjs;`,
    '',
  ].join('\n');
  mkdirSync(dirname(join(dist, `${entry}.js`)), { recursive: true });
  writeFileSync(join(dist, `${entry}.js`), text);
}
