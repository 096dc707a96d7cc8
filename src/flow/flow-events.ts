/** The payloads of the events. */
import type { Request } from 'express';
import type { BindIdError } from '../errors.js';
import type { FeedbackResult } from '../feedback/session-feedback-client.js';
import type { BindIdClaims } from '../session/pending-login.js';
import type { FeedbackErrorEvent, LinkedEvent } from '../confirm/confirm-options.js';
import type { ReportQueuedEvent } from '../fail-open/failure-policy.js';

/** Payload of the `onRecognized` event: a returning BindID user signed in by alias. */
export interface RecognizedEvent<U> {
  req: Request;
  user: U;
  alias: string;
  claims: BindIdClaims;
  /** Self-heal: no `bindid_alias` in the ID token, but a fail-open link here; the report went again with the new token. */
  healed: boolean;
}

/** Payload of the `onLinkFailed` event: a confirmation attempt did not link. */
export interface LinkFailedEvent {
  req: Request;
  /**
   * Why. `already_linked`: the app's link registry (`ERR_BINDID_ALREADY_LINKED`) or BindID (409) refused a
   * second link; `cancelled`: "not me"; `invalid_alias`: an ID token's unusable `bindid_alias` (never "fixed").
   */
  reason: 'bad_credentials' | 'too_many_attempts' | 'feedback_failed' | 'already_linked' | 'cancelled' | 'invalid_alias';
  sub: string;
  /** The coded error, for `feedback_failed`, `already_linked` and `invalid_alias`. */
  error?: BindIdError;
}

/** Payload of the `onUnlinked` event: the signed-in user unlinked BindID (`alias_deleted` accepted, link forgotten). */
export interface UnlinkedEvent<U> {
  req: Request;
  user: U;
  alias: string;
  sub: string;
  /** How the `alias_deleted` report went (status, attempts, duration). */
  result: FeedbackResult;
}

/** The payload of each event hook by its name: `BindIdEvents<User>['onLinked']` is what `onLinked` receives (docs/events.md). */
export interface BindIdEvents<U = Express.User> {
  onLinked: LinkedEvent<U>;
  onFeedbackError: FeedbackErrorEvent;
  onLinkFailed: LinkFailedEvent;
  onRecognized: RecognizedEvent<U>;
  onUnlinked: UnlinkedEvent<U>;
  onReportQueued: ReportQueuedEvent;
}
