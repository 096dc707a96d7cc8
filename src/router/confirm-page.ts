/** The confirm page, the one screen this library shows to people: its strings, its model, the default page. */
import type { Request, Response } from 'express';
import type { BindIdClaims } from '../session/pending-login.js';

/** The default (English) strings, which also declare the keys of {@link ConfirmPageMessages}. */
const ENGLISH = {
  /** `lang` attribute of the page. */
  lang: 'en',
  title: 'Confirm your account',
  intro:
    'This is the first time you sign in here with BindID. Enter your username and password once to link ' +
    'BindID to your account. Next time, BindID alone is enough.',
  /** Shown when the ID token has a verified email or phone number: which BindID identity is being linked. */
  identity: 'BindID account: {identity}',
  /** Shown instead when BindID gave no verified email or phone number: the page cannot say who signed in, and says so. */
  noIdentity:
    'BindID gave no verified email or phone number for this sign-in, so this page cannot show who signed in. ' +
    'If you did not just sign in with BindID on this device, choose "This is not me".',
  usernameLabel: 'Username',
  passwordLabel: 'Password',
  submit: 'Confirm and sign in',
  cancel: 'This is not me',
  /** The one message for every failed password check (unknown user, wrong password, locked...). */
  invalidCredentials: 'Invalid username or password.',
  /** BindID could not be reached: nothing was linked, the user may try again. */
  unavailable: 'BindID could not be reached, so nothing was linked. Please try again in a moment.',
  /** BindID refused the link (an expired sign-in...): nothing was linked, start again. */
  rejected: 'BindID did not accept this link, so nothing was linked.',
  /** The account or this identity is linked elsewhere (409): starting again would be refused the same way, so it says what to do instead. */
  alreadyLinked:
    'Nothing was linked: this account is already linked to another BindID identity, or this BindID identity to another ' +
    'account. Sign in with your password, or with the BindID identity already linked. To link this one instead, unlink ' +
    'BindID from the account first, or contact support.',
  expiredTitle: 'This sign-in can no longer be confirmed',
  /** No pending sign-in: expired, used, cancelled or too many attempts. */
  expired: 'It expired, or it was already confirmed or cancelled. To sign in, start again.',
  /** The link back to "Sign in with BindID". */
  startOver: 'Sign in with BindID',
};
type English = typeof ENGLISH;

/** Every user-visible string of the default pages. `{identity}` is replaced by the BindID email or phone number, in full. */
export interface ConfirmPageMessages extends English {}

/** The default (English) strings. */
export const DEFAULT_CONFIRM_MESSAGES: Readonly<ConfirmPageMessages> = Object.freeze(ENGLISH);

/** What a confirm-page renderer receives. */
export interface ConfirmPageModel {
  /** `confirm`: the password form; `expired`: no pending sign-in, start again; `already-linked`: linked elsewhere (409). */
  view: 'confirm' | 'expired' | 'already-linked';
  /** HTTP status to answer with (200, 401 after a failed check, 503 when BindID is down, 400 expired, 409 already linked). */
  status: number;
  /** The strings, defaults merged with the app's overrides. */
  messages: ConfirmPageMessages;
  /** Where the form posts to. */
  action: string;
  /** Where the "not me" form posts to. */
  cancelAction: string;
  /** Where "Sign in with BindID" starts. */
  startOverUrl: string;
  /** The CSRF token; put it in a hidden field named `_csrf` of both forms. */
  csrfToken?: string;
  /**
   * The verified email (else phone number) of whoever just signed in with BindID, in full, not escaped: shown, a planted
   * sign-in gets "not me" instead of a password. Never an unverified one (anyone types one at BindID); else show `messages.noIdentity`.
   */
  identity?: string;
  /** The username typed last time (after a failed attempt), to pre-fill the field. */
  username?: string;
  /** The form's field names for the username and the password: `createLocalStrategy`'s `usernameField` and `passwordField`. */
  fields?: { readonly username: string; readonly password: string };
  /** The error to announce, if any. */
  error?: string;
}

/** A render hook: write the page for `model` to `res` (status and headers are set). A returned promise is awaited. */
export type RenderConfirmPage = (model: ConfirmPageModel, req: Request, res: Response) => unknown;

