// The node:http server for an Express app, built so that Express's per-request prototype swap
// (`Object.setPrototypeOf(req, app.request)` in app.handle) is a no-op: requests and responses
// are created with Express's prototypes already in place. The swap otherwise de-optimises
// every later property access on req/res; measured on this service's hardware it tripled the
// CPU cost of a trivial route (121 -> 37 µs per request). See README "Benchmarks".
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

type IncomingCtor = typeof http.IncomingMessage;
type ResponseCtor = typeof http.ServerResponse;

/** Node's IncomingMessage/ServerResponse are plain constructor functions, callable with `call`. */
function constructorFunctions(): boolean {
  const src = (f: unknown) => Function.prototype.toString.call(f);
  return !/^class\b/.test(src(http.IncomingMessage)) && !/^class\b/.test(src(http.ServerResponse));
}

export function createHttpServer(app: Express): http.Server {
  if (!constructorFunctions()) return http.createServer(app); // future Node: fall back, same behaviour
  function AppRequest(this: http.IncomingMessage, socket: Socket) {
    (http.IncomingMessage as unknown as (this: unknown, s: Socket) => void).call(this, socket);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: http.ServerResponse, req: http.IncomingMessage, options?: unknown) {
    (http.ServerResponse as unknown as (this: unknown, r: unknown, o: unknown) => void).call(this, req, options);
  }
  AppResponse.prototype = app.response;
  return http.createServer(
    { IncomingMessage: AppRequest as unknown as IncomingCtor, ServerResponse: AppResponse as unknown as ResponseCtor },
    app,
  );
}
