/**
 * Every relative link of README.md and docs/*.md resolves, on GitHub and in the npm tarball:
 *
 * - the file or directory it names exists (relative to the Markdown file, as GitHub and npm read it);
 * - its `#anchor`, if any, is the GitHub slug of a heading of the target (or of the same file for a
 *   bare `#anchor`), so a renamed or moved heading breaks the test, not the reader's click;
 * - it stays inside what the package publishes (package.json `files`: README.md, docs/...), so a reader
 *   of the installed package or of npm's page never follows a link into a clone-only path
 *   (`examples/...`, `test/...`): those are written as links to the repository. The one exception is
 *   docs/screenshots, left out of the tarball on purpose (npm resolves README images against the
 *   repository).
 *
 * Links inside code (fenced blocks and code spans) are not links and are ignored, as are absolute
 * URLs (`https:`, `mailto:`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';

const ROOT = join(__dirname, '../..');

/** Published paths that links may still point at although the tarball leaves them out. */
const UNPUBLISHED_TARGETS_ALLOWED = ['docs/screenshots'];

/** README.md and docs/*.md, from the repository root. */
function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

/** The text with fenced code blocks blanked (line numbers kept) and code spans removed. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '``');
  });
}

/** The GitHub anchor of a heading's text: lower case, punctuation dropped, spaces as hyphens. */
function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown text's headings (outside code), with GitHub's `-1`, `-2` for repeats. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = githubSlug(heading[1] as string);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

interface Link {
  /** `file:line` of the link. */
  at: string;
  target: string;
}

/** The relative links (and images) of a Markdown file's prose. */
function relativeLinks(markdown: string, file: string): Link[] {
  const links: Link[] = [];
  prose(markdown).forEach((line, i) => {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ at: `${file}:${i + 1}`, target });
    }
  });
  return links;
}

/** Whether package.json `files` publishes `path` (a path from the root): a listed path or under one, not negated. */
function isPublished(path: string, files: readonly string[]): boolean {
  const under = (entry: string) => path === entry || path.startsWith(`${entry}/`);
  const included = files.some((entry) => !entry.startsWith('!') && under(entry));
  const excluded = files.some((entry) => entry.startsWith('!') && !entry.includes('*') && under(entry.slice(1)));
  return included && !excluded;
}

/** Problems with the links of `markdown` (the text of `file`): a missing target or anchor, a target left out of the tarball. */
function linkProblems(file: string, markdown: string, files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const { at, target } of relativeLinks(markdown, file)) {
    const [pathPart = '', anchor] = target.split('#');
    if (pathPart === '') {
      if (!headingAnchors(markdown).has(anchor ?? '')) problems.push(`${at}: ${target}: ${file} has no heading whose anchor is #${anchor}`);
      continue;
    }
    const resolved = normalize(join(dirname(file), decodeURI(pathPart))).split(sep).join('/');
    if (resolved.startsWith('..') || !existsSync(join(ROOT, resolved))) {
      problems.push(`${at}: ${target}: ${resolved} does not exist`);
      continue;
    }
    if (!isPublished(resolved, files) && !UNPUBLISHED_TARGETS_ALLOWED.some((p) => isPublished(resolved, [p]))) {
      problems.push(`${at}: ${target}: ${resolved} is not in the published package (link to the repository instead)`);
    }
    if (anchor === undefined) continue;
    if (!resolved.endsWith('.md') || statSync(join(ROOT, resolved)).isDirectory()) {
      problems.push(`${at}: ${target}: an anchor into ${resolved}, which is not a Markdown file`);
    } else if (!headingAnchors(readFileSync(join(ROOT, resolved), 'utf8')).has(anchor)) {
      problems.push(`${at}: ${target}: ${resolved} has no heading whose anchor is #${anchor}`);
    }
  }
  return problems;
}

const files = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files;

