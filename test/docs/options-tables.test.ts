/**
 * The options tables of docs/options.md and the error table of docs/errors.md against the code's
 * own data, so they cannot drift (no source text is read): each factory declares its options once, as
 * a schema (`src/internal/option-schema.ts`), and from it come the options type, the unknown-key check
 * and this table:
 *
 * - names: the first column lists exactly the schema's options, each once;
 * - defaults: the Default column shows each option's default as its rule states it (`rule.shown`);
 * - errors: docs/errors.md lists every code of ErrorCode once, each with what to do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIRM_OPTIONS } from '../../src/confirm/confirm-options.js';
import { ErrorCode } from '../../src/errors.js';
import { type OptionSchema, shownDefaults } from '../../src/internal/option-schema.js';
import { STRATEGY_OPTIONS } from '../../src/passport/bind-id-strategy-options.js';
import { LOCAL_STRATEGY_OPTIONS } from '../../src/passport/local-strategy.js';
import { ROUTER_OPTIONS } from '../../src/router/router-options.js';

const root = join(__dirname, '..', '..');
const OPTIONS_DOC = 'docs/options.md';
const ERRORS_DOC = 'docs/errors.md';
const optionsDoc = readFileSync(join(root, OPTIONS_DOC), 'utf8');
const errorsDoc = readFileSync(join(root, ERRORS_DOC), 'utf8');

const TABLES: Array<{ heading: string; schema: OptionSchema }> = [
  { heading: '### `bindIdRouter(options)`', schema: ROUTER_OPTIONS },
  { heading: '### `new BindIdStrategy(options)`', schema: STRATEGY_OPTIONS },
  { heading: '### `sendAuthenticationPerformed(options)`', schema: CONFIRM_OPTIONS },
  { heading: '### `createLocalStrategy(options)`', schema: LOCAL_STRATEGY_OPTIONS },
];

interface Row {
  names: string[];
  default: string;
}

/** The rows of the first table after `heading`: option names (backticked, comma-separated) and the Default cell. */
function readTable(markdown: string, heading: string): Row[] {
  const lines = markdown.split('\n');
  const at = lines.indexOf(heading);
  if (at < 0) throw new Error(`${OPTIONS_DOC} has no heading ${heading}`);
  let i = at + 1;
  while (i < lines.length && !lines[i]?.startsWith('|')) {
    if (lines[i]?.startsWith('#')) throw new Error(`no table under ${heading}`);
    i++;
  }
  const table: string[][] = [];
  for (; i < lines.length && lines[i]?.startsWith('|'); i++) table.push(cells(lines[i] as string));
  const [header, , ...body] = table;
  const defaultColumn = header?.findIndex((c) => c.toLowerCase() === 'default') ?? -1;
  if (defaultColumn < 0) throw new Error(`the table under ${heading} has no Default column`);
  return body.map((row) => ({
    names: [...(row[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string),
    default: row[defaultColumn] ?? '',
  }));
}

/** Split a table row into trimmed cells, ignoring pipes inside code spans and escaped ones (`\|`). */
function cells(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let code = false;
  for (let i = 1; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && line[i + 1] === '|') {
      current += '|';
      i++;
    } else if (ch === '`') {
      code = !code;
      current += ch;
    } else if (ch === '|' && !code) {
      out.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  return out;
}

describe.each(TABLES)(`${OPTIONS_DOC} table $heading`, ({ heading, schema }) => {
  const rows = readTable(optionsDoc, heading);
  const documented = rows.flatMap((row) => row.names);
  const accepted = Object.keys(schema);

  it('lists every option the factory accepts (the keys of its schema), and no other, once each', () => {
    expect({
      missing: accepted.filter((name) => !documented.includes(name)),
      unknown: documented.filter((name) => !accepted.includes(name)),
      twice: documented.filter((name, i) => documented.indexOf(name) !== i),
    }).toEqual({ missing: [], unknown: [], twice: [] });
  });

  it("shows each option's default as its rule states it", () => {
    const shown = shownDefaults(schema);
    const wrong = rows.flatMap((row) => row.names.filter((name) => shown[name] !== undefined && shown[name] !== row.default).map((name) => [name, row.default, shown[name]]));
    expect(wrong).toEqual([]);
  });
});

describe(`${ERRORS_DOC}, the error table`, () => {
  const lines = errorsDoc.split('\n');
  const at = lines.indexOf('# Errors');
  const next = lines.findIndex((line, i) => i > at && /^#{1,2} /.test(line));
  const codes = lines
    .slice(at, next < 0 ? lines.length : next)
    .map((line) => /^\| `(ERR_BINDID_[A-Z_]+)` \|[^|]*\|\s*(.*?)\s*\|$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null);

  it('lists every error code of ErrorCode once, each with what it means or what to do', () => {
    expect(at).toBeGreaterThanOrEqual(0);
    const documented = codes.map((m) => m[1] as string);
    const all = Object.values(ErrorCode) as string[];
    expect({
      missing: all.filter((code) => !documented.includes(code)),
      twice: documented.filter((code, i) => documented.indexOf(code) !== i),
      unknown: documented.filter((code) => !all.includes(code)),
      unexplained: codes.filter((m) => (m[2] ?? '').length < 20).map((m) => m[1]),
    }).toEqual({ missing: [], twice: [], unknown: [], unexplained: [] });
  });
});

describe('the docs check itself', () => {
  it('reads names and the Default cell of a table, pipes in code spans included', () => {
    const markdown = ['### `f(options)`', '', '| Option | Type | Default | |', '|---|---|---|---|', '| `a`, `b` | `x \\| y` | `5000` | text |'].join('\n');
    expect(readTable(markdown, '### `f(options)`')).toEqual([{ names: ['a', 'b'], default: '`5000`' }]);
  });
});
