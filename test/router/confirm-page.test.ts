/**
 * The default confirm page as HTML: labelled fields with autocomplete, the error announced and tied
 * to the password field, no script and nothing loaded from elsewhere, every value escaped, every
 * string overridable. The browser test (test/e2e) checks how it looks and behaves.
 */
import {
  DEFAULT_CONFIRM_MESSAGES,
  renderDefaultConfirmPage,
} from '../../src/router/confirm-page.js';
import { confirmPageModel } from '../helpers/confirm-page-model.js';

const model = confirmPageModel;

/** The start tag of the element with `id`. */
function tag(html: string, id: string): string {
  return new RegExp(`<[a-z]+ [^>]*id="${id}"[^>]*>`).exec(html)?.[0] ?? '';
}

describe('renderDefaultConfirmPage', () => {
  it('has labelled username and password fields a password manager understands', () => {
    const html = renderDefaultConfirmPage(model());
    expect(html).toContain('<label for="bindid-username">Username</label>');
    expect(html).toContain('<label for="bindid-password">Password</label>');
    expect(tag(html, 'bindid-username')).toMatch(/name="username"[^>]* autocomplete="username"/);
    expect(tag(html, 'bindid-password')).toMatch(/name="password" type="password" autocomplete="current-password"/);
    expect(html).toContain('<p class="identity">BindID account: alice@example.com</p>');
    // Both forms carry the CSRF token.
    expect(html.match(/<input type="hidden" name="_csrf" value="c{43}">/g)).toHaveLength(2);
  });

  it('announces no error and moves no focus on the first visit', () => {
    const html = renderDefaultConfirmPage(model());
    expect(html).not.toContain('role="alert"');
    expect(html).not.toContain('autofocus');
    expect(html).not.toContain('aria-invalid');
  });

  it('after a wrong password: the error is an alert, describes the focused password field, the username is kept', () => {
    const html = renderDefaultConfirmPage(model({ status: 401, error: 'Invalid username or password.', username: 'demo' }));
    expect(html).toContain('<p class="alert" id="bindid-error" role="alert">Invalid username or password.</p>');
    expect(tag(html, 'bindid-password')).toMatch(/ autofocus aria-describedby="bindid-error" aria-invalid="true">$/);
    expect(tag(html, 'bindid-username')).toContain('value="demo"');
  });

  it('when BindID was unreachable (503) the password is asked again, but not marked invalid', () => {
    const html = renderDefaultConfirmPage(model({ status: 503, error: DEFAULT_CONFIRM_MESSAGES.unavailable }));
    expect(tag(html, 'bindid-password')).toMatch(/ autofocus aria-describedby="bindid-error">$/);
  });

  it('has no script and loads nothing: no src, no external link, no url() or @import in the style', () => {
    for (const page of [
      renderDefaultConfirmPage(model({ status: 401, error: 'x' })),
      renderDefaultConfirmPage(model({ view: 'expired', status: 400 })),
    ]) {
      expect(page).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\(|@import/i);
      // Links and forms stay on the app: absolute paths only.
      for (const [, target] of page.matchAll(/(?:href|action)="([^"]*)"/g)) expect(target).toMatch(/^\/[a-z]/);
    }
  });

  it('the expired view: its title, its text and a way to start again, no form', () => {
    const html = renderDefaultConfirmPage(model({ view: 'expired', status: 400 }));
    expect(html).toContain(`<title>${DEFAULT_CONFIRM_MESSAGES.expiredTitle}</title>`);
    expect(html).toContain(`<h1>${DEFAULT_CONFIRM_MESSAGES.expiredTitle}</h1>`);
    expect(html).toContain('<a class="button" href="/login/bindid">Sign in with BindID</a>');
    expect(html).not.toContain('<form');
  });

  it('uses the overridden strings and language, escaped', () => {
    const html = renderDefaultConfirmPage(
      model({
        messages: { ...DEFAULT_CONFIRM_MESSAGES, lang: 'fr', title: 'Confirmez <votre> compte', usernameLabel: "Nom d'utilisateur" },
      }),
    );
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('<h1>Confirmez &#60;votre&#62; compte</h1>');
    expect(html).toContain('<label for="bindid-username">Nom d&#39;utilisateur</label>');
  });

  it('escapes the values it repeats', () => {
    const html = renderDefaultConfirmPage(model({ username: '"><script>x</script>', identity: '<b>', status: 401, error: '<i>' }));
    expect(html).not.toMatch(/<script|<b>|<i>/);
  });
});
