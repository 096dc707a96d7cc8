/**
 * Every TypeScript block (```ts or ```typescript) of README.md and docs/*.md compiles, as a user
 * would paste it, against the BUILT package (dist/, which `npm test` builds first):
 *
 * - each block is its own module file in a directory under os.tmpdir(), where `express-bindid`
 *   resolves through the package's `exports` (a `node_modules/express-bindid` link to the repository)
 *   and every other package to the repository's node_modules;
 * - one program compiles them all, strict, `module: nodenext`, as an ESM project;
 * - a block may use the app a snippet is written for without declaring it: the names in CONTEXT
 *   (`app`, `passport`, `users`, `options`...). Anything else it uses it imports itself;
 * - a block that is deliberately a fragment is marked `<!-- not-checked: why -->` on the line right
 *   before its fence (keep that rare); the reason is required.
 *
 * A failure names the Markdown file and line (`README.md:73: ...`).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '../..');

/** What a snippet may take for granted: the app it is added to. */
const CONTEXT = `import type { Express } from 'express';
import type { PassportStatic } from 'passport';
import type { BindIdRouterOptions } from 'express-bindid';

/** An app user, as the snippets' password check and alias lookup return it. */
interface User { id: string; username: string }

declare global {
  /** The app: express(), with express-session, passport.initialize() and passport.session() mounted. */
  const app: Express;
  /** The passport instance the app configured. */
  const passport: PassportStatic;
  /** The app's user store. */
  const users: {
    checkPassword(username: string, password: string): Promise<User | false>;
    findById(id: string): Promise<User | null>;
  };
  /** The app's existing password check. */
  function checkPassword(username: string, password: string): Promise<User | false>;
  /** The options of the first README snippet. */
  const options: BindIdRouterOptions<User>;
  /** The app's metrics and alerting. */
  const metrics: { increment(name: string, tags?: Record<string, string>): void };
  function alertOps(message: string, ...details: unknown[]): void;
}
`;

/** A code block of a Markdown file. */
interface CodeBlock {
  /** Path from the repository root. */
  file: string;
  /** 1-based line of the block's first code line. */
  line: number;
  code: string;
  /** Why the block is not compiled (`<!-- not-checked: why -->`), if it is marked. */
  notChecked?: string;
}

/** ```ts, ```typescript, and with attributes after the language (```ts app=router: test/docs/integration-apps.test.ts runs those). */
const FENCE = /^```(ts|typescript)(\s+[^`]*)?$/;
const NOT_CHECKED = /^<!--\s*not-checked:(.*)-->\s*$/;

/** The TypeScript blocks of a Markdown text. */
function typescriptBlocks(markdown: string, file: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i] as string)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++;
    const marker = NOT_CHECKED.exec((lines[i - 1] ?? '').trim());
    const block: CodeBlock = { file, line: start + 1, code: lines.slice(start, end).join('\n') };
    if (marker) block.notChecked = (marker[1] as string).trim();
    blocks.push(block);
    i = end;
  }
  return blocks;
}

/** README.md and docs/*.md. */
function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

/** A directory outside the repository where `express-bindid` is the built package, as for a user. */
function consumerProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'express-bindid-docs-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'docs-blocks', private: true, type: 'module' }));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (!name.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
  }
  symlinkSync(ROOT, join(modules, 'express-bindid'), 'dir');
  writeFileSync(join(dir, 'context.d.ts'), CONTEXT);
  return dir;
}

/** Compile the blocks in one program; one message per diagnostic, `file:line: text`. */
function compileBlocks(blocks: CodeBlock[]): string[] {
  const dir = consumerProject();
  try {
    const byPath = new Map<string, CodeBlock>();
    blocks.forEach((block, n) => {
      const path = join(dir, `block-${n}.ts`);
      writeFileSync(path, block.code);
      byPath.set(path, block);
    });
    const program = ts.createProgram([join(dir, 'context.d.ts'), ...byPath.keys()], {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      moduleDetection: ts.ModuleDetectionKind.Force,
      types: ['node'],
      skipLibCheck: true,
      noEmit: true,
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const block = d.file ? byPath.get(d.file.fileName) : undefined;
      if (!(d.file && block)) return `${d.file ? relative(dir, d.file.fileName) : '(program)'}: ${text}`;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${block.file}:${block.line + line}: ${text}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The own-callback snippet as it was: `expires_in` is `number | undefined` in openid-client 6. */
const BROKEN: CodeBlock = {
  file: 'broken.md',
  line: 10,
  code: `import type * as oidc from 'openid-client';
import { storePendingLogin } from 'express-bindid';
export function store(req: import('express').Request, tokens: oidc.TokenEndpointResponse, claims: oidc.IDToken) {
  storePendingLogin(req, { accessToken: tokens.access_token, expiresIn: tokens.expires_in, claims });
}`,
};

const blocks = markdownFiles().flatMap((file) => typescriptBlocks(readFileSync(join(ROOT, file), 'utf8'), file));

describe('the TypeScript blocks of README.md and docs/*.md', () => {
  let messages: string[];

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/index.d.ts'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    messages = compileBlocks([...blocks.filter((b) => b.notChecked === undefined), BROKEN]);
  }, 60_000);

  it('there are blocks to check, and a block left out says why', () => {
    expect(blocks.filter((b) => b.notChecked === undefined).length).toBeGreaterThanOrEqual(8);
    for (const block of blocks) if (block.notChecked !== undefined) expect(`${block.file}:${block.line} ${block.notChecked}`).toMatch(/:\d+ \S/);
  });

  it('each compiles, strict, against the built package', () => {
    expect(messages.filter((m) => !m.startsWith(`${BROKEN.file}:`))).toEqual([]);
  });

  it('a broken block fails, named by its file and line', () => {
    expect(messages.filter((m) => m.startsWith(`${BROKEN.file}:`))).toEqual([
      expect.stringMatching(/^broken\.md:13: .*'number \| undefined' is not assignable to type 'number'/s),
    ]);
  });
});

describe('typescriptBlocks', () => {
  it('finds ts and typescript fences (with attributes too), their first line, and the not-checked marker with its reason', () => {
    const markdown = [
      '# t', '```ts', 'a;', '```', '<!-- not-checked: a fragment of a handler -->', '```typescript', 'b;', 'c;', '```', '```js', 'd;', '```',
      '```ts app=router', 'e;', '```', '```tsx', 'f;', '```',
    ].join('\n');
    expect(typescriptBlocks(markdown, 'x.md')).toEqual([
      { file: 'x.md', line: 3, code: 'a;' },
      { file: 'x.md', line: 7, code: 'b;\nc;', notChecked: 'a fragment of a handler' },
      { file: 'x.md', line: 14, code: 'e;' },
    ]);
  });
});
