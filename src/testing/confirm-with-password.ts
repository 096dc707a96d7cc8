/**
 * `confirmWithPassword`: fill in the confirm form the app rendered (its CSRF token read from the
 * page, default or custom `render`) and post it from the app's own origin.
 *
 * @module
 */
import { invalidArgument } from '../errors.js';
import { describeType } from '../internal/describe-type.js';
import { checkAgent, checkPath, checkString, checkTestBindId } from './arguments.js';
import type { ConfirmWithPasswordInput, TestAgent, TestBindId, TestResponse } from './types.js';

const HELPER = 'confirmWithPassword()';
/** `bindIdRouter`'s confirm path. */
export const DEFAULT_CONFIRM_PATH = '/bindid/confirm';
/** The name of the CSRF input of `bindIdRouter`'s confirm form. */
export const DEFAULT_CSRF_FIELD = '_csrf';

/**
 * Confirm a new BindID user with a username and password, as the user would: GET the confirm page,
 * read the CSRF token from the input named `csrfField` in the HTML the app rendered (attributes in
 * any order, quoted or not: the default page and a custom `render` alike), and POST `csrfField`,
 * `username` and `password` form-encoded, with an `Origin` header equal to the origin of the
 * TestBindId's `redirectUri` (the app's origin).
 *
 * @returns the app's answer to the POST (a supertest `Response`): for `bindIdRouter`, a 303 to
 *   `returnTo` when the password is right, the confirm page again (401) when it is not.
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` for a bad argument; `Error` when the
 *   page has no input named `csrfField` (no pending sign-in, or another page).
 */
export async function confirmWithPassword<R extends TestResponse>(
  agent: TestAgent<R>,
  bindid: TestBindId,
  credentials: ConfirmWithPasswordInput,
): Promise<R> {
  checkAgent<R>(HELPER, agent);
  checkTestBindId(HELPER, bindid);
  if (credentials === null || typeof credentials !== 'object' || Array.isArray(credentials)) {
    throw invalidArgument(`${HELPER}: credentials must be an object { username, password } (got ${describeType(credentials)})`);
  }
  const username = checkString(HELPER, 'credentials.username', credentials.username);
  const password = checkString(HELPER, 'credentials.password', credentials.password);
  const path = checkPath(HELPER, 'credentials.path', credentials.path, DEFAULT_CONFIRM_PATH);
  const csrfField =
    credentials.csrfField === undefined ? DEFAULT_CSRF_FIELD : checkString(HELPER, 'credentials.csrfField', credentials.csrfField, true);

  const page = await agent.get(path);
  const token = inputValue(page.text, csrfField);
  if (token === undefined) {
    throw new Error(
      `${HELPER}: the page at GET ${path} (HTTP ${page.status}) has no input named "${csrfField}". ` +
        'Is a new BindID user waiting to confirm (signInWithBindId answered a redirect to the confirm page)? ' +
        'With a custom render, pass its field as csrfField.',
    );
  }
  return agent
    .post(path)
    .type('form')
    .set('Origin', new URL(bindid.redirectUri).origin)
    .send({ [csrfField]: token, username, password });
}

/** One `<input ...>` start tag (attribute values may hold `>` inside quotes). */
const INPUT_TAG = /<input\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi;
/** One attribute: name, then optionally `=` and a double-quoted, single-quoted or unquoted value. */
const ATTRIBUTE = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/**
 * The value of the first `<input>` whose `name` is `field`, with character references decoded;
 * `undefined` when there is none. HTML comments are skipped.
 */
export function inputValue(html: string, field: string): string | undefined {
  const text = html.replace(/<!--[\s\S]*?-->/g, '');
  for (const tag of text.matchAll(INPUT_TAG)) {
    const attributes = new Map<string, string>();
    for (const [, name, double, single, bare] of (tag[1] ?? '').matchAll(ATTRIBUTE)) {
      const key = (name ?? '').toLowerCase();
      // As in HTML, the first of repeated attributes wins.
      if (!attributes.has(key)) attributes.set(key, decodeEntities(double ?? single ?? bare ?? ''));
    }
    if (attributes.get('name') === field) return attributes.get('value') ?? '';
  }
  return undefined;
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decode the character references an attribute value may use (`&amp;`, `&#39;`, `&#x2F;`…). */
function decodeEntities(value: string): string {
  return value.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));/g, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED[name] ?? whole;
    const code = Number.parseInt(dec ?? hex ?? '', dec === undefined ? 16 : 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
