/**
 * One app instance for the multi-instance Redis suite, run in its own process (forked by
 * `instances.ts` under `node --import tsx`), as a real deployment runs one process per instance:
 * nothing it keeps in its own memory can help another instance.
 *
 * - Sessions: connect-redis (`RedisStore`) on a node-redis client: `createClient`, or `createCluster`
 *   on a Redis Cluster (`INSTANCE_REDIS_CLUSTER=1`).
 * - Attempt counters, single-use claims, the link registry: `RedisBindIdStore` on the same client.
 * - Fail-open outbox (`INSTANCE_FAILURE_MODE=open`): `StoreOutbox` on that `RedisBindIdStore`, with
 *   the router's outbox worker running on a short timer.
 * - Unlinking (`POST /bindid/unlink`, its CSRF token at `GET /csrf`); with `INSTANCE_HOLD_UNLINKS=1`
 *   BindID's answer to `alias_deleted` is held, once BindID applied it, while the gate is closed.
 *
 * Every instance has the same public origin (`INSTANCE_BASE_URL`), as behind a load balancer. It
 * tells the parent over IPC when it is ready (`{ type: 'ready', port }`) and what happened (`{ type:
 * 'event', name, sub, alias, reason?, code? }`: linked, link-failed, queued, delivered, retry,
 * dead-letter, recognized, unlinked, unlink-held), never with a token. It stops on `disconnect` (or is killed by the test).
 *
 * The node-redis client is made to fail fast while Redis is unreachable (`disableOfflineQueue`),
 * so a request fails closed at once rather than waiting for the reconnection.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisStore } from 'connect-redis';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { createClient, createCluster } from 'redis';
import { bindIdRouter, createLocalStrategy, csrfToken, type FeedbackResult, isBindIdError, RedisBindIdStore, SessionFeedbackClient } from '../../src/index.js';
import type { SessionFeedbackReport } from '../../src/feedback/session-feedback-report.js';
import { StoreOutbox } from '../../src/fail-open/index.js';

interface User {
  id: number;
  username: string;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const name = env('INSTANCE_NAME');
const failureMode = env('INSTANCE_FAILURE_MODE') === 'open' ? 'open' : 'closed';

/** Users `user<n>` (1 ≤ n ≤ 10,000) with password `pw-<n>`; the alias is the id. No hashing: the test is about state, not cost. */
function findUser(username: string): User | undefined {
  const match = /^user([1-9]\d{0,3})$/.exec(username);
  return match ? { id: Number(match[1]), username } : undefined;
}

type Event = { name: string; sub?: string; alias?: string; reason?: string; code?: string; username?: string };
function tell(event: Event): void {
  if (process.connected) process.send?.({ type: 'event', instance: name, ...event });
}

// Every token request this instance makes (the library's go over node:https/node:http) is told to
// the parent as `token-request`, so a test can count them across instances (N122).
diagnostics.subscribe('http.client.request.start', (message) => {
  const { request } = message as { request: ClientRequest };
  if (request.path.split('?')[0]?.endsWith('/token')) tell({ name: 'token-request' });
});

// One server (`INSTANCE_REDIS_URL`) or a cluster (`INSTANCE_REDIS_CLUSTER=1`, the URLs of its nodes, comma-separated).
const urls = env('INSTANCE_REDIS_URL').split(',');
const clientOptions = {
  disableOfflineQueue: true,
  socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(25 * (retries + 1), 200) },
};
const single = process.env.INSTANCE_REDIS_CLUSTER === '1' ? undefined : createClient({ url: urls[0], ...clientOptions });
const cluster = single ? undefined : createCluster({ rootNodes: urls.map((url) => ({ url })), defaults: clientOptions });
const redis = (single ?? cluster) as NonNullable<typeof single | typeof cluster>;
redis.on('error', () => {}); // reconnection is the client's job; requests fail closed meanwhile
await redis.connect();
const ping = (): Promise<unknown> => (single ? single.ping() : (cluster as NonNullable<typeof cluster>).sendCommand(undefined, true, ['PING']));

const store = new RedisBindIdStore(redis);

/**
 * With `INSTANCE_GATED=1` every password check is told to the parent (`verify`, with the username)
 * and then held until the parent opens the gate (`{ type: 'gate', open: true }`; `open: false`
 * closes it again), so a test can hold the checks a burst let through. With `INSTANCE_HOLD_UNLINKS=1`
 * the same gate holds BindID's answers to `alias_deleted` (told as `unlink-held`).
 */
const gated = process.env.INSTANCE_GATED === '1';
const holdUnlinks = process.env.INSTANCE_HOLD_UNLINKS === '1';
let gate: { promise: Promise<void>; open: () => void } | undefined;
const closeGate = () => {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  gate = { promise, open };
};
if (gated || holdUnlinks) closeGate();
process.on('message', (message: { type?: string; open?: boolean }) => {
  if (message?.type !== 'gate') return;
  if (message.open) gate?.open();
  else closeGate();
  process.send?.({ type: 'gate-set', open: Boolean(message.open) });
});

