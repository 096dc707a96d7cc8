/**
 * The emulator over HTTPS (`tls` option), as BindID is: both sides answer over TLS with the given
 * certificate, and the issuer (in discovery and in ID tokens) and the API URL are `https://`.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { decodeJwt } from 'jose';
import type { Emulator } from '../../src/emulator/index.js';
import { isBindIdError } from '../../src/errors.js';
import { REDIRECT_URI, startEmulator } from './helpers.js';

const fixtures = path.join(__dirname, '..', 'fixtures');
const key = readFileSync(path.join(fixtures, 'self-signed-key.pem'));
const cert = readFileSync(path.join(fixtures, 'self-signed-cert.pem'));

/** One request over HTTPS trusting the test certificate only; the body as text. */
function send(url: string, options: https.RequestOptions = {}, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...options, ca: cert, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('emulator over HTTPS (tls option)', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ tls: { key, cert } });
  });
  afterAll(() => emu.close());

  it('serves discovery, /authorize and /token over TLS, with an https issuer in discovery and in the ID token', async () => {
    expect(emu.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.apiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const discovery = JSON.parse((await send(`${emu.issuer}/.well-known/openid-configuration`)).body) as Record<string, string>;
    expect(discovery.issuer).toBe(emu.issuer);
    expect(discovery.token_endpoint).toBe(`${emu.issuer}/token`);

    const authorize = new URL(discovery.authorization_endpoint as string);
    authorize.search = new URLSearchParams({
      client_id: emu.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      identity: 'alice',
    }).toString();
    const redirect = await send(authorize.href);
    expect(redirect.status).toBe(302);
    const code = new URL(redirect.headers.location as string).searchParams.get('code') as string;
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
    }).toString();
    const token = await send(
      discovery.token_endpoint as string,
      { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      form,
    );
    expect(token.status).toBe(200);
    expect(decodeJwt((JSON.parse(token.body) as { id_token: string }).id_token).iss).toBe(emu.issuer);
  });

  it('refuses a tls option without a PEM key, naming the option', async () => {
    const err = await startEmulator({ tls: { key: '', cert } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBindIdError(err) && err.code).toBe('ERR_BINDID_INVALID_OPTION');
    expect((err as Error).message).toContain('`tls.key`');
  });
});
