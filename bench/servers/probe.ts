/**
 * The responsiveness probe: `GET <url>/healthz` every few ms over one keep-alive connection, in its
 * own process so that a busy load generator does not inflate what it measures. `start` begins a
 * series, `stop` ends it and answers the latencies' percentiles.
 *
 * @module
 */
import http from 'node:http';
import { serve } from '../lib/rpc.js';
import { summarize } from '../lib/stats.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let running = false;
let samples: number[] = [];
let errors = 0;
let done: Promise<void> = Promise.resolve();

function once(url: string): Promise<void> {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(url, { agent, timeout: 30_000 }, (res) => {
      res.resume();
      res.once('end', () => {
        if (res.statusCode === 200) samples.push(performance.now() - started);
        else errors += 1;
        resolve();
      });
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => {
      errors += 1;
      resolve();
    });
  });
}

async function loop(url: string, intervalMs: number): Promise<void> {
  while (running) {
    const started = performance.now();
    await once(url);
    const wait = intervalMs - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

serve(
  {},
  {
    start: (arg) => {
      const { url, intervalMs } = arg as { url: string; intervalMs: number };
      samples = [];
      errors = 0;
      running = true;
      done = loop(`${url}/healthz`, intervalMs);
      return true;
    },
    stop: async () => {
      running = false;
      await done;
      return { ...summarize(samples), errors };
    },
  },
  () => agent.destroy(),
);
