/**
 * One HTTP server of the emulator (the sign-in side or the API side): routing by exact path and
 * method, fault injection, error handling, and a `close()` that ends every connection and timer.
 *
 * A request whose `Host` header does not name the emulator is refused with 421 first
 * (`host-check.ts`: DNS rebinding). A handler may throw (or reject with) an {@link HttpError} to answer `{ error, error_description }`;
 * anything else thrown is logged (name and place only: never a message that could hold request data)
 * and answered 500. Unknown paths get a JSON 404, wrong methods a JSON 405 with `Allow`.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { logger } from '../internal/log.js';
import type { Context } from './config.js';
import { isOwnHost } from './host-check.js';
import { HttpError, NOT_JSON, parseJson, sendError, sendJson, sendText } from './http.js';
import type { EmulatorEndpoint, Fault } from './types.js';

const log = logger('emulator');

/**
 * Handles one request of a route. `query` is the raw query string, without `?`; `fault` is the fault
 * being played when it lets the handler answer (a delay, or a change to the answer such as `staleAuthTime`).
 */
export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: Context, query: string, fault?: Fault) => void | Promise<void>;

/** One path of a server. */
export interface Route {
  /** The methods served; others get 405. */
  readonly methods: readonly string[];
  /** The endpoint whose faults apply to this route, if any. */
  readonly endpoint?: EmulatorEndpoint;
  readonly handle: Handler;
  /** Called when a fault answers (or drops or hangs, with status 0) instead of the handler. */
  readonly onFault?: (req: IncomingMessage, ctx: Context, status: number, what: string) => void;
}

/** A listening (or about to listen) server of the emulator. */
export class EmulatorServer {
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing: Promise<void> | undefined;

  /**
   * @param side `signin` or `api`, for logs
   * @param routes the routes, by exact path
   * @param ctx the context passed to handlers
   */
  constructor(
    private readonly side: string,
    private readonly routes: ReadonlyMap<string, Route>,
    private readonly ctx: Context,
  ) {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.dispatch(req, res);
    this.server = ctx.config.tls ? createTlsServer({ key: ctx.config.tls.key, cert: ctx.config.tls.cert }, handler) : createServer(handler);
  }

  /** Listen on `host:port` (0: a free port); resolve with the port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stop listening, destroy every connection (idle, busy or hung), clear every timer. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    if (!isOwnHost(req.headers.host, this.ctx.config.host)) {
      // DNS rebinding (host-check.ts): before any route, fault or admin endpoint; the header is not echoed.
      log('%s: request refused: its Host header does not name the emulator', this.side);
      sendText(res, 421, 'Misdirected request: the Host header does not name this BindID emulator.\n', 'text/plain; charset=utf-8');
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = this.routes.get(q < 0 ? url : url.slice(0, q));
    if (route === undefined) {
      sendJson(res, 404, { error: 'not_found', error_description: 'the emulator has no such endpoint' });
      return;
    }
    if (!route.methods.includes(req.method ?? '')) {
      sendJson(
        res,
        405,
        { error: 'method_not_allowed', error_description: `use ${route.methods.join(' or ')}` },
        { Allow: route.methods.join(', ') },
      );
      return;
    }
    const query = q < 0 ? '' : url.slice(q + 1);
    const fault = route.endpoint === undefined ? undefined : this.ctx.faults.take(route.endpoint);
    if (fault === undefined) this.run(route, req, res, query);
    else this.playFault(fault, route, req, res, query);
  }

  private run(route: Route, req: IncomingMessage, res: ServerResponse, query: string, fault?: Fault): void {
    try {
      const pending = route.handle(req, res, this.ctx, query, fault);
      if (pending !== undefined) pending.catch((err: unknown) => this.fail(err, res));
    } catch (err) {
      this.fail(err, res);
    }
  }

  private fail(err: unknown, res: ServerResponse): void {
    if (!(err instanceof HttpError)) {
      const name = err instanceof Error ? err.name : typeof err;
      const place = err instanceof Error ? (err.stack?.split('\n')[1]?.trim() ?? '') : '';
      log('%s: handler failed with %s %s', this.side, name, place);
    }
    if (res.headersSent) {
      res.destroy();
    } else if (err instanceof HttpError) {
      sendError(res, err);
    } else {
      sendJson(res, 500, { error: 'server_error', error_description: 'the emulator failed to handle the request' });
    }
  }

  /** The answer of an `after` fault, once the handler applied the request: a drop or the fault's status. */
  private spoil(fault: Fault, route: Route, req: IncomingMessage, res: ServerResponse): void {
    log('%s: request on %s applied, answer replaced by a fault', this.side, route.endpoint);
    if (fault.drop === true) req.socket.destroy();
    else sendFault(res, fault.status ?? 500, fault);
  }

  /** Play `fault` instead of, or (for a delay alone) before, the route's handler. */
  private playFault(fault: Fault, route: Route, req: IncomingMessage, res: ServerResponse, query: string): void {
    log('%s: playing a fault on %s', this.side, route.endpoint);
    if (fault.hang === true) {
      route.onFault?.(req, this.ctx, 0, 'hang');
      return;
    }
    const act = (): void => {
      if (fault.after === true) {
        this.run(route, req, replaceAnswer(res, () => this.spoil(fault, route, req, res)), query);
      } else if (fault.drop === true) {
        route.onFault?.(req, this.ctx, 0, 'drop');
        req.socket.destroy();
      } else if (fault.status !== undefined) {
        route.onFault?.(req, this.ctx, fault.status, `status ${fault.status}`);
        sendFault(res, fault.status, fault);
      } else {
        this.run(route, req, res, query, fault);
      }
    };
    if (fault.delayMs === undefined || fault.delayMs === 0) {
      act();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      act();
    }, fault.delayMs);
    this.timers.add(timer);
    res.once('close', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }
}

/** Answer a fault's forced status with its body (default: a JSON error) and `Retry-After`. */
function sendFault(res: ServerResponse, status: number, fault: Fault): void {
  const headers = fault.retryAfter === undefined ? {} : { 'Retry-After': fault.retryAfter };
  if (fault.body === undefined) {
    sendJson(res, status, { error: 'emulated_fault', error_description: `fault injected by the BindID emulator` }, headers);
    return;
  }
  const json = parseJson(fault.body) !== NOT_JSON;
  sendText(res, status, fault.body, json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8', headers);
}

/**
 * `res` for a handler whose answer is to be replaced (an `after` fault): its headers and body are
 * swallowed, and when it ends, `instead` answers on the real response.
 */
function replaceAnswer(res: ServerResponse, instead: () => void): ServerResponse {
  const swallowed = Object.create(res) as ServerResponse;
  swallowed.setHeader = () => swallowed;
  swallowed.writeHead = (() => swallowed) as ServerResponse['writeHead'];
  swallowed.write = () => true;
  swallowed.end = (() => {
    instead();
    return swallowed;
  }) as ServerResponse['end'];
  return swallowed;
}
