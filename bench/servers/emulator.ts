/**
 * The BindID emulator as the benchmarks' BindID, in its own process (started by bench/run.ts).
 * Faults are set over IPC (`setFault`), so setting one adds no HTTP request to a measured server.
 *
 * @module
 */
import { createEmulator, type EmulatorEndpoint, type Fault } from 'express-bindid/emulator';
import { serve, startCounting } from '../lib/rpc.js';
import { MINT_REDIRECT_URI } from '../lib/tokens.js';

process.setSourceMapsEnabled(false);

const clientSecret = process.env.BENCH_CLIENT_SECRET;
if (!clientSecret) throw new Error('BENCH_CLIENT_SECRET is not set');

const emulator = await createEmulator({ clientSecret, redirectUris: [MINT_REDIRECT_URI] });
startCounting();
serve(
  { issuer: emulator.issuer, apiUrl: emulator.apiUrl, clientId: emulator.clientId },
  {
    setFault: (arg) => {
      const { endpoint, fault } = arg as { endpoint: EmulatorEndpoint; fault: Fault | null };
      emulator.setFault(endpoint, fault ?? undefined);
      return true;
    },
    reportCount: () => emulator.reports().length,
  },
  () => emulator.close(),
);
