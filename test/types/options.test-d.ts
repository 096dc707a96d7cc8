/**
 * Type tests of the options objects (checked by `tsc -p tsconfig.json`, never run): what each
 * factory accepts, what it returns, and that unknown keys, missing required options and wrong
 * types are compile errors. Runtime validation (`ERR_BINDID_INVALID_OPTION`) is tested elsewhere;
 * these make sure the types refuse what the runtime refuses, at least where a type can say it.
 */
import type { Request, RequestHandler } from 'express';
import { expectTypeOf } from 'expect-type';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { type BindIdClaims, type BindIdRouter, type BindIdRouterOptions, type ConfirmMiddleware, bindIdRouter, type FeedbackResult, MemoryBindIdStore, type SendAuthenticationPerformedOptions, SessionFeedbackClient, type SessionFeedbackClientOptions, sendAuthenticationPerformed } from '../../src/index.js';
import type { FeedbackErrorEvent, LinkedEvent } from '../../src/confirm/confirm-options.js';
import type { LinkFailedEvent, RecognizedEvent } from '../../src/flow/flow-events.js';
import { type OutboxDeliveredEvent, type OutboxWorker, StoreOutbox } from '../../src/fail-open/index.js';
import type { ReportQueuedEvent } from '../../src/fail-open/failure-policy.js';

interface AppUser {
  id: number;
  email: string;
}
declare const user: AppUser;
declare const client: SessionFeedbackClient;

const router = {
  issuer: 'https://signin.bindid-sandbox.io',
  clientId: 'client',
  clientSecret: 'secret',
  apiUrl: 'https://api.bindid-sandbox.io',
  baseUrl: 'https://app.example.com',
  findUserByAlias: (_alias: string) => user,
};

// ---------------------------------------------------------------------------------------------
// bindIdRouter
// ---------------------------------------------------------------------------------------------
expectTypeOf(bindIdRouter(router)).toEqualTypeOf<BindIdRouter>();
expectTypeOf(bindIdRouter(router)).toMatchTypeOf<RequestHandler>();
expectTypeOf(bindIdRouter(router).outboxWorker).toEqualTypeOf<OutboxWorker | undefined>();
expectTypeOf(bindIdRouter<AppUser>).parameter(0).toEqualTypeOf<BindIdRouterOptions<AppUser>>();
expectTypeOf<BindIdRouterOptions>().toHaveProperty('issuer').toEqualTypeOf<string>();

// Every option at once, each with the type the README gives it; the user type flows into hooks.
bindIdRouter<AppUser>({
  ...router,
  client,
  passport: { authenticate: () => (() => undefined) as RequestHandler } as never,
  strategy: 'bindid-local',
  alias: (u, req) => {
    expectTypeOf(u).toEqualTypeOf<AppUser>();
    expectTypeOf(req).toEqualTypeOf<Request>();
    return Promise.resolve(String(u.id));
  },
  amr: ['pwd'],
  scope: 'openid email',
  paths: { login: '/in', callback: '/cb', confirm: '/confirm', cancel: '/cancel' },
  defaultReturnTo: '/account',
  render: (model, _req, res) => {
    expectTypeOf(model.view).toEqualTypeOf<'confirm' | 'expired' | 'already-linked'>();
    res.send(model.messages.title);
  },
  messages: { title: 'Confirmez' },
  pendingTtlSeconds: 300,
  maxAttempts: 3,
  httpTimeoutMs: 2000,
  onLinked: (event) => expectTypeOf(event).toEqualTypeOf<LinkedEvent<AppUser>>(),
  onFeedbackError: (event) => expectTypeOf(event).toEqualTypeOf<FeedbackErrorEvent>(),
  onLinkFailed: async (event) => expectTypeOf(event.reason).toEqualTypeOf<LinkFailedEvent['reason']>(),
  onRecognized: (event) => expectTypeOf(event).toEqualTypeOf<RecognizedEvent<AppUser>>(),
  now: () => 0,
});

// Hooks are not awaited and their result is ignored: anything may be returned (a mailer's promise,
// `res.send(...)` from a render hook), as the runtime allows.
declare function sendMail(to: string): Promise<{ messageId: string }>;
bindIdRouter<AppUser>({
  ...router,
  onLinked: ({ user: linked }) => sendMail(linked.email),
  onLinkFailed: () => 42,
  render: (model, _req, res) => res.status(200).send(model.view),
});
sendAuthenticationPerformed<AppUser>({ client, onLinked: ({ user: linked }) => sendMail(linked.email) });

