/**
 * Reads the titles of the tests a test file declares, without running it: the file is parsed with
 * the TypeScript compiler and every `it`/`test`/`describe` call (and its `.each`, `.only`,
 * `.concurrent` forms) is collected with its title.
 *
 * Used by test/security-table.test.ts to check that docs/security.md names tests that exist.
 *
 * - A title written as a string literal is taken as is.
 * - A template literal with `${...}` parts is taken as its source text (`Express ${major}`).
 * - An `.each(table)` title is taken both as written (`%s %d to another server`) and expanded for
 *   each row the parser can read (array literals of literals, in the call or in a `const` of the
 *   same file), the way Jest formats it (`%s`, `%d`, `%i`, `%j`, `%p`, `%#`, `%%`, `$key`).
 * - Skipped and unwritten tests (`it.skip`, `xit`, `it.todo`, ...) are reported with `skipped: true`,
 *   so a checker can refuse them: a skipped test defends nothing.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';

export interface DeclaredTest {
  /** `it`/`test` or `describe`. */
  kind: 'test' | 'describe';
  /** The title as written, and each expansion of an `.each` title. */
  titles: string[];
  /** The titles of the enclosing `describe` blocks, outermost first (as written). */
  parents: string[];
  skipped: boolean;
  line: number;
}

const TEST_NAMES = new Set(['it', 'test', 'fit', 'xit', 'xtest']);
const DESCRIBE_NAMES = new Set(['describe', 'fdescribe', 'xdescribe']);
const SKIP_MODIFIERS = new Set(['skip', 'todo', 'failing']);

/** The chain of names of a callee: `it.each(rows)` → { root: 'it', modifiers: ['each'], table }. */
function calleeChain(callee: ts.Expression): { root: string; modifiers: string[]; table?: ts.Expression } | undefined {
  const modifiers: string[] = [];
  let table: ts.Expression | undefined;
  let node: ts.Expression = callee;
  for (;;) {
    if (ts.isIdentifier(node)) return { root: node.text, modifiers: modifiers.reverse(), ...(table ? { table } : {}) };
    if (ts.isPropertyAccessExpression(node)) {
      modifiers.push(node.name.text);
      node = node.expression;
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'each') {
      table = node.arguments[0];
      node = node.expression;
    } else if (ts.isTaggedTemplateExpression(node)) {
      return undefined; // it.each`table` is not used in this repository
    } else {
      return undefined;
    }
  }
}

function rawTitle(arg: ts.Expression | undefined, source: ts.SourceFile): string | undefined {
  if (arg === undefined) return undefined;
  if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) return arg.text;
  if (ts.isTemplateExpression(arg)) return arg.getText(source).slice(1, -1);
  return undefined;
}

type Literal = string | number | boolean | null | undefined | Literal[] | { [key: string]: Literal };
const UNREADABLE = Symbol('unreadable');

function literalValue(node: ts.Expression, source: ts.SourceFile): Literal | typeof UNREADABLE {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) return -Number(node.operand.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isArrayLiteralExpression(node)) {
    const out: Literal[] = [];
    for (const element of node.elements) {
      const value = literalValue(element, source);
      if (value === UNREADABLE) return UNREADABLE;
      out.push(value);
    }
    return out;
  }
  if (ts.isAsExpression(node) || ts.isParenthesizedExpression(node) || ts.isSatisfiesExpression(node)) return literalValue(node.expression, source);
  return UNREADABLE;
}

/** The rows of an `.each` table, each row's values, or UNREADABLE where the parser cannot tell. */
function tableRows(table: ts.Expression | undefined, source: ts.SourceFile, consts: Map<string, ts.Expression>): Array<Array<Literal | typeof UNREADABLE>> {
  let node = table;
  if (node !== undefined && ts.isIdentifier(node)) node = consts.get(node.text);
  while (node !== undefined && (ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isParenthesizedExpression(node))) node = node.expression;
  if (node === undefined || !ts.isArrayLiteralExpression(node)) return [];
  return node.elements.map((row) => {
    if (ts.isArrayLiteralExpression(row)) return row.elements.map((e) => literalValue(e, source));
    return [literalValue(row, source)];
  });
}

function show(value: Literal | typeof UNREADABLE, how: string): string {
  if (value === UNREADABLE) return '…';
  switch (how) {
    case 's':
      return typeof value === 'string' ? value : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    case 'd':
    case 'i':
      return typeof value === 'number' ? String(how === 'i' ? Math.trunc(value) : value) : 'NaN';
    case 'j':
      return JSON.stringify(value);
    case 'p':
      return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
    default:
      return String(value);
  }
}

/** Jest's `.each` title formatting, for rows of array values. */
export function formatEachTitle(title: string, row: Array<Literal | typeof UNREADABLE>, index: number): string {
  let next = 0;
  return title.replace(/%([sdijpfo#%])/g, (_m, how: string) => {
    if (how === '%') return '%';
    if (how === '#') return String(index);
    const value = next < row.length ? row[next] : UNREADABLE;
    next += 1;
    return show(value as Literal | typeof UNREADABLE, how);
  });
}

/** Every test and describe block `file` declares, in source order. */
export function declaredTests(file: string): DeclaredTest[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const consts = new Map<string, ts.Expression>();
  const visitConsts = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) consts.set(node.name.text, node.initializer);
    ts.forEachChild(node, visitConsts);
  };
  visitConsts(source);

  const found: DeclaredTest[] = [];
  const visit = (node: ts.Node, parents: string[], parentSkipped: boolean): void => {
    if (ts.isCallExpression(node)) {
      const chain = calleeChain(node.expression);
      const isTest = chain !== undefined && TEST_NAMES.has(chain.root);
      const isDescribe = chain !== undefined && DESCRIBE_NAMES.has(chain.root);
      if (chain && (isTest || isDescribe)) {
        const written = rawTitle(node.arguments[0], source);
        if (written !== undefined) {
          const skipped = parentSkipped || chain.root.startsWith('x') || chain.modifiers.some((m) => SKIP_MODIFIERS.has(m));
          const titles = [written];
          if (chain.modifiers.includes('each')) {
            tableRows(chain.table, source, consts).forEach((row, i) => {
              titles.push(formatEachTitle(written, row, i));
            });
          }
          found.push({
            kind: isTest ? 'test' : 'describe',
            titles: [...new Set(titles)],
            parents,
            skipped,
            line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
          });
          for (const arg of node.arguments.slice(1)) visit(arg, isDescribe ? [...parents, written] : parents, skipped);
          return;
        }
      }
    }
    ts.forEachChild(node, (child) => visit(child, parents, parentSkipped));
  };
  visit(source, [], false);
  return found;
}
