/**
 * express-bindid: confirm new BindID users with your existing username/password check and report
 * them to BindID (session feedback), from Express.
 *
 * @module express-bindid
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
export { authorizationHeader, feedbackAuthValue } from './feedback/signing.js';
export { type FeedbackResult, SessionFeedbackClient, type SessionFeedbackClientOptions } from './feedback/session-feedback-client.js';
export type {
  AliasDeletedInput,
  AliasUpdatedInput,
  AuthenticationPerformedInput,
  SessionFeedbackReport,
} from './feedback/session-feedback-report.js';
export type { CustomUserData, CustomUserDataResult, CustomUserDataValue } from './feedback/custom-user-data.js';
export type { BackoffOptions } from './internal/backoff.js';
export type { CircuitBreakerOptions } from './feedback/circuit-breaker.js';
export {
  type BindIdClaims,
  type BindIdSessionState,
  clearPendingLogin,
  getPendingLogin,
  isNewBindIdUser,
  type PendingLogin,
  storePendingLogin,
  type StorePendingLoginInput,
  type StorePendingLoginOptions,
} from './session/pending-login.js';
export { assertSameOriginRequest, csrfToken } from './session/csrf.js';
export { sanitizeReturnTo } from './session/return-to.js';
export type {
  BindIdRequestState,
  FeedbackErrorEvent,
  LinkedEvent,
  SendAuthenticationPerformedOptions,
} from './confirm/confirm-options.js';
export { type ConfirmMiddleware, sendAuthenticationPerformed } from './confirm/send-authentication-performed.js';
export { opaqueAlias } from './confirm/alias.js';
export type { AttemptGuardOptions, AttemptLimits } from './confirm/attempt-guard.js';
export { LinkRegistry } from './confirm/link-registry.js';
export { type UnlinkBindIdInput, type UnlinkResult, unlinkBindId } from './confirm/unlink-bindid.js';
export {
  type BindIdLocalStrategy,
  createLocalStrategy,
  type LocalStrategyOptions,
  type LocalStrategyOptionsWithRequest,
  type Verify,
  type VerifyDone,
  type VerifyResult,
  type VerifyWithRequest,
} from './passport/local-strategy.js';
export {
  type BindIdAuthInfo,
  BindIdStrategy,
  type BindIdStrategyOptions,
} from './passport/bind-id-strategy.js';
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
  type UnlinkedEvent,
} from './router/bind-id-router.js';
export {
  type AuthorizationParams,
  BINDID_HOSTS,
  type BindIdEnvironment,
  type BindIdHosts,
  type StaticOidcMetadata,
} from './router/router-options.js';
export {
  type ConfirmPageMessages,
  type ConfirmPageModel,
  DEFAULT_CONFIRM_MESSAGES,
  type RenderConfirmPage,
  renderDefaultConfirmPage,
} from './router/confirm-page.js';
export { type BindIdStore, MemoryBindIdStore, type MemoryBindIdStoreOptions } from './stores/bindid-store.js';
export {
  type RedisBindIdStoreClient,
  type RedisBindIdStoreOptions,
  type RedisCaller,
  type RedisClusterCommander,
  type RedisCommander,
  RedisBindIdStore,
} from './stores/redis-bindid-store.js';
export type { BindIdQueueStore, QueueEntry, QueueRecord } from './stores/queue-store.js';
export {
  type Outbox,
  type OutboxItem,
  type OutboxItemInfo,
  outboxId,
} from './fail-open/outbox.js';
export { StoreOutbox, type StoreOutboxOptions } from './fail-open/store-outbox.js';
export {
  type OutboxBackoffOptions,
  type OutboxDeadLetterEvent,
  type OutboxDeliveredEvent,
  type OutboxRetryEvent,
  type OutboxRunResult,
  type OutboxSender,
  OutboxWorker,
  type OutboxWorkerOptions,
} from './fail-open/outbox-worker.js';
export type { FailureMode, OutboxWorkerSettings, ReportQueuedEvent } from './fail-open/failure-policy.js';
export {
  type AttemptsLocked,
  type CircuitStateChange,
  DIAGNOSTICS_CHANNELS,
  type OutboxDiagnostic,
  type SessionFeedbackTrace,
  type TokenExchangeTrace,
} from './internal/diagnostics.js';
export { checkBindIdSetup } from './doctor/check-bindid-setup.js';
export type { BindIdSetupCheck, BindIdSetupCheckId, BindIdSetupOptions, BindIdSetupReport } from './doctor/types.js';
