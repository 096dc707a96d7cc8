/**
 * Reading a form field from the HTML an app rendered (`inputValue`, behind `confirmWithPassword`):
 * the default confirm page and the ways a custom `render` may write the same input.
 */
import { DEFAULT_CONFIRM_MESSAGES, renderDefaultConfirmPage } from '../../src/index.js';
import { inputValue } from '../../src/testing/confirm-with-password.js';

describe('inputValue', () => {
  it.each([
    ['double quotes, name first', '<input type="hidden" name="_csrf" value="tok-1">'],
    ['value first', '<input value="tok-1" name="_csrf" type="hidden">'],
    ['single quotes', "<input type='hidden' name='_csrf' value='tok-1'>"],
    ['unquoted, upper-case tag and names', '<INPUT TYPE=hidden NAME=_csrf VALUE=tok-1>'],
    ['self-closing, spaces around =', '<input type = "hidden" name = "_csrf" value = "tok-1" />'],
    ['a > inside another quoted attribute', '<input data-x="a>b" name="_csrf" value="tok-1">'],
    ['attributes over several lines', '<input\n  type="hidden"\n  name="_csrf"\n  value="tok-1"\n>'],
    ['after a commented-out stale input', '<!-- <input name="_csrf" value="stale"> --><input name="_csrf" value="tok-1">'],
    ['after other inputs', '<input name="username" value="tok-0"><input name="_csrf" value="tok-1"><input name="_csrf" value="tok-2">'],
  ])('%s', (_case, html) => {
    expect(inputValue(`<form>${html}</form>`, '_csrf')).toBe('tok-1');
  });

  it('decodes character references in the value', () => {
    expect(inputValue('<input name="t" value="a&amp;b&#61;c&#x2F;d&quot;&apos;&lt;&gt;&unknown;">', 't')).toBe('a&b=c/d"\'<>&unknown;');
    expect(inputValue('<input name="t" value="&#x110000;&#128512;">', 't')).toBe('&#x110000;😀');
  });

  it('an input without a value reads as the empty string; no such input is undefined', () => {
    expect(inputValue('<input name="_csrf" type="hidden">', '_csrf')).toBe('');
    expect(inputValue('<input name="_csrf_other" value="x"><p name="_csrf" value="y">', '_csrf')).toBeUndefined();
    expect(inputValue('<input name="CSRF" value="x">', 'csrf')).toBeUndefined();
  });

  it("reads the token of bindIdRouter's default confirm page", () => {
    const html = renderDefaultConfirmPage({
      view: 'confirm',
      status: 200,
      messages: DEFAULT_CONFIRM_MESSAGES,
      action: '/bindid/confirm',
      cancelAction: '/bindid/confirm/cancel',
      startOverUrl: '/login/bindid',
      fields: { username: 'username', password: 'password' },
      csrfToken: 'Abc-_123',
      });
    expect(inputValue(html, '_csrf')).toBe('Abc-_123');
  });
});
