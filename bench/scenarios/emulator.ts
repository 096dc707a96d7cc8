/**
 * Scenario 4, emulator capacity: `POST /session-feedback` on the emulator alone (a valid signed
 * `authentication_performed` report, answered 200), so that no other scenario is bounded by it.
 *
 * @module
 */
import { authorizationHeader } from 'express-bindid/protocol';
import { runLoad, unexpected } from '../lib/load.js';
import { num, range, type Section } from '../lib/report.js';
import { spread } from '../lib/stats.js';
import { mintLogins } from '../lib/tokens.js';
import type { BenchContext } from './context.js';

export async function emulatorCapacity(ctx: BenchContext): Promise<Section> {
  const { runs, seconds, connections } = ctx.config.emulator;
  const [login] = await mintLogins(ctx.bindid, 1);
  if (!login) throw new Error('no login minted');
  const body = JSON.stringify({
    subject_session_at: login.accessToken,
    reports: [{ type: 'authentication_performed', alias: 'capacity-1', time: Math.floor(Date.now() / 1000) }],
  });
  const rps: number[] = [];
  const p99: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    ctx.log(`emulator: run ${run + 1}/${runs}`);
    const before = await ctx.emulator.stats();
    const result = await runLoad({
      url: `${ctx.bindid.apiUrl}/session-feedback`,
      connections,
      duration: seconds,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: authorizationHeader(ctx.bindid.clientSecret, login.accessToken),
      },
      body,
    });
    const after = await ctx.emulator.stats();
    if (unexpected(result, [200]) > 0) throw new Error(`emulator: ${JSON.stringify(result.statuses)}`);
    rps.push(result.rps);
    p99.push(result.latency.p99);
    cpu.push((after.cpuMicros - before.cpuMicros) / 1000 / result.count);
  }
  const r = spread(rps);
  return {
    chart: {
      name: 'emulator',
      title: 'Emulator capacity against its target (5,000 req/s)',
      subtitle: `req/s ÷ 5,000, median of ${runs} runs, min–max whiskers; ≥ 1: target met`,
      groups: [{ title: 'POST /session-feedback', bars: [{ label: 'req/s ÷ 5,000', value: spread(rps.map((v) => v / 5000)), target: 1 }] }],
    },
    title: '4. Emulator capacity',
    method: [
      `autocannon straight at the emulator's \`POST /session-feedback\` with a valid signed ` +
        `\`authentication_performed\` report (200 each), ${connections} keep-alive connections, ${seconds} s, ${runs} runs.`,
    ],
    tables: [
      {
        title: 'Emulator',
        headers: ['endpoint', 'req/s', 'p99 ms', 'emulator CPU ms/req'],
        rows: [['POST /session-feedback', range(r), range(spread(p99), 2), range(spread(cpu), 3)]],
      },
    ],
    targets: [{ target: 'emulator ≥ 5,000 req/s', measured: `${num(r.median, 0)} req/s`, met: r.median >= 5000 }],
    figures: [r.median, ...p99, ...cpu],
  };
}
