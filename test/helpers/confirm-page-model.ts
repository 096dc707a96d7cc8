/** A complete confirm-page model (the default messages, a CSRF token, an identity), with `overrides` on top. */
import { type ConfirmPageModel, DEFAULT_CONFIRM_MESSAGES } from '../../src/router/confirm-page.js';

export function confirmPageModel(overrides: Partial<ConfirmPageModel> = {}): ConfirmPageModel {
  return {
    view: 'confirm',
    status: 200,
    messages: { ...DEFAULT_CONFIRM_MESSAGES },
    action: '/bindid/confirm',
    cancelAction: '/bindid/confirm/cancel',
    startOverUrl: '/login/bindid',
    fields: { username: 'username', password: 'password' },
    csrfToken: 'c'.repeat(43),
    identity: 'alice@example.com',
    ...overrides,
  };
}
