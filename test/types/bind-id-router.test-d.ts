/**
 * Type tests of what `bindIdRouter` returns (checked by `tsc -p tsconfig.json`, never run): a request
 * handler with its outbox worker, and none of the Router's members (routes added to it would never
 * be reached).
 */
import type { RequestHandler, Router } from 'express';
import { expectTypeOf } from 'expect-type';
import { type BindIdRouter, type BindIdRouterOptions, bindIdRouter, type SendAuthenticationPerformedOptions } from '../../src/index.js';
import type { OutboxDeliveredEvent, OutboxWorker } from '../../src/fail-open/index.js';
import type { OutboxWorkerSettings } from '../../src/fail-open/failure-policy.js';

expectTypeOf<BindIdRouter>().toMatchTypeOf<RequestHandler>();
expectTypeOf<BindIdRouter>().toHaveProperty('outboxWorker').toEqualTypeOf<OutboxWorker | undefined>();
expectTypeOf<BindIdRouter>().not.toHaveProperty('use');
expectTypeOf<BindIdRouter>().not.toHaveProperty('get');
expectTypeOf<BindIdRouter>().not.toHaveProperty('post');
expectTypeOf<BindIdRouter>().not.toHaveProperty('route');
expectTypeOf<BindIdRouter>().not.toMatchTypeOf<Router>();
expectTypeOf(bindIdRouter).returns.toEqualTypeOf<BindIdRouter>();

// Options declared once: the router takes the middleware's reporting options (not logIn), the same types.
expectTypeOf<BindIdRouterOptions>().not.toHaveProperty('logIn');
expectTypeOf<BindIdRouterOptions['outboxWorker']>().toEqualTypeOf<SendAuthenticationPerformedOptions['outboxWorker']>();
expectTypeOf<BindIdRouterOptions['alias']>().toEqualTypeOf<SendAuthenticationPerformedOptions['alias']>();
expectTypeOf<BindIdRouterOptions['clientSecret']>().toEqualTypeOf<string>();

// The worker settings are the worker's options but outbox, client and clock, plus start; hooks may return anything.
expectTypeOf<keyof OutboxWorkerSettings>().toEqualTypeOf<
  'start' | 'intervalMs' | 'batchSize' | 'backoff' | 'leaseMs' | 'random' | 'onDelivered' | 'onRetry' | 'onDeadLetter'
>();
expectTypeOf<{ onDelivered: (event: OutboxDeliveredEvent) => number }>().toMatchTypeOf<OutboxWorkerSettings>();
expectTypeOf<{ random: () => number }>().toMatchTypeOf<OutboxWorkerSettings>();
// @ts-expect-error random takes no event and returns a number
expectTypeOf<{ random: () => string }>().toMatchTypeOf<OutboxWorkerSettings>();
