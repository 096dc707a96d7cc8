/**
 * `close()` of the emulator in real time: `npm run test:timing` (one worker), not `npm test`.
 *
 * robustness.test.ts checks on a fake clock that close() waits neither for a delayed answer's timer
 * nor for a hung request; this suite checks the whole of it against the real clock, the idle
 * keep-alive connection included (Node's own timers, which no fake clock moves): close() returns
 * within CLOSE_MS (1 s). A close that waited for the keep-alive timeout (5 s), the 60 s delay or the
 * hung request would take 5 s or more; a sound one takes a few milliseconds, so 1 s is the margin of
 * a loaded machine.
 */
import http from 'node:http';
import { httpTraffic, until } from '../helpers/fake-clock.js';
import { startEmulator } from './helpers.js';

const CLOSE_MS = 1000;

it('close() ends keep-alive, hung and delayed connections within 1 s of real time', async () => {
  const emu = await startEmulator();
  emu.setFault('userinfo', { hang: true });
  emu.setFault('discovery', { delayMs: 60_000 });
  const agent = new http.Agent({ keepAlive: true });
  const traffic = httpTraffic();
  try {
    await new Promise<void>((resolve, reject) => {
      http.get(`${emu.issuer}/jwks`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
    const hung = fetch(`${emu.issuer}/userinfo`).then(
      () => 'answered',
      () => 'failed',
    );
    const delayed = fetch(`${emu.issuer}/.well-known/openid-configuration`).then(
      () => 'answered',
      () => 'failed',
    );
    await until(
      () => traffic.received.includes('/userinfo') && traffic.received.includes('/.well-known/openid-configuration'),
      'the emulator holds both requests',
    );
    const started = performance.now();
    await emu.close();
    expect(performance.now() - started).toBeLessThan(CLOSE_MS);
    expect(await hung).toBe('failed');
    expect(await delayed).toBe('failed');
  } finally {
    traffic.stop();
    agent.destroy();
    await emu.close();
  }
});