/** The reports' client: an `alias_deleted` that BindID answered waits at the gate (`INSTANCE_HOLD_UNLINKS=1`). */
class UnlinkHoldingClient extends SessionFeedbackClient {
  override async send(accessToken: string, report: SessionFeedbackReport): Promise<FeedbackResult> {
    const result = await super.send(accessToken, report);
    if (holdUnlinks && report.type === 'alias_deleted') {
      tell({ name: 'unlink-held', alias: report.alias });
      await gate?.promise;
    }
    return result;
  }
}
const client = new UnlinkHoldingClient({
  clientSecret: env('INSTANCE_CLIENT_SECRET'),
  apiUrl: env('INSTANCE_API_URL'),
  retries: 0,
  timeoutMs: 1000,
  circuitBreaker: false,
});

const passport = new Passport();
passport.serializeUser((user, done) => done(null, (user as User).id));
passport.deserializeUser((id: number, done) => done(null, findUser(`user${id}`) ?? false));
passport.use(
  createLocalStrategy<User>({
    verify: async (username, password) => {
      if (gated) {
        tell({ name: 'verify', username });
        await gate?.promise;
      }
      const user = findUser(username);
      return user && password === `pw-${user.id}` ? user : false;
    },
  }),
);

const app = express();
app.use(
  session({
    store: new RedisStore({ client: redis, prefix: 'sess:' }),
    secret: 'redis-suite-session-secret',
    resave: false,
    saveUninitialized: false,
  }),
);
app.use(passport.initialize());
app.use(passport.session());
const router = bindIdRouter<User>({
  issuer: env('INSTANCE_ISSUER'),
  clientId: env('INSTANCE_CLIENT_ID'),
  clientSecret: env('INSTANCE_CLIENT_SECRET'),
  client,
  baseUrl: env('INSTANCE_BASE_URL'),
  passport,
  findUserByAlias: (alias) => findUser(`user${alias}`) ?? null,
  store,
  maxAttempts: Number(env('INSTANCE_MAX_ATTEMPTS')),
  attemptLimits: { perAccount: Number(env('INSTANCE_PER_ACCOUNT')), perIp: 10_000, windowSeconds: 900 },
  onLinked: (e) => tell({ name: 'linked', sub: e.sub, alias: e.alias, reason: e.queued ? 'queued' : 'sent' }),
  onLinkFailed: (e) => tell({ name: 'link-failed', sub: e.sub, reason: e.reason, ...(e.error ? { code: e.error.code } : {}) }),
  onRecognized: (e) => tell({ name: 'recognized', sub: e.claims.sub, alias: e.alias }),
  onUnlinked: (e) => tell({ name: 'unlinked', sub: e.sub, alias: e.alias }),
  ...(failureMode === 'open'
    ? {
        failureMode: 'open' as const,
        // INSTANCE_DEFAULT_OUTBOX=1: no `outbox` option, so the default one, in `store`.
        ...(process.env.INSTANCE_DEFAULT_OUTBOX === '1' ? {} : { outbox: new StoreOutbox(store) }),
        onReportQueued: (e) => tell({ name: 'queued', sub: e.sub, alias: e.alias, code: e.code }),
        outboxWorker: {
          intervalMs: 100,
          leaseMs: 3000, // a killed instance's claim frees up soon
          backoff: { baseMs: 50, maxMs: 200 },
          onDelivered: (e) => tell({ name: 'delivered', sub: e.item.sub, alias: e.item.report.alias }),
          onRetry: (e) => tell({ name: 'retry', sub: e.item.sub, alias: e.item.report.alias, code: e.code }),
          onDeadLetter: (e) => tell({ name: 'dead-letter', sub: e.item.sub, alias: e.item.report.alias, reason: e.reason }),
        },
      }
    : {}),
});
app.use(router);
// The CSRF token of the session, for the signed-in user's unlink form.
app.get('/csrf', (req, res) => {
  res.json({ csrf: csrfToken(req) });
});
app.get('/whoami', (req, res) => {
  res.json({ instance: name, user: req.user ?? null });
});
// Whether this instance reaches Redis now (the session middleware only asks Redis for requests with a cookie).
app.get('/healthz', (_req, res) => {
  ping().then(
    () => res.json({ redis: 'up' }),
    () => res.status(503).json({ redis: 'down' }),
  );
});
app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
  // express-session's save can fail after the answer started (Redis restarting): Express closes it.
  if (res.headersSent) return next(err);
  if (isBindIdError(err)) return res.status(err.status).json({ code: err.code });
  res.status(500).json({ code: 'unexpected' });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});

process.on('disconnect', async () => {
  await router.outboxWorker?.stop();
  server.close();
  server.closeAllConnections();
  client.close();
  await redis.close().catch(() => {});
  process.exit(0);
});
