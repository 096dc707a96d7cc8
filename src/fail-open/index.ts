/**
 * `express-bindid/outbox`: fail-open's outbox and its worker, for an app that runs its own worker (`outboxWorker: false`) or keeps
 * reports in its own outbox. The router and the middleware build both by default (`failureMode: 'open'`); docs/fail-open.md.
 * @module express-bindid/outbox
 */
export { type Outbox, type OutboxItem, type OutboxItemInfo, outboxId } from './outbox.js';
export { StoreOutbox, type StoreOutboxOptions } from './store-outbox.js';
export {
  type OutboxDeadLetterEvent,
  type OutboxDeliveredEvent,
  type OutboxRetryEvent,
  type OutboxRunResult,
  type OutboxSender,
  OutboxWorker,
  type OutboxWorkerOptions,
} from './outbox-worker.js';
