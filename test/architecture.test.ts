/**
 * docs/architecture.md says what goes where; this suite keeps the tree to it: each folder of src/
 * imports only the folders its row allows (read from the table, so the doc and the check cannot
 * drift apart), no file outside the emulator passes ~350 lines, and no function passes ~80.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..');
const SRC = join(ROOT, 'src');
const MAX_FILE_LINES = 350;
const MAX_FUNCTION_LINES = 80;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `router`, `confirm`…, or `index`/`errors` for the two files at the root of src/. */
function unitOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes('/') ? (rel.split('/')[0] as string) : rel.replace(/\.(ts|js)$/, '');
}

/** The table of docs/architecture.md: unit → the units it may import. */
function allowedImports(): Map<string, Set<string>> {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const rows = new Map<string, Set<string>>();
  for (const line of doc.split('\n')) {
    const m = /^\| `src\/([a-z-]+)(?:\/|\.ts)` \|[^|]*\|([^|]*)\|$/.exec(line);
    if (!m) continue;
    const deps = [...(m[2] as string).matchAll(/`([a-z-]+)`/g)].map((d) => d[1] as string);
    rows.set(m[1] as string, new Set(deps));
  }
  return rows;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/\b(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => resolve(dirname(file), m[1] as string));
}

describe('the layout of src/ (docs/architecture.md)', () => {
  const files = sourceFiles(SRC);
  const allowed = allowedImports();

  it('has a row in docs/architecture.md for every folder and root file, and nothing else', () => {
    expect([...allowed.keys()].sort()).toEqual([...new Set(files.map(unitOf))].sort());
  });

  it('imports across folders only along the dependencies the table allows', () => {
    const breaches: string[] = [];
    for (const file of files) {
      const from = unitOf(file);
      for (const target of importsOf(file)) {
        const to = unitOf(target);
        if (to !== from && !allowed.get(from)?.has(to)) breaches.push(`${relative(ROOT, file)} imports ${to}`);
      }
    }
    expect(breaches).toEqual([]);
  });

  it(`keeps every file outside the emulator under ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .filter((file) => unitOf(file) !== 'emulator')
      .map((file) => ({ file: relative(ROOT, file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`keeps every function under ${MAX_FUNCTION_LINES} lines`, () => {
    const long: string[] = [];
    for (const file of files) {
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const first = sf.getLineAndCharacterOfPosition(node.getStart()).line;
          const last = sf.getLineAndCharacterOfPosition(node.end).line;
          if (last - first + 1 > MAX_FUNCTION_LINES) long.push(`${relative(ROOT, file)}:${first + 1} (${last - first + 1} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    expect(long).toEqual([]);
  });
});
