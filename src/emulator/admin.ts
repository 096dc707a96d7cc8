/**
 * The emulator's own control endpoints, on both sides:
 * - `GET /__emulator/health`: `{ status: 'ok' }`.
 * - `GET /__emulator/reports`: the received session-feedback requests (`ReceivedReport[]`).
 * - `DELETE /__emulator/reports`: forget them (204).
 * - `POST /__emulator/faults` with JSON `{ endpoint, fault }` (or `fault: null` to clear): 200 with
 *   `{ endpoint, fault }`, or 400 saying what is wrong.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from './config.js';
import { checkFault, ENDPOINTS, isEndpoint } from './faults.js';
import { HttpError, isJsonObject, mediaType, NOT_JSON, parseJson, readBody, sendJson } from './http.js';

/** `GET /__emulator/health`. */
export function handleHealth(_req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

/** `GET|DELETE /__emulator/reports`. */
export function handleReports(req: IncomingMessage, res: ServerResponse, ctx: Context): void {
  if (req.method === 'DELETE') {
    ctx.state.clearReports();
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  sendJson(res, 200, ctx.state.reports());
}

/** `POST /__emulator/faults`. */
export async function handleFaults(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  const body = await readBody(req);
  const bad = (description: string): HttpError => new HttpError(400, 'invalid_request', description);
  if (mediaType(req) !== 'application/json') throw bad('the Content-Type must be application/json');
  const request = parseJson(body);
  if (request === NOT_JSON) throw bad('the body is not valid JSON');
  if (!isJsonObject(request)) throw bad('the body must be an object { endpoint, fault }');
  const { endpoint, fault } = request;
  if (!isEndpoint(endpoint)) throw bad(`endpoint must be one of ${ENDPOINTS.join(', ')}`);
  if (fault === null) {
    ctx.faults.set(endpoint, undefined);
    return sendJson(res, 200, { endpoint, fault: null });
  }
  const checked = checkFault(fault, endpoint);
  if (!checked.ok) throw bad(checked.problem);
  ctx.faults.set(endpoint, checked.fault);
  sendJson(res, 200, { endpoint, fault: checked.fault });
}
