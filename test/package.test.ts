/**
 * The built package as users load it: `require('express-bindid')` (the CommonJS build) and
 * `import('express-bindid')` (ES module entry points over it) both resolve through the package's own
 * `exports` map (self-reference) to dist/. `npm test` builds dist before Jest runs. The layout and its
 * trade-offs: docs/architecture.md, "Module format".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');
const HEADER = 'BindIdBackend AccessToken at_1; KR2iwnojK0BEWr7i0/0dCZG2MtULYyPOTbDDbXWpSKs=';

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('the built package', () => {
  it("require('express-bindid') prints the header", () => {
    expect(node(['-e', "const b = require('express-bindid/protocol'); console.log(b.authorizationHeader('s3cr3t', 'at_1'))"])).toBe(HEADER);
  });

  it("import('express-bindid') prints the header", () => {
    expect(
      node(['--input-type=module', '-e', "const b = await import('express-bindid/protocol'); console.log(b.authorizationHeader('s3cr3t', 'at_1'))"]),
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

  it('gives the very same objects to require and import (one implementation, no dual-package hazard)', () => {
    const same = node([
      '--input-type=module',
      '-e',
      [
        "import { createRequire } from 'node:module';",
        'const r = createRequire(import.meta.url);',
        "const [root, emu] = [await import('express-bindid'), await import('express-bindid/emulator')];",
        "console.log(r('express-bindid').BindIdError === root.BindIdError, r('express-bindid/emulator').createEmulator === emu.createEmulator);",
      ].join(' '),
    ]);
    expect(same).toBe('true true');
  });

  // What Jest's module loader (before Node 24.9) and ts-jest see: require() that cannot load an ES module.
  it.each(['express-bindid', 'express-bindid/emulator'])('require(%j) works without require(esm) (as under Jest)', (name) => {
    const out = node(['--no-experimental-require-module', '-e', `console.log(typeof Object.keys(require(${JSON.stringify(name)}))[0])`]);
    expect(out).toBe('string');
  });

  // The bundle is built from node_modules; what it must hold is what the lock file pins (a stale
  // node_modules or dist, or a lock file updated without a rebuild, ships other code than reviewed).
  it.each(['openid-client', 'oauth4webapi', 'jose'])('the bundled %s is the version package-lock.json pins', (name) => {
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    const pinned = (lock.packages[`node_modules/openid-client/node_modules/${name}`] ?? lock.packages[`node_modules/${name}`]).version;
    const firstLine = readFileSync(path.join(root, 'dist', 'cjs', 'vendor', 'openid-client.js'), 'utf8').split('\n', 1)[0];
    expect(firstLine).toMatch(new RegExp(`[ ,]${name}@${pinned.replaceAll('.', '\\.')},`));
  });
});

describe('what npm publishes', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const packed: string[] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }))[0].files.map(
    (f: { path: string }) => f.path,
  );

  it('has the metadata registries and users expect, and a LICENSE matching "license"', () => {
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/.+\.git$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs.url).toMatch(/^https:\/\//);
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
    expect(packed).toContain('LICENSE');
  });

  it('declares the type packages its declarations import as optional peers', () => {
    for (const name of ['@types/express', '@types/express-session', '@types/passport', '@types/passport-local']) {
      expect(pkg.peerDependencies[name]).toEqual(expect.any(String));
      expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
    }
  });

  it('ships the build, the docs and the bundled licences, without screenshots, source maps, sources or tests', () => {
    expect(packed.filter((f) => /\.(png|map)$/.test(f) || /^(src|test|bench|examples|scripts)\//.test(f))).toEqual([]);
    expect(packed).toEqual(expect.arrayContaining(['dist/cjs/index.js', 'dist/index.js', 'dist/index.d.cts', 'dist/cjs/vendor/LICENSE-openid-client.md']));
  });

  it('README images point at files in the repository (npm resolves them against `repository`)', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/\]\((docs\/screenshots\/[^)]+)\)/g)].map((m) => m[1] as string);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(() => readFileSync(path.join(root, image))).not.toThrow();
  });

  it('the README links only to files the package ships (its reference is in docs/, relative links)', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
    const targets = [...readme.matchAll(/(?<!!)\[[^\]]*\]\(([^)#\s]+)[^)]*\)/g)].map((m) => m[1] as string).filter((t) => !/^[a-z]+:/i.test(t));
    expect(targets.filter((t) => t.startsWith('docs/')).length).toBeGreaterThanOrEqual(10);
    expect(targets.filter((t) => !packed.includes(t))).toEqual([]);
  });

  it('the README says so, linking the repository, wherever it gives a command or path that only works in a clone', () => {
    const marker = 'clone of the [repository](https://github.com/express-bindid/express-bindid)';
    const sections = readFileSync(path.join(root, 'README.md'), 'utf8').split(/^(?=## )/m);
    const cloneOnly = /\bnpm (start|test|run \S+)|(?<![/\w])(examples|test|bench|scripts)\/[\w./-]+/;
    const unmarked = sections.filter((s) => cloneOnly.test(s.replace(/\(https?:[^)]*\)/g, '')) && !s.includes(marker));
    expect(unmarked.map((s) => s.split('\n')[0])).toEqual([]);
    expect(sections.filter((s) => s.includes(marker)).length).toBeGreaterThan(0);
  });
});

describe('the published declarations', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);

  /** Every bare specifier the declarations reachable from `entry` import (relative imports followed). */
  function reachableImports(entry: string): Set<string> {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      // Without comments: TSDoc examples import things too.
      const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      for (const [, spec] of text.matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)) {
        if (!spec) continue;
        if (spec.startsWith('.')) visit(path.join(path.dirname(file), spec.replace(/\.js$/, '.d.ts')));
        else bare.add(spec);
      }
    };
    visit(path.join(root, entry));
    return bare;
  }

  it.each(['dist/index.d.ts', 'dist/emulator/index.d.ts', 'dist/testing/index.d.ts'])(
    '%s reaches only Node, dependencies and peer dependencies (openid-client and jose are bundled, not installed)',
    (entry) => {
      const packages = [...reachableImports(entry)].map((spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]));
      const undeclared = packages.filter((name) => !name?.startsWith('node:') && !declared.has(name as string) && !declared.has(`@types/${name}`));
      expect(undeclared).toEqual([]);
    },
  );
});
