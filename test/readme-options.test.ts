/**
 * The options tables of docs/options.md and the error table of docs/errors.md (both moved out of the
 * README) must match the code, so they cannot drift:
 *
 * - names: the first column of each table lists exactly the keys the factory accepts (its `KNOWN`
 *   map, which the compiler keeps complete against the options type);
 * - defaults: where the code reads an option with a literal default (`o.integer('retries', 2, ...)`,
 *   `o.string('scope', 'openid email')`, or a `DEFAULT_*` constant exported by the package), the
 *   doc's default column shows that literal, e.g. `2` or `'openid email'`;
 * - errors: docs/errors.md lists every code of ErrorCode once, each with what to do.
 *
 * Defaults are read from the source text of calls to the option getters listed in GETTERS. An
 * option whose documented default is a literal that the code does not show that way must be listed in
 * UNREADABLE_DEFAULTS with the reason, so a new one cannot slip by unchecked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIRM_OPTION_KEYS } from '../src/confirm/confirm-options.js';
import { FEEDBACK_CLIENT_OPTION_KEYS } from '../src/feedback/session-feedback-client.js';
import * as packageRoot from '../src/index.js';
import { DEFAULT_FAILURE_MESSAGE, LOCAL_STRATEGY_OPTION_KEYS } from '../src/passport/local-strategy.js';
import { DEFAULT_PENDING_TTL_SECONDS } from '../src/session/pending-login.js';
import { ROUTER_OPTION_KEYS } from '../src/router/bind-id-router.js';

/** The package root plus the named defaults the code reads its options with (not exported). */
const api = { ...packageRoot, DEFAULT_FAILURE_MESSAGE, DEFAULT_PENDING_TTL_SECONDS };

const root = join(__dirname, '..');
/** Where the options tables and the error table live. */
const OPTIONS_DOC = 'docs/options.md';
const ERRORS_DOC = 'docs/errors.md';
const optionsDoc = readFileSync(join(root, OPTIONS_DOC), 'utf8');
const errorsDoc = readFileSync(join(root, ERRORS_DOC), 'utf8');

/** Functions whose call `(…, 'option', default, …)` gives an option's default. */
const GETTERS = ['integer', 'string', 'boolean', 'oneOf', 'field'];

/** Documented literal defaults the source cannot show as a literal, with why. */
const UNREADABLE_DEFAULTS: Record<string, string> = {
  'sendAuthenticationPerformed.logIn': 'the default is passed in by the caller of readConfirmSettings (true for both factories)',
  'bindIdRouter.failureMode': "read for both factories in src/fail-open/failure-policy.ts: o.oneOf('failureMode', ['closed', 'open'], 'closed')",
  'sendAuthenticationPerformed.failureMode': "read for both factories in src/fail-open/failure-policy.ts: o.oneOf('failureMode', ['closed', 'open'], 'closed')",
};

const TABLES = [
  { heading: '### `bindIdRouter(options)`', factory: 'bindIdRouter', keys: ROUTER_OPTION_KEYS, source: 'src/router/router-options.ts src/flow/flow-options.ts' },
  {
    heading: '### `sendAuthenticationPerformed(options)`',
    factory: 'sendAuthenticationPerformed',
    keys: CONFIRM_OPTION_KEYS,
    source: 'src/confirm/confirm-options.ts',
  },
  {
    heading: '### `createLocalStrategy(options)`',
    factory: 'createLocalStrategy',
    keys: LOCAL_STRATEGY_OPTION_KEYS,
    source: 'src/passport/local-strategy.ts',
  },
  {
    heading: '### `new SessionFeedbackClient(options)`',
    factory: 'SessionFeedbackClient',
    keys: FEEDBACK_CLIENT_OPTION_KEYS,
    source: 'src/feedback/session-feedback-client.ts',
  },
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

/** A default cell that is one literal in a code span (`5000`, `'/'`, `true`), as a value. */
function docLiteral(cell: string): string | number | boolean | undefined {
  const match = /^`([^`]+)`$/.exec(cell.trim());
  if (!match) return undefined;
  return parseLiteral(match[1] as string);
}

function parseLiteral(text: string): string | number | boolean | undefined {
  const t = text.trim();
  if (/^-?\d[\d_]*(\.\d+)?$/.test(t)) return Number(t.replaceAll('_', ''));
  if (t === 'true' || t === 'false') return t === 'true';
  const quoted = /^'((?:[^'\\]|\\.)*)'$/.exec(t) ?? /^"((?:[^"\\]|\\.)*)"$/.exec(t);
  if (quoted) return (quoted[1] as string).replace(/\\(.)/g, '$1');
  // A named default of the library, such as DEFAULT_PENDING_TTL_SECONDS.
  if (/^[A-Z][A-Z0-9_]+$/.test(t) && t in api) {
    const value = (api as Record<string, unknown>)[t];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  }
  return undefined;
}

/** The text of the space-separated source files (the router reads its own options and the flow's). */
function readSources(sources: string): string {
  return sources
    .split(' ')
    .map((source) => readFileSync(join(root, source), 'utf8'))
    .join('\n');
}

/** Literal defaults in `source`: `getter('option', <literal>` for the getters in GETTERS, top-level options only. */
function codeDefaults(source: string, options: readonly string[]): Map<string, string | number | boolean> {
  const out = new Map<string, string | number | boolean>();
  const call = new RegExp(`\\b(?:${GETTERS.join('|')})\\(\\s*'([A-Za-z]+)'\\s*,\\s*('(?:[^'\\\\]|\\\\.)*'|[\\w.]+)`, 'g');
  for (const [, name, expression] of source.matchAll(call)) {
    if (!name || !expression || !options.includes(name)) continue;
    const value = parseLiteral(expression);
    if (value !== undefined) out.set(name, value);
  }
  return out;
}

