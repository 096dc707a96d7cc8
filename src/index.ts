/**
 * express-bindid: confirm new BindID users with your existing username/password check and report
 * them to BindID (session feedback), from Express.
 *
 * @packageDocumentation
 */
export {
  BindIdArgumentError,
  BindIdError,
  type BindIdErrorDetails,
  BindIdFeedbackError,
  BindIdStateError,
  ErrorCode,
  type ErrorCodeValue,
  isBindIdError,
} from './errors.js';
export { assertAccessToken, authorizationHeader, feedbackAuthValue, MAX_ACCESS_TOKEN_LENGTH } from './feedback/signing.js';
export {
  type AliasDeletedInput,
  type AliasUpdatedInput,
  type AuthenticationPerformedInput,
  assertAlias,
  type BackoffOptions,
  type FeedbackResult,
  MAX_ALIAS_LENGTH,
  parseRetryAfter,
  SessionFeedbackClient,
  type SessionFeedbackClientOptions,
  type SessionFeedbackReport,
} from './feedback/session-feedback-client.js';
export {
  type BindIdClaims,
  type BindIdSessionState,
  clearPendingLogin,
  DEFAULT_PENDING_TTL_SECONDS,
  getPendingLogin,
  isNewBindIdUser,
  type PendingLogin,
  requirePendingLogin,
  storePendingLogin,
  type StorePendingLoginInput,
  type StorePendingLoginOptions,
} from './session/pending-login.js';
export {
  type BindIdRequestState,
  type ConfirmMiddleware,
  type FeedbackErrorEvent,
  type LinkedEvent,
  sendAuthenticationPerformed,
  type SendAuthenticationPerformedOptions,
} from './confirm/send-authentication-performed.js';
export {
  BindIdLocalStrategy,
  createLocalStrategy,
  DEFAULT_FAILURE_MESSAGE,
  type LocalStrategyOptions,
  type LocalStrategyOptionsWithRequest,
  type Verify,
  type VerifyDone,
  type VerifyResult,
  type VerifyWithRequest,
} from './passport/local-strategy.js';
export {
  type AliasLookup,
  type BindIdRouter,
  CONFIRM_AGAIN,
  type BindIdRouterOptions,
  type BindIdRouterPaths,
  bindIdRouter,
  type LinkFailedEvent,
  type PassportLike,
  type RecognizedEvent,
} from './router/bind-id-router.js';
export {
  type ConfirmPageMessages,
  type ConfirmPageModel,
  DEFAULT_CONFIRM_MESSAGES,
  escapeHtml,
  maskIdentity,
  type RenderConfirmPage,
  renderDefaultConfirmPage,
} from './router/confirm-page.js';
export { MAX_RETURN_TO_LENGTH, sanitizeReturnTo } from './session/return-to.js';
export { assertSameOriginRequest, csrfToken } from './session/csrf.js';
export { type BindIdStore, MemoryBindIdStore, type MemoryBindIdStoreOptions } from './stores/bindid-store.js';
export { LinkRegistry } from './confirm/link-registry.js';
export { MIN_ALIAS_SECRET_BYTES, opaqueAlias } from './confirm/alias.js';
export { type AttemptGuardOptions, type AttemptLimits, DEFAULT_ATTEMPT_LIMITS, normaliseUsername } from './confirm/attempt-guard.js';
export type { CircuitBreakerOptions } from './feedback/circuit-breaker.js';
export { type RedisBindIdStoreOptions, type RedisCommander, RedisBindIdStore } from './stores/redis-bindid-store.js';
export {
  checkOutboxItem,
  DEFAULT_RETAIN_EXPIRED_MS,
  type Outbox,
  type OutboxBackoffOptions,
  type OutboxDeadLetterEvent,
  type OutboxDeliveredEvent,
  type OutboxItem,
  type OutboxItemInfo,
  outboxId,
  outboxRetryDelay,
  type OutboxRetryEvent,
  type OutboxRunResult,
  type OutboxSender,
  OutboxWorker,
  type OutboxWorkerOptions,
  SESSION_OUTBOX_PREFIX,
  SessionStoreOutbox,
  type SessionStoreOutboxOptions,
  StoreOutbox,
  type StoreOutboxOptions,
} from './fail-open/outbox.js';
export {
  type FailureMode,
  type OutboxWorkerSettings,
  type ReportQueuedEvent,
  SELF_HEAL_TTL_MS,
} from './fail-open/failure-policy.js';