describe('the relative links of README.md and docs/*.md', () => {
  it('there are links to check, in README.md and in docs/', () => {
    const counts = markdownFiles().map((file) => relativeLinks(readFileSync(join(ROOT, file), 'utf8'), file).length);
    expect(counts[0]).toBeGreaterThanOrEqual(10);
    expect(counts.slice(1).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);
  });

  it.each(markdownFiles())('%s: every link names an existing, published file and an existing heading', (file) => {
    expect(linkProblems(file, readFileSync(join(ROOT, file), 'utf8'), files)).toEqual([]);
  });
});

describe('the link check itself', () => {
  it('slugs headings as GitHub does', () => {
    expect(githubSlug('Fail-open vs fail-closed')).toBe('fail-open-vs-fail-closed');
    expect(githubSlug('What `DEBUG=express-bindid:*` shows')).toBe('what-debugexpress-bindid-shows');
    expect(githubSlug('### `new SessionFeedbackClient(options)`'.replace(/^#+\s*/, ''))).toBe('new-sessionfeedbackclientoptions');
    expect(githubSlug('Only the confirmation step (your own BindID callback)')).toBe('only-the-confirmation-step-your-own-bindid-callback');
    expect(githubSlug('401 from session feedback (`ERR_BINDID_UNAUTHORIZED`)')).toBe('401-from-session-feedback-err_bindid_unauthorized');
    expect(githubSlug("BindID's hosts: the evidence behind `BINDID_HOSTS`")).toBe('bindids-hosts-the-evidence-behind-bindid_hosts');
  });

  it('reads headings outside code only, numbering repeats', () => {
    const markdown = ['# Title', '## Part', '```sh', '# a shell comment', '```', '## Part', '### `f(x)` ##'].join('\n');
    expect([...headingAnchors(markdown)]).toEqual(['title', 'part', 'part-1', 'fx']);
  });

  it('finds links and images in prose, not in code, and skips absolute URLs', () => {
    const markdown = [
      'See [a](a.md#x) and ![img](docs/i.png "title") and [web](https://example.com).',
      '`[not](a-link.md)`',
      '```md',
      '[not](either.md)',
      '```',
      '[self](#here)',
    ].join('\n');
    expect(relativeLinks(markdown, 'f.md')).toEqual([
      { at: 'f.md:1', target: 'a.md#x' },
      { at: 'f.md:1', target: 'docs/i.png' },
      { at: 'f.md:6', target: '#here' },
    ]);
  });

  it('publishes what package.json files lists, minus its negations', () => {
    const list = ['dist', '!dist/**/*.map', 'README.md', 'docs', '!docs/screenshots'];
    expect(isPublished('README.md', list)).toBe(true);
    expect(isPublished('docs/errors.md', list)).toBe(true);
    expect(isPublished('docs/screenshots/confirm.png', list)).toBe(false);
    expect(isPublished('examples/own-callback', list)).toBe(false);
    expect(isPublished('docsx/a.md', list)).toBe(false);
  });

  it('reports a missing file, a missing anchor, an unpublished target and a path out of the repository', () => {
    const markdown = [
      '[ok](errors.md) [ok too](../README.md#license) [self](#a-heading) ![shot](screenshots/confirm.png)',
      '# A heading',
      '[gone](no-such-page.md) [anchor](errors.md#no-such-heading) [clone only](../examples/own-callback)',
      '[outside](../../elsewhere.md) [not markdown](../package.json#files) [self](#no-such-heading)',
    ].join('\n');
    expect(linkProblems('docs/fixture.md', markdown, files)).toEqual([
      'docs/fixture.md:3: no-such-page.md: docs/no-such-page.md does not exist',
      'docs/fixture.md:3: errors.md#no-such-heading: docs/errors.md has no heading whose anchor is #no-such-heading',
      'docs/fixture.md:3: ../examples/own-callback: examples/own-callback is not in the published package (link to the repository instead)',
      'docs/fixture.md:4: ../../elsewhere.md: ../elsewhere.md does not exist',
      'docs/fixture.md:4: ../package.json#files: package.json is not in the published package (link to the repository instead)',
      'docs/fixture.md:4: ../package.json#files: an anchor into package.json, which is not a Markdown file',
      'docs/fixture.md:4: #no-such-heading: docs/fixture.md has no heading whose anchor is #no-such-heading',
    ]);
  });
});
