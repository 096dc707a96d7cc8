/**
 * Scenario `outbox` (issue 15 §5): what the fail-open outbox worker costs as the app grows. A real
 * `redis-server` (started here on 127.0.0.1, no persistence) holds 1,000 queued reports in the
 * outbox (`StoreOutbox` on `RedisBindIdStore`) beside 0, 10,000 or 100,000 unrelated sessions
 * (connect-redis-shaped `sess:<id>` keys), each size in its own Redis database so that runs of the
 * three sizes can alternate without refilling. Measured per size:
 *
 * - the CPU of one idle worker tick (the 1,000 reports queued, none due): this process plus the
 *   Redis server (`INFO cpu`), over many ticks;
 * - the delivery rate: the 1,000 reports made due and delivered to the emulator by one worker
 *   running its ticks back to back (`batchSize` 20, the default), and the CPU per delivered report.
 *
 * The tick must not grow with the unrelated sessions: the outbox reads its index, never the keys.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RedisBindIdStore, SessionFeedbackClient } from 'express-bindid';
import { OutboxWorker, outboxId, StoreOutbox } from 'express-bindid/outbox';
import { createClient, type RedisClientType } from 'redis';
import { num, range, type Section } from '../lib/report.js';
import { spread } from '../lib/stats.js';
import { type MintedLogin, mintLogins } from '../lib/tokens.js';
import type { BenchContext } from './context.js';

interface Sizes {
  sessions: number[];
  queued: number;
  runs: number;
  idleTicks: number;
}
const FULL_SIZES: Sizes = { sessions: [0, 10_000, 100_000], queued: 1000, runs: 5, idleTicks: 3000 };
const SMOKE_SIZES: Sizes = { sessions: [0, 200, 2000], queued: 20, runs: 1, idleTicks: 50 };

/** A session as connect-redis stores it (about 250 bytes of JSON). */
function sessionJson(i: number): string {
  return JSON.stringify({
    cookie: { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000).toISOString(), httpOnly: true, path: '/' },
    passport: { user: i },
    bindid: { csrf: 'x'.repeat(43) },
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A throwaway redis-server on 127.0.0.1 (no persistence), and how to stop it. */
async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'express-bindid-bench-redis-'));
  const bin = process.env.REDIS_SERVER || 'redis-server';
  const proc: ChildProcess = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--databases', '4'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = createClient({ url });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.close();
      break;
    } catch {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`${bin} did not start (is it installed?)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Redis server's own CPU time so far, in µs (`INFO cpu`). */
async function redisCpuMicros(client: RedisClientType): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
}

function ownCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** One database holding `sessions` unrelated sessions, the outbox on it, and a control client. */
interface Db {
  sessions: number;
  client: RedisClientType;
  outbox: StoreOutbox;
}

async function fillSessions(client: RedisClientType, count: number): Promise<void> {
  for (let i = 0; i < count; i += 5000) {
    const batch = client.multi();
    for (let j = i; j < Math.min(count, i + 5000); j++) batch.set(`sess:${j.toString(36)}-${'s'.repeat(20)}`, sessionJson(j), { PX: 86_400_000 });
    await batch.exec();
  }
}

/** Queue one report per login, due at `dueAt`. */
async function queue(outbox: StoreOutbox, logins: readonly MintedLogin[], dueAt: number): Promise<void> {
  await Promise.all(
    logins.map((login, i) => {
      const alias = `outbox-bench-${i}`;
      const now = Date.now();
      return outbox.enqueue({
        id: outboxId(login.claims.sub, alias),
        accessToken: login.accessToken,
        report: { type: 'authentication_performed', alias, time: Math.floor(now / 1000) },
        sub: login.claims.sub,
        expiresAt: now + 3_000_000,
        attempts: 0,
        nextAttemptAt: dueAt,
        createdAt: now,
      });
    }),
  );
}

export async function outboxScale(ctx: BenchContext): Promise<Section> {
  const sizes = ctx.config.smoke ? SMOKE_SIZES : FULL_SIZES;
  ctx.log(`outbox: minting ${sizes.queued} BindID logins`);
  const logins = await mintLogins(ctx.bindid, sizes.queued);
  const redis = await startRedis();
  const client = new SessionFeedbackClient({ clientSecret: ctx.bindid.clientSecret, apiUrl: ctx.bindid.apiUrl, retries: 0, circuitBreaker: false });
  const dbs: Db[] = [];
  try {
    for (const [index, sessions] of sizes.sessions.entries()) {
      const c = createClient({ url: redis.url, database: index }) as RedisClientType;
      await c.connect();
      ctx.log(`outbox: ${num(sessions, 0)} sessions in database ${index}`);
      await fillSessions(c, sessions);
      dbs.push({ sessions, client: c, outbox: new StoreOutbox(new RedisBindIdStore(c)) });
    }
    const idle = new Map<number, number[]>(sizes.sessions.map((n) => [n, []]));
    const ratios: number[] = [];
    const rate = new Map<number, number[]>(sizes.sessions.map((n) => [n, []]));
    const perReport = new Map<number, number[]>(sizes.sessions.map((n) => [n, []]));
    const control = dbs[0]?.client as RedisClientType;
    for (let run = 0; run < sizes.runs; run++) {
      const order = run % 2 === 0 ? dbs : [...dbs].reverse();
      const tickCpu = new Map<number, number>();
      for (const db of order) {
        ctx.log(`outbox: run ${run + 1}/${sizes.runs}, ${num(db.sessions, 0)} sessions`);
        const dueAt = Date.now() + 60_000;
        await queue(db.outbox, logins, dueAt);
        // Idle ticks: the reports queued, none due yet.
        const idleWorker = new OutboxWorker({ outbox: db.outbox, client, now: () => dueAt - 1 });
        for (let i = 0; i < sizes.idleTicks / 10; i++) await idleWorker.runOnce(); // warm-up
        const [ownBefore, redisBefore] = [ownCpuMicros(), await redisCpuMicros(control)];
        for (let i = 0; i < sizes.idleTicks; i++) await idleWorker.runOnce();
        const [ownAfter, redisAfter] = [ownCpuMicros(), await redisCpuMicros(control)];
        const perTick = (ownAfter - ownBefore + (redisAfter - redisBefore)) / sizes.idleTicks;
        tickCpu.set(db.sessions, perTick);
        idle.get(db.sessions)?.push(perTick);
        // Delivery: all of them due; one worker, ticks back to back.
        const worker = new OutboxWorker({ outbox: db.outbox, client, now: () => Date.now() + 120_000 });
        const started = performance.now();
        const [own0, redis0] = [ownCpuMicros(), await redisCpuMicros(control)];
        let delivered = 0;
        for (let tick = 0; delivered < sizes.queued && tick < sizes.queued; tick++) {
          const result = await worker.runOnce();
          delivered += result.delivered;
          if (result.retried + result.deadLettered + result.failed > 0) throw new Error(`outbox: a report was not delivered: ${JSON.stringify(result)}`);
        }
        const seconds = (performance.now() - started) / 1000;
        const [own1, redis1] = [ownCpuMicros(), await redisCpuMicros(control)];
        if (delivered !== sizes.queued) throw new Error(`outbox: ${delivered} of ${sizes.queued} delivered`);
        rate.get(db.sessions)?.push(delivered / seconds);
        perReport.get(db.sessions)?.push((own1 - own0 + (redis1 - redis0)) / delivered);
      }
      const base = tickCpu.get(sizes.sessions[0] as number) as number;
      ratios.push((tickCpu.get(sizes.sessions.at(-1) as number) as number) / base);
    }
    const largest = sizes.sessions.at(-1) as number;
    const ratio = spread(ratios);
    const keysIn = async (db: Db) => db.client.dbSize();
    const rows: string[][] = [];
    for (const db of dbs) {
      const i = spread(idle.get(db.sessions) ?? []);
      rows.push([
        num(db.sessions, 0),
        num(await keysIn(db), 0),
        range(i, 0),
        range(spread((idle.get(db.sessions) ?? []).map((v, k) => v / (idle.get(sizes.sessions[0] as number)?.[k] ?? Number.NaN))), 2),
        range(spread(rate.get(db.sessions) ?? []), 0),
        range(spread(perReport.get(db.sessions) ?? []), 0),
      ]);
    }
    return {
      title: '6. Fail-open outbox at scale',
      method: [
        `A real \`redis-server\` on 127.0.0.1 holds ${num(sizes.queued, 0)} queued reports in the outbox (\`StoreOutbox\` on ` +
          `\`RedisBindIdStore\`, node-redis) beside ${sizes.sessions.map((n) => num(n, 0)).join(', ')} unrelated sessions ` +
          '(connect-redis-shaped `sess:` keys), each size in its own database; the sizes alternate within each of ' +
          `${sizes.runs} runs. **Idle tick**: the CPU of one \`OutboxWorker.runOnce()\` with every report queued and none due ` +
          `(this process plus the Redis server's \`INFO cpu\`), over ${num(sizes.idleTicks, 0)} ticks. **Delivery**: the reports ` +
          'made due and delivered to the emulator by one worker (`batchSize` 20) ticking back to back; CPU per report ' +
          'counts this process and Redis, not the emulator.',
      ],
      tables: [
        {
          title: 'Outbox worker',
          headers: ['unrelated sessions', 'keys in the database after the run', 'idle tick CPU µs', 'idle tick vs 0 sessions', 'delivered reports/s', 'CPU µs per delivered report'],
          rows,
        },
      ],
      targets: [
        {
          target: `outbox idle tick CPU with ${num(largest, 0)} unrelated sessions ≤ 1.2 × with 0`,
          measured: `${range(ratio, 2)} ×`,
          met: ratio.median <= 1.2,
        },
      ],
      figures: [...ratios, ...[...idle.values()].flat(), ...[...rate.values()].flat(), ...[...perReport.values()].flat()],
    };
  } finally {
    client.close();
    for (const db of dbs) await db.client.close().catch(() => {});
    await redis.stop();
  }
}
