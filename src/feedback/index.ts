/**
 * `express-bindid/protocol`: BindID's session-feedback protocol, for an app that signs or builds reports itself (`SessionFeedbackClient`: package root).
 * @module express-bindid/protocol
 */
export { authorizationHeader, feedbackAuthValue } from './signing.js';
export type { AliasDeletedInput, AliasUpdatedInput, AuthenticationPerformedInput, SessionFeedbackReport } from './session-feedback-report.js';
export type { CustomUserData, CustomUserDataResult, CustomUserDataValue } from './custom-user-data.js';
export type { CircuitBreakerOptions } from './session-feedback-client-options.js';
export type { BackoffOptions } from '../internal/backoff.js';
