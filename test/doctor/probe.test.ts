/**
 * The doctor's single request (`probe`) on its own: what it reports when there is no answer (a
 * timeout, a refused port, a request Node will not send), the headers it reads (media type,
 * `Date`, `Location`), that it follows no redirect, and that it reads an answer body only up to its
 * byte bound: a longer body is a problem, and the read (and the connection) stops there.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ProbeRequest, probe } from '../../src/doctor/probe.js';
import { type Answer, type LoopbackServer, loopbackServer } from './loopback-server.js';

function get(url: string, patch: Partial<ProbeRequest> = {}): ProbeRequest {
  return { method: 'GET', url, headers: {}, timeoutMs: 2000, maxBytes: 1024 * 1024, ...patch };
}

let srv: LoopbackServer;
beforeAll(async () => {
  srv = await loopbackServer((req): Answer | 'hang' => {
    if (req.url === '/hang') return 'hang';
    if (req.url === '/no-date') return { status: 204, noDate: true };
    if (req.url === '/no-type') return { status: 200, body: 'x' };
    if (req.url === '/moved') return { status: 302, headers: { location: `/elsewhere` } };
    if (req.url === '/declared') return { status: 200, headers: { 'content-length': '2000' }, body: 'y'.repeat(2000) };
    return { status: 200, headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: '{"ok":true}' };
  });
});
afterAll(() => srv.close());

it('a host that does not answer in time is reported as "timed out after <timeoutMs> ms"', async () => {
  const result = await probe(get(`${srv.url}/hang`, { timeoutMs: 150 }));
  expect(result).toEqual({ ok: false, problem: `no answer from ${new URL(srv.url).host} (timed out after 150 ms)` });
});

it('a refused connection is reported by its code', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const result = await probe(get(`http://127.0.0.1:${port}/.well-known/openid-configuration`));
  expect(result).toEqual({ ok: false, problem: `no answer from 127.0.0.1:${port} (ECONNREFUSED)` });
});

it('N173 a request that cannot be built is reported by the error\'s code, and its message (which quotes the header) is not shown', async () => {
  const result = await probe(get(`${srv.url}/`, { headers: { 'x-secret-ish': 'line\nbreak' } }));
  expect(result).toEqual({ ok: false, problem: `no answer from ${new URL(srv.url).host} (ERR_INVALID_CHAR)` });
  expect(srv.requests).not.toContain('GET /');
});

it('reads the media type (lower-cased, no parameters) and the Date header; none when absent', async () => {
  const ok = await probe(get(`${srv.url}/`));
  expect(ok).toEqual({ ok: true, answer: { status: 200, mediaType: 'application/json', text: '{"ok":true}', date: expect.any(String) } });
  expect(await probe(get(`${srv.url}/no-date`))).toEqual({ ok: true, answer: { status: 204, mediaType: '', text: '' } });
  expect(await probe(get(`${srv.url}/no-type`))).toMatchObject({ ok: true, answer: { mediaType: '', text: 'x' } });
});

it('N189 follows no redirect: a 302 is the answer, with its Location, and the target is never asked', async () => {
  const result = await probe(get(`${srv.url}/moved`));
  expect(result).toMatchObject({ ok: true, answer: { status: 302, location: '/elsewhere' } });
  expect(srv.requests).not.toContain('GET /elsewhere');
});

it('N191 a body announced (Content-Length) longer than the bound is a problem without being read', async () => {
  const result = await probe(get(`${srv.url}/declared`, { maxBytes: 1000 }));
  expect(result).toEqual({
    ok: false,
    answered: true,
    problem: `the answer from ${new URL(srv.url).host} is larger than 1000 bytes: the doctor stopped reading it`,
  });
  expect(await probe(get(`${srv.url}/declared`, { maxBytes: 2000 }))).toMatchObject({ ok: true, answer: { text: 'y'.repeat(2000) } });
});

/**
 * A loopback server that streams `total` bytes in 64 KiB chunks, writing the next only when the
 * connection has taken the last (so it cannot run ahead of the reader by more than the socket
 * buffers); `closed` resolves with the bytes written when the connection closes.
 */
async function streamingServer(total: number): Promise<{ url: string; closed: Promise<number>; close: () => Promise<void> }> {
  let written = 0;
  let onClose: (bytes: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => {
    onClose = resolve;
  });
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no Content-Length
    res.on('close', () => onClose(written));
    const more = (): void => {
      while (written < total && !res.destroyed) {
        written += 64 * 1024;
        if (!res.write(Buffer.alloc(64 * 1024, 0x20))) {
          res.once('drain', more);
          return;
        }
      }
      res.end();
    };
    more();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed, close };
}

it('N191 a body streamed past 1 MiB: "larger than 1 MiB", and the read stops there (the host sees the connection closed long before it wrote everything)', async () => {
  const total = 64 * 1024 * 1024;
  const host = await streamingServer(total);
  try {
    const result = await probe(get(`${host.url}/jwks`));
    expect(result.ok).toBe(false); // first, so that a probe reading it all fails here, not diffing 64 MiB
    expect(result).toEqual({
      ok: false,
      answered: true,
      problem: `the answer from ${new URL(host.url).host} is larger than 1 MiB: the doctor stopped reading it`,
    });
    // About 1 MiB read plus what the socket buffers held (a few MiB on loopback).
    expect(await host.closed).toBeLessThan(total / 4);
  } finally {
    await host.close();
  }
});
