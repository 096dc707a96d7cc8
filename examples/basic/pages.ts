/** The example's pages: tiny, self-contained HTML (no assets, no scripts). */
import type { User } from './users.js';
import { escapeHtml as e } from './web-safety.js';

const style = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
a.button,button{display:inline-block;padding:.6rem 1rem;border-radius:4px;border:0;background:#0b5cad;color:#fff;text-decoration:none;font:inherit;cursor:pointer}
label{display:block;margin-top:.8rem;font-weight:600} input{padding:.5rem;font:inherit;width:100%;box-sizing:border-box}
.alert{background:#fdecea;border:1px solid #b3261e;padding:.5rem;border-radius:4px} nav{margin-bottom:1.5rem}`;

const SITE = 'express-bindid example';

/** The hidden field that carries the session's CSRF token in each form of this app. */
function csrfField(csrf: string): string {
  return `<input type="hidden" name="_csrf" value="${e(csrf)}">`;
}

/**
 * The page around `body`. With a `user`, the navigation has a "Sign out" form, which needs the
 * session's CSRF token (`csrf`).
 */
export function layout(title: string, body: string, user?: User, csrf = ''): string {
  const nav = user
    ? `<nav>Signed in as <strong>${e(user.displayName)}</strong> · <a href="/account">Account</a> ·
<form method="post" action="/logout" style="display:inline">${csrfField(csrf)}<button type="submit">Sign out</button></form></nav>`
    : `<nav><a href="/">Home</a></nav>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title === SITE ? SITE : `${title} · ${SITE}`)}</title><style>${style}</style></head>
<body>${nav}<main><h1>${e(title)}</h1>${body}</main></body></html>`;
}

export function homePage(user: User | undefined, csrf: string): string {
  const body = user
    ? `<p>Welcome back, ${e(user.displayName)}.</p><p><a href="/account">Go to your account</a></p>`
    : `<p>This example app signs people in with their password, or with BindID (biometrics).</p>
<p><a class="button" href="/login/bindid?returnTo=%2Faccount">Sign in with BindID</a></p>
<p>or <a href="/login">sign in with a password</a>.</p>`;
  return layout(SITE, body, user, csrf);
}

export function passwordLoginPage(failed: boolean, csrf: string): string {
  return layout(
    'Sign in with a password',
    `${failed ? '<p class="alert" role="alert">Invalid username or password.</p>' : ''}
<form method="post" action="/login">${csrfField(csrf)}
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">Sign in</button></p></form>`,
  );
}

export function accountPage(user: User, linkedNow: boolean, csrf: string): string {
  return layout(
    'Your account',
    `${linkedNow ? '<p role="status">BindID is now linked to your account. Next time, BindID alone signs you in.</p>' : ''}
<p>Username: <strong>${e(user.username)}</strong></p><p>User id (the BindID alias): <code>${user.id}</code></p>`,
    user,
    csrf,
  );
}

export function errorPage(status: number, message: string, user?: User, title?: string, csrf = ''): string {
  return layout(
    title ?? (status === 403 ? 'Sign-in refused' : 'Something went wrong'),
    `<p role="alert">${e(message)}</p><p><a href="${user ? '/account' : '/'}">${user ? 'Go to your account' : 'Back to the home page'}</a></p>`,
    user,
    csrf,
  );
}
