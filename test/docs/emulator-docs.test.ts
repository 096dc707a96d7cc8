/**
 * docs/emulator.md documents the emulator's whole API, so it cannot drift: the first column of each
 * of its tables lists exactly the members of the matching interface of src/emulator/types.ts (read
 * with the TypeScript parser), and the flags table lists exactly the flags of the CLI's usage text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { USAGE } from '../../src/emulator/cli-args.js';

const ROOT = join(__dirname, '../..');
const doc = readFileSync(join(ROOT, 'docs/emulator.md'), 'utf8').split('\n');

/** The names in the first column of the first table under `heading`: `reports()` → `reports`, `--port <n>` → `--port`. */
function firstColumn(heading: string): string[] {
  const at = doc.indexOf(heading);
  if (at < 0) throw new Error(`docs/emulator.md has no heading ${heading}`);
  let i = at + 1;
  while (i < doc.length && !doc[i]?.startsWith('|')) {
    if (doc[i]?.startsWith('#')) throw new Error(`no table under ${heading}`);
    i++;
  }
  const names: string[] = [];
  for (i += 2; i < doc.length && doc[i]?.startsWith('|'); i++) {
    const cell = /^\| `([^`]+)`/.exec(doc[i] ?? '');
    if (!cell) throw new Error(`docs/emulator.md:${i + 1}: the first cell is not a backticked name`);
    names.push((cell[1] as string).replace(/[ (].*$/, ''));
  }
  return names.sort();
}

const source = ts.createSourceFile('types.ts', readFileSync(join(ROOT, 'src/emulator/types.ts'), 'utf8'), ts.ScriptTarget.ES2022);

/** The member names of an interface of src/emulator/types.ts. */
function members(name: string): string[] {
  const node = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!node) throw new Error(`src/emulator/types.ts has no interface ${name}`);
  return node.members.map((m) => (m.name && ts.isIdentifier(m.name) ? m.name.text : '?')).sort();
}

describe('docs/emulator.md against the code', () => {
  it.each([
    ['## The `Emulator`', 'Emulator'],
    ['### `ReceivedReport`', 'ReceivedReport'],
    ['### Faults', 'Fault'],
    ['## `createEmulator(options)`', 'EmulatorOptions'],
  ])('the table under %s lists exactly the members of %s', (heading, name) => {
    expect(firstColumn(heading)).toEqual(members(name));
  });

  it('the flags table lists exactly the flags of `bindid-emulator --help`', () => {
    const flags = [...USAGE.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1] as string).sort();
    expect(flags.length).toBeGreaterThanOrEqual(9);
    expect(firstColumn('## The command line')).toEqual(flags);
  });
});