describe.each(TABLES)(`${OPTIONS_DOC} table $heading`, ({ heading, factory, keys, source }) => {
  const rows = readTable(optionsDoc, heading);
  const documented = rows.flatMap((row) => row.names);
  const accepted = Object.keys(keys);

  it('lists every option the code accepts', () => {
    const missing = accepted.filter((name) => !documented.includes(name));
    expect(missing.map((name) => `${factory}() option \`${name}\` is missing from the ${OPTIONS_DOC} table`)).toEqual([]);
  });

  it('lists only options the code accepts, once each', () => {
    const unknown = documented.filter((name) => !accepted.includes(name));
    const twice = documented.filter((name, i) => documented.indexOf(name) !== i);
    expect([
      ...unknown.map((name) => `${OPTIONS_DOC} lists \`${name}\`, which ${factory}() does not accept`),
      ...twice.map((name) => `${OPTIONS_DOC} lists \`${name}\` twice`),
    ]).toEqual([]);
  });

  it('shows the literal defaults of the code', () => {
    const defaults = codeDefaults(readSources(source), accepted);
    const problems: string[] = [];
    for (const row of rows) {
      for (const name of row.names) {
        const inDoc = docLiteral(row.default);
        const inCode = defaults.get(name);
        if (inCode !== undefined && inDoc !== inCode) {
          problems.push(`${factory}() option \`${name}\`: the code defaults to ${JSON.stringify(inCode)}, ${OPTIONS_DOC} says "${row.default}"`);
        } else if (inCode === undefined && inDoc !== undefined && !UNREADABLE_DEFAULTS[`${factory}.${name}`]) {
          problems.push(
            `${factory}() option \`${name}\`: ${OPTIONS_DOC} says "${row.default}" but ${source} shows no literal default ` +
              `(fix ${OPTIONS_DOC}, or add the option to UNREADABLE_DEFAULTS with the reason)`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe(`${ERRORS_DOC}, the error table`, () => {
  const lines = errorsDoc.split('\n');
  const at = lines.indexOf('# Errors');
  if (at < 0) throw new Error(`${ERRORS_DOC} has no heading # Errors`);
  const next = lines.findIndex((line, i) => i > at && /^#{1,2} /.test(line));
  const codes = lines
    .slice(at, next < 0 ? lines.length : next)
    .map((line) => /^\| `(ERR_BINDID_[A-Z_]+)` \|[^|]*\|\s*(.*?)\s*\|$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null);

  it('lists every error code of ErrorCode once, each with what it means or what to do', () => {
    const documented = codes.map((m) => m[1] as string);
    const problems = [
      ...Object.values(api.ErrorCode)
        .filter((code) => !documented.includes(code))
        .map((code) => `${code} is missing from the error table of ${ERRORS_DOC}`),
      ...documented.filter((code, i) => documented.indexOf(code) !== i).map((code) => `${code} is listed twice`),
      ...documented
        .filter((code) => !(Object.values(api.ErrorCode) as string[]).includes(code))
        .map((code) => `${ERRORS_DOC} lists ${code}, which api.ErrorCode does not have`),
      ...codes.filter((m) => (m[2] ?? '').length < 20).map((m) => `${m[1]} has no explanation`),
    ];
    expect(problems).toEqual([]);
  });
});

describe('the docs check itself', () => {
  const markdown = [
    '### `f(options)`',
    '',
    '| Option | Type | Default | |',
    '|---|---|---|---|',
    "| `a` | number | `5000` | x |",
    "| `b`, `c` | `(x) => y \\| z` | `'/'` | |",
    '| `d` | string | required | |',
    '',
    'text',
  ].join('\n');

  it('reads names, multi-name rows and code spans with pipes', () => {
    expect(readTable(markdown, '### `f(options)`')).toEqual([
      { names: ['a'], default: '`5000`' },
      { names: ['b', 'c'], default: "`'/'`" },
      { names: ['d'], default: 'required' },
    ]);
  });

  it('reads literal defaults from getter calls only', () => {
    const source = [
      "const timeout = o.integer('a', 5_000, 1, 10);",
      "const path = o.string('b', '/');",
      "const ttl = o.integer('c', DEFAULT_PENDING_TTL_SECONDS, 1, 10);",
      "throw o.error('d', 'is required');",
      "const url = o.baseUrl('e', 'https://example.com');",
    ].join('\n');
    expect(Object.fromEntries(codeDefaults(source, ['a', 'b', 'c', 'd', 'e']))).toEqual({ a: 5000, b: '/', c: 600 });
  });

  it.each([
    ['src/router/router-options.ts src/flow/flow-options.ts', ROUTER_OPTION_KEYS, ['strategy', 'scope', 'defaultReturnTo', 'pendingTtlSeconds', 'maxAttempts', 'httpTimeoutMs']],
    ['src/passport/local-strategy.ts', LOCAL_STRATEGY_OPTION_KEYS, ['passReqToCallback', 'name', 'usernameField', 'maxPasswordLength', 'message']],
    ['src/feedback/session-feedback-client.ts', FEEDBACK_CLIENT_OPTION_KEYS, ['timeoutMs', 'retries', 'maxResponseBytes', 'userAgent']],
  ])('finds the literal defaults in %s (so a parser gone blind fails here)', (source, keys, expected) => {
    const found = codeDefaults(readSources(source), Object.keys(keys));
    expect([...found.keys()]).toEqual(expect.arrayContaining(expected));
  });
});
