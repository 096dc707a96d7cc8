/**
 * The emulator's HTML pages: the sign-in page standing in for BindID's biometric prompt, and error
 * pages. Self-contained (inline style only, no script), accessible, and every value escaped.
 *
 * @module
 */
import { DEFAULT_DEVICE } from './config.js';
import type { Identity } from './state.js';

/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#111}
button{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem;text-align:left;cursor:pointer}
button:focus{outline:3px solid #1a5fb4;outline-offset:2px}
fieldset{border:1px solid #999;padding:1rem}
.note{color:#444;font-size:.9rem}`;

// The same HTML head as the router's confirm page (src/router/confirm-page.ts), on purpose not shared:
// the emulator imports nothing from the library's routes, so it stays an independent BindID.
function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** Input of {@link signInPage}. */
export interface SignInPageInput {
  /** The client that asked. */
  clientId: string;
  /** The original `/authorize` parameters, posted back as hidden fields. */
  params: URLSearchParams;
  /** The known identities, one button each. */
  identities: readonly Identity[];
  /** Identities created earlier by "New BindID user", newest first, one button each. */
  created?: readonly Identity[];
  /** The email address of the request's `login_hint`: its identity is offered first. */
  hint?: string;
}

/**
 * The page shown by `GET /authorize` without `identity`: one form sending every original parameter
 * back to `GET /authorize` (BindID's authorization endpoint takes GET), with a device field, one submit
 * button per identity (`identity=<id>`; the one the `login_hint` names first, then known ones, then
 * those created earlier), one for a new user (`identity=new`) and a Cancel button (`identity=cancel`).
 */
export function signInPage({ clientId, params, identities, created = [], hint }: SignInPageInput): string {
  const hidden = [...params]
    .filter(([name]) => name !== 'identity' && name !== 'device')
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const button = (identity: Identity, text: string): string => {
    const label = [identity.name ?? identity.id, identity.email].filter((part) => part !== undefined).join(' — ');
    return `<button type="submit" name="identity" value="${escapeHtml(identity.id)}">${text} ${escapeHtml(label)}</button>`;
  };
  const hinted = (identity: Identity): boolean => hint !== undefined && identity.email === hint;
  const buttons = [
    ...identities.filter(hinted).map((identity) => button(identity, 'Sign in (login_hint) as')),
    ...identities.filter((identity) => !hinted(identity)).map((identity) => button(identity, 'Sign in as')),
    ...created.map((identity) => button(identity, 'Sign in again as')),
  ].join('\n');
  const device = escapeHtml(params.get('device') ?? DEFAULT_DEVICE);
  return layout(
    'BindID emulator — sign in',
    `<h1>Sign in with BindID (emulator)</h1>
<p>This is the <strong>local BindID emulator</strong>, a test stand-in for BindID's biometric prompt.
No real authentication happens here: pick who you are.</p>
<p class="note">Requested by client <code>${escapeHtml(clientId)}</code>.</p>
<form method="get" action="/authorize">
${hidden}
<p><label for="device">Device you authenticate from</label>
<input id="device" name="device" value="${device}" required></p>
<fieldset>
<legend>Choose a test identity</legend>
${buttons}
<button type="submit" name="identity" value="new">New BindID user (a fresh identity)</button>
<button type="submit" name="identity" value="cancel">Cancel</button>
</fieldset>
</form>`,
  );
}

/** A page explaining why a request cannot go on (shown instead of redirecting). */
export function errorPage(title: string, message: string): string {
  return layout(
    `BindID emulator — ${title}`,
    `<h1>${escapeHtml(title)}</h1>
<p role="alert">${escapeHtml(message)}</p>
<p class="note">This is the local BindID emulator. It does not redirect to an unregistered or unknown destination.</p>`,
  );
}
