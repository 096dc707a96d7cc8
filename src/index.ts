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
export { assertAccessToken, authorizationHeader, feedbackAuthValue, MAX_ACCESS_TOKEN_LENGTH } from './signing.js';
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
} from './feedback-client.js';
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
} from './pending-login.js';
export {
  type BindIdRequestState,
  type ConfirmMiddleware,
  type FeedbackErrorEvent,
  type LinkedEvent,
  sendAuthenticationPerformed,
  type SendAuthenticationPerformedOptions,
} from './confirm.js';
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
} from './local-strategy.js';
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
} from './login-router.js';
export {
  type ConfirmPageMessages,
  type ConfirmPageModel,
  DEFAULT_CONFIRM_MESSAGES,
  escapeHtml,
  maskIdentity,
  type RenderConfirmPage,
  renderDefaultConfirmPage,
} from './confirm-page.js';
export { MAX_RETURN_TO_LENGTH, sanitizeReturnTo } from './return-to.js';
export { assertSameOriginRequest, csrfToken } from './csrf.js';
export { type BindIdStore, MemoryBindIdStore, type MemoryBindIdStoreOptions } from './stores.js';
export { LinkRegistry } from './link-registry.js';
export { MIN_ALIAS_SECRET_BYTES, opaqueAlias } from './alias.js';
export { type AttemptLimits, DEFAULT_ATTEMPT_LIMITS, normaliseUsername } from './attempts.js';
export type { CircuitBreakerOptions } from './circuit-breaker.js';
export { type RedisBindIdStoreOptions, type RedisCommander, RedisBindIdStore } from './redis-store.js';
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
} from './outbox.js';
export {
  type FailureMode,
  type OutboxWorkerSettings,
  type ReportQueuedEvent,
  SELF_HEAL_TTL_MS,
} from './failure-policy.js';