// findUserByAlias: the user, a falsy "nobody", or a promise of either; it gets the claims and req.
bindIdRouter<AppUser>({ ...router, findUserByAlias: async () => null });
bindIdRouter<AppUser>({ ...router, findUserByAlias: () => false });
bindIdRouter<AppUser>({ ...router, findUserByAlias: () => undefined });
bindIdRouter<AppUser>({
  ...router,
  findUserByAlias: (alias, claims, req) => {
    expectTypeOf(claims).toEqualTypeOf<BindIdClaims>();
    expectTypeOf(req).toEqualTypeOf<Request>();
    return alias === String(user.id) ? user : null;
  },
});
// @ts-expect-error findUserByAlias must return the user type
bindIdRouter<AppUser>({ ...router, findUserByAlias: () => 'alice' });

// @ts-expect-error unknown key (a typo of clientSecret)
bindIdRouter({ ...router, clientSecert: 'x' });
// @ts-expect-error unknown key
bindIdRouter({ ...router, timeoutMs: 1000 });
// @ts-expect-error unknown key in paths
bindIdRouter({ ...router, paths: { logout: '/out' } });
// @ts-expect-error unknown message key
bindIdRouter({ ...router, messages: { heading: 'x' } });
// @ts-expect-error issuer is required
bindIdRouter({ ...router, issuer: undefined });
// @ts-expect-error findUserByAlias is required
bindIdRouter({ clientId: 'c', clientSecret: 's', issuer: 'https://i', baseUrl: 'https://a', apiUrl: 'https://api' });
// @ts-expect-error maxAttempts is a number
bindIdRouter({ ...router, maxAttempts: '5' });
// @ts-expect-error amr is an array of strings
bindIdRouter({ ...router, amr: 'pwd' });

// The failure policy: fail-open with its outbox, worker settings and events (no token in them).
bindIdRouter<AppUser>({
  ...router,
  failureMode: 'open',
  outbox: new StoreOutbox(new MemoryBindIdStore()),
  outboxWorker: {
    start: false,
    intervalMs: 1000,
    backoff: { baseMs: 100, maxMs: 1000 },
    onDelivered: (event) => expectTypeOf(event).toEqualTypeOf<OutboxDeliveredEvent>(),
    onDeadLetter: (event) => expectTypeOf(event.reason).toEqualTypeOf<'expired' | 'rejected'>(),
  },
  onReportQueued: (event) => {
    expectTypeOf(event).toEqualTypeOf<ReportQueuedEvent>();
    expectTypeOf(event.item).not.toHaveProperty('accessToken');
  },
  onRecognized: (event) => expectTypeOf(event.healed).toEqualTypeOf<boolean>(),
  onLinked: (event) => expectTypeOf(event.queued).toEqualTypeOf<boolean>(),
});
bindIdRouter({ ...router, failureMode: 'closed' });
bindIdRouter({ ...router, failureMode: 'open', outboxWorker: false });
// @ts-expect-error failureMode is 'closed' or 'open'
bindIdRouter({ ...router, failureMode: 'half-open' });
// @ts-expect-error outbox must be an Outbox
bindIdRouter({ ...router, failureMode: 'open', outbox: new MemoryBindIdStore() });
// @ts-expect-error outboxWorker is settings or false
bindIdRouter({ ...router, failureMode: 'open', outboxWorker: true });

// ---------------------------------------------------------------------------------------------
// sendAuthenticationPerformed
// ---------------------------------------------------------------------------------------------
expectTypeOf(sendAuthenticationPerformed({ client })).toEqualTypeOf<ConfirmMiddleware>();
expectTypeOf(sendAuthenticationPerformed({ client })).toMatchTypeOf<RequestHandler>();
expectTypeOf(sendAuthenticationPerformed({ client }).outboxWorker).toEqualTypeOf<OutboxWorker | undefined>();
sendAuthenticationPerformed({ clientSecret: 'secret', apiUrl: 'https://api.bindid-sandbox.io' });
sendAuthenticationPerformed({ clientSecret: () => process.env.BINDID_CLIENT_SECRET ?? '', apiUrl: 'https://api' });
sendAuthenticationPerformed<AppUser>({
  client,
  alias: (u) => u.email,
  amr: ['pwd'],
  logIn: false,
  onLinked: ({ user: linked, alias, sub, claims, result }) => {
    expectTypeOf(linked).toEqualTypeOf<AppUser>();
    expectTypeOf(alias).toEqualTypeOf<string>();
    expectTypeOf(sub).toEqualTypeOf<string>();
    expectTypeOf(claims).toEqualTypeOf<BindIdClaims>();
    expectTypeOf(result).toEqualTypeOf<FeedbackResult | undefined>();
  },
  onFeedbackError: ({ error }) => expectTypeOf(error.code).toBeString(),
  now: Date.now,
});
expectTypeOf<keyof SendAuthenticationPerformedOptions>().toEqualTypeOf<
  | 'client'
  | 'clientSecret'
  | 'apiUrl'
  | 'alias'
  | 'amr'
  | 'logIn'
  | 'onLinked'
  | 'onFeedbackError'
  | 'now'
  | 'store'
  | 'failureMode'
  | 'outbox'
  | 'outboxWorker'
  | 'onReportQueued'
