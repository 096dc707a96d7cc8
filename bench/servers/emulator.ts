/**
 * The BindID emulator as the benchmarks' BindID, in its own process (started by bench/run.ts).
 * Faults are set over IPC (`setFault`), so setting one adds no HTTP request to a measured server.
 *
 * The emulator serves plain HTTP. BindID's real API is HTTPS only, so this process also runs a TLS
 * terminator in front of the emulator's API port (`apiTlsUrl`): each TLS connection is piped to one
 * plain connection to the emulator, so keep-alive on one side is keep-alive on the other. Its key
 * and certificate are the test-only self-signed pair for 127.0.0.1 of test/fixtures (the apps that
 * use it trust it with NODE_EXTRA_CA_CERTS).
 *
 * The signin scenario starts its own emulator with `BENCH_TLS=1`: then the emulator itself serves
 * both sides over HTTPS (its `tls` option: the issuer is `https://`, as BindID's), and there is no
 * terminator (`apiTlsUrl` is the API URL). `BENCH_RETURNING=<n>` adds n returning users `r0`...,
 * whose alias `u0`... is already set, as after a confirmation long ago. `BENCH_IDENTITIES=<n>` adds n
named identities `c0`... for the confirm and down scenarios' logins (bench/lib/tokens.ts).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { createEmulator, type EmulatorEndpoint, type Fault } from 'express-bindid/emulator';
import { serve, startCounting } from '../lib/rpc.js';
import { TLS_CERT_FILE, TLS_KEY_FILE } from '../lib/tls.js';
import { identityId, MINT_REDIRECT_URI } from '../lib/tokens.js';

process.setSourceMapsEnabled(false);

const clientSecret = process.env.BENCH_CLIENT_SECRET;
if (!clientSecret) throw new Error('BENCH_CLIENT_SECRET is not set');

// The signin scenario's emulator: HTTPS on both sides (BENCH_TLS=1) and BENCH_RETURNING returning
// users `r<n>`, whose alias `u<n>` is set as if they had confirmed long ago.
const tlsPair = { key: readFileSync(TLS_KEY_FILE), cert: readFileSync(TLS_CERT_FILE) };
const returning = Number(process.env.BENCH_RETURNING ?? 0);
const named = Number(process.env.BENCH_IDENTITIES ?? 0);
const identities = [
  ...Array.from({ length: returning }, (_, i) => ({ id: `r${i}`, email: `r${i}@example.com` })),
  ...Array.from({ length: named }, (_, i) => ({ id: identityId(i), email: `${identityId(i)}@example.com` })),
];
const emulator = await createEmulator({
  clientSecret,
  redirectUris: [MINT_REDIRECT_URI],
  ...(process.env.BENCH_TLS === '1' ? { tls: tlsPair } : {}),
  ...(identities.length > 0 ? { identities } : {}),
});
for (let i = 0; i < returning; i++) emulator.setAlias(emulator.subOf(`r${i}`) as string, `u${i}`);
const api = new URL(emulator.apiUrl);
const terminator = api.protocol === 'https:' ? undefined : tls.createServer(tlsPair, (client) => {
  const upstream = net.connect(Number(api.port), api.hostname);
  upstream.setNoDelay(true);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  client.pipe(upstream).pipe(client);
});
if (terminator) await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
const apiTlsUrl = terminator ? `https://127.0.0.1:${(terminator.address() as AddressInfo).port}` : emulator.apiUrl;

startCounting();
serve(
  { issuer: emulator.issuer, apiUrl: emulator.apiUrl, apiTlsUrl, clientId: emulator.clientId },
  {
    setFault: (arg) => {
      const { endpoint, fault } = arg as { endpoint: EmulatorEndpoint; fault: Fault | null };
      emulator.setFault(endpoint, fault ?? undefined);
      return true;
    },
    reportCount: () => emulator.reports().length,
  },
  async () => {
    terminator?.close();
    await emulator.close();
  },
);
