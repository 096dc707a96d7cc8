/**
 * Type tests of what `bindIdRouter` returns (checked by `tsc -p tsconfig.json`, never run): a request
 * handler with its outbox worker, and none of the Router's members (routes added to it would never
 * be reached).
 */
import type { RequestHandler, Router } from 'express';
import { expectTypeOf } from 'expect-type';
import { type BindIdRouter, bindIdRouter, type OutboxWorker } from '../../src/index.js';

expectTypeOf<BindIdRouter>().toMatchTypeOf<RequestHandler>();
expectTypeOf<BindIdRouter>().toHaveProperty('outboxWorker').toEqualTypeOf<OutboxWorker | undefined>();
expectTypeOf<BindIdRouter>().not.toHaveProperty('use');
expectTypeOf<BindIdRouter>().not.toHaveProperty('get');
expectTypeOf<BindIdRouter>().not.toHaveProperty('post');
expectTypeOf<BindIdRouter>().not.toHaveProperty('route');
expectTypeOf<BindIdRouter>().not.toMatchTypeOf<Router>();
expectTypeOf(bindIdRouter).returns.toEqualTypeOf<BindIdRouter>();