/** Escape text for HTML content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * `ConfirmPageModel.identity` from the ID token. In full: a masked address (`v•••m@gmail.com`) could pass for
 * the victim's own at a glance. Only verified: an unverified one is whatever was typed at BindID (`login_hint`).
 */
export function identityOf(claims: BindIdClaims): string | undefined {
  const email = claims.email;
  if (claims.email_verified === true && typeof email === 'string' && email.length <= 254) {
    const at = email.lastIndexOf('@');
    if (at > 0 && at < email.length - 1) return email;
  }
  const phone = claims.phone_number;
  if (claims.phone_number_verified === true && typeof phone === 'string' && /^\+?[0-9 ()-]{4,32}$/.test(phone)) return phone;
  return undefined;
}

/**
 * The default page, a complete HTML document: no script, no external asset (the router's policy is
 * `default-src 'none'`). After a failed attempt the error is announced and the password field focused.
 */
export function renderDefaultConfirmPage(model: ConfirmPageModel): string {
  const m = model.messages;
  const e = escapeHtml;
  const title = model.view === 'confirm' ? m.title : m.expiredTitle;
  const error = model.error ?? (model.view === 'already-linked' ? m.alreadyLinked : undefined);
  const alert = error ? `<p class="alert" id="bindid-error" role="alert">${e(error)}</p>` : '';
  const csrf = model.csrfToken ? `<input type="hidden" name="_csrf" value="${e(model.csrfToken)}">` : '';
  let body: string;
  if (model.view === 'confirm') {
    // A replacer function: `$&`, `$'`... in an address are its own characters, not replacement patterns.
    const shown = model.identity;
    const identity = `<p class="identity">${e(shown ? m.identity.replace('{identity}', () => shown) : m.noIdentity)}</p>`;
    const retry = model.error ? ` autofocus aria-describedby="bindid-error"${model.status === 401 ? ' aria-invalid="true"' : ''}` : '';
    body = `<p>${e(m.intro)}</p>
${identity}${alert}
<form method="post" action="${e(model.action)}">
${csrf}
<label for="bindid-username">${e(m.usernameLabel)}</label>
<input id="bindid-username" name="${e(model.fields?.username ?? 'username')}" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="256" value="${e(model.username ?? '')}">
<label for="bindid-password">${e(m.passwordLabel)}</label>
<input id="bindid-password" name="${e(model.fields?.password ?? 'password')}" type="password" autocomplete="current-password" required maxlength="1024"${retry}>
<button type="submit">${e(m.submit)}</button>
</form>
<form method="post" action="${e(model.cancelAction)}" class="cancel">
${csrf}
<button type="submit" class="link">${e(m.cancel)}</button>
</form>`;
  } else if (model.view === 'already-linked') {
    body = alert;
  } else {
    body = `${alert}<p>${e(m.expired)}</p>
<p><a class="button" href="${e(model.startOverUrl)}">${e(m.startOver)}</a></p>`;
  }
  return `<!doctype html>
<html lang="${e(m.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:1rem;color:#1a1a1a;background:#f4f4f4}
main{max-width:26rem;margin:2rem auto;background:#fff;padding:1.5rem;border:1px solid #c4c4c4;border-radius:8px}
h1{font-size:1.4rem;line-height:1.3;margin-top:0}
label{display:block;margin-top:1rem;font-weight:600}
input,button{font:inherit}
input{box-sizing:border-box;width:100%;padding:.6rem;border:1px solid #767676;border-radius:4px}
button,.button{display:block;box-sizing:border-box;margin-top:1.25rem;width:100%;padding:.7rem;border:0;border-radius:4px;background:#0b5cad;color:#fff;text-align:center;text-decoration:none;cursor:pointer}
button.link{background:none;color:#0b5cad;text-decoration:underline;width:auto;padding:.5rem 0;margin-top:.75rem}
.alert{background:#fdecea;border:1px solid #b3261e;border-left-width:4px;color:#7a1410;padding:.6rem;border-radius:4px}
.identity{font-weight:600;overflow-wrap:anywhere}
a{color:#0b5cad}
:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}
@media (max-width:30rem){body{padding:0;background:#fff}main{margin:0;border:0;border-radius:0;padding:1.5rem 1rem}}
</style>
</head>
<body>
<main>
<h1>${e(title)}</h1>
${body}
</main>
</body>
</html>
`;
}
