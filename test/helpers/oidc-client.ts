/**
 * The OIDC client suites' shared pieces: a `BindIdOidcClient` for an emulator, and the error of the
 * first login start (where discovery happens).
 */
import type { Emulator } from '../../src/emulator/index.js';
import { BindIdOidcClient, type OidcSettings } from '../../src/oidc/bindid-oidc-client.js';

/** The redirect URI the suites register at their emulator. */
export const OIDC_REDIRECT = 'http://localhost:4000/bindid/callback';

/** A client of `emulator` with `overrides`; its timeout (10 s) is reached only by a test that sets its own `timeoutMs`. */
export function oidcClient(emulator: Emulator, overrides: Partial<OidcSettings> = {}): BindIdOidcClient {
  return new BindIdOidcClient({
    issuer: emulator.issuer,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    redirectUri: OIDC_REDIRECT,
    scope: 'openid email',
    timeoutMs: 10_000,
    ...overrides,
  });
}

/** The error of the first login start (discovery happens there), or undefined. */
export function loginError(c: BindIdOidcClient): Promise<unknown> {
  return c.authorizationRequest('/', Date.now()).then(
    () => undefined,
    (err: unknown) => err,
  );
}
