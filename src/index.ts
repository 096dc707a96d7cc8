/**
 * express-bindid: confirm new BindID users with your existing username/password check and report them to BindID (session feedback), from Express.
 * Subpaths: `express-bindid/outbox` (run fail-open's outbox yourself), `/stores` (write a store), `/doctor` (`checkBindIdSetup`),
 * `/protocol` (the report's signing and types), `/emulator` and `/testing`.
 * @module express-bindid
 */
export { BindIdError, ErrorCode, isBindIdError } from './errors.js';
export { type FeedbackResult, SessionFeedbackClient, type SessionFeedbackClientOptions } from './feedback/session-feedback-client.js';
export { type BindIdClaims, clearPendingLogin, getPendingLogin, isNewBindIdUser, type PendingLogin, storePendingLogin } from './session/pending-login.js';
export { assertSameOriginRequest, csrfToken } from './session/csrf.js';
export { sanitizeReturnTo } from './session/return-to.js';
export type { BindIdRequestState, SendAuthenticationPerformedOptions } from './confirm/confirm-options.js';
export { type ConfirmMiddleware, sendAuthenticationPerformed } from './confirm/send-authentication-performed.js';
export { opaqueAlias } from './confirm/alias.js';
export { unlinkBindId } from './confirm/unlink-bindid.js';
export { createLocalStrategy, type LocalStrategyOptions } from './passport/local-strategy.js';
export { type BindIdAuthInfo, BindIdStrategy, type BindIdStrategyOptions } from './passport/bind-id-strategy.js';
export type { BindIdEvents } from './flow/flow-events.js';
export { CONFIRM_AGAIN } from './flow/flow-options.js';
export { type BindIdRouter, type BindIdRouterOptions, bindIdRouter } from './router/bind-id-router.js';
export type { AuthorizationParams } from './oidc/authorization-params.js';
export { BINDID_HOSTS } from './oidc/bindid-hosts.js';
export { type ConfirmPageMessages, type ConfirmPageModel, DEFAULT_CONFIRM_MESSAGES, renderDefaultConfirmPage } from './router/confirm-page.js';
export { type BindIdStore, MemoryBindIdStore } from './stores/bindid-store.js';
export { RedisBindIdStore, type RedisBindIdStoreOptions } from './stores/redis-bindid-store.js';
export { DIAGNOSTICS_CHANNELS, type DiagnosticsPayloads } from './internal/diagnostics.js';