>();
// @ts-expect-error unknown key (the router's option, not this middleware's)
sendAuthenticationPerformed({ client, maxAttempts: 3 });
// @ts-expect-error logIn is a boolean
sendAuthenticationPerformed({ client, logIn: 'yes' });
// @ts-expect-error alias must return a string
sendAuthenticationPerformed<AppUser>({ client, alias: (u) => u.id });

// ---------------------------------------------------------------------------------------------
// SessionFeedbackClient
// ---------------------------------------------------------------------------------------------
const feedback = new SessionFeedbackClient({
  clientSecret: 'secret',
  apiUrl: 'https://api.bindid-sandbox.io',
  timeoutMs: 5000,
  retries: 2,
  backoff: { baseMs: 100, maxMs: 2000 },
  maxResponseBytes: 65536,
  now: Date.now,
  random: Math.random,
  userAgent: 'my-app',
});
expectTypeOf(feedback.authenticationPerformed).parameter(0).toEqualTypeOf<{
  accessToken: string;
  alias: string;
  time?: number;
  amr?: string[];
}>();
expectTypeOf(feedback.authenticationPerformed).returns.resolves.toEqualTypeOf<FeedbackResult>();
expectTypeOf(feedback.aliasDeleted).toBeCallableWith({ accessToken: 'at' });
expectTypeOf<SessionFeedbackClientOptions['clientSecret']>().toEqualTypeOf<string | (() => string)>();
// @ts-expect-error apiUrl is required
new SessionFeedbackClient({ clientSecret: 'secret' });
// @ts-expect-error unknown key
new SessionFeedbackClient({ clientSecret: 'secret', apiUrl: 'https://api', timeout: 1000 });
// @ts-expect-error unknown backoff key
new SessionFeedbackClient({ clientSecret: 'secret', apiUrl: 'https://api', backoff: { initialMs: 1 } });
// @ts-expect-error the alias is required for authentication_performed
void feedback.authenticationPerformed({ accessToken: 'at' });

// ---------------------------------------------------------------------------------------------
// createEmulator
// ---------------------------------------------------------------------------------------------
expectTypeOf(createEmulator).returns.resolves.toEqualTypeOf<Emulator>();
expectTypeOf(createEmulator).toBeCallableWith();
void createEmulator({
  clientId: 'c',
  clientSecret: 's',
  redirectUris: ['http://localhost:3000/bindid/callback'],
  host: '127.0.0.1',
  signinPort: 0,
  apiPort: 0,
  identities: [{ id: 'carol', email: 'carol@example.com', phoneNumber: '+15555550100', name: 'Carol' }],
  aliasConflict: 'allow',
  faults: { 'session-feedback': { status: 503, retryAfter: '1', times: 1 }, token: { delayMs: 100 } },
  now: Date.now,
  accessTokenTtlSeconds: 60,
});
expectTypeOf<EmulatorOptions['aliasConflict']>().toEqualTypeOf<'reject' | 'allow' | undefined>();
// @ts-expect-error aliasConflict is 'reject' or 'allow'
void createEmulator({ aliasConflict: 'deny' });
// @ts-expect-error unknown endpoint for a fault
void createEmulator({ faults: { logout: { status: 500 } } });
// @ts-expect-error unknown key
void createEmulator({ port: 9080 });
declare const emulator: Emulator;
// @ts-expect-error unknown endpoint for setFault
emulator.setFault('revoke', { drop: true });
expectTypeOf(emulator.reports()[0]?.headerForm).toEqualTypeOf<'token-and-hmac' | 'hmac-only' | 'none' | 'malformed' | undefined>();
