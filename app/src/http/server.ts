// The node:http server for an Express app, built so that Express's per-request prototype swap
// (`Object.setPrototypeOf(req, app.request)` in app.handle) is a no-op: requests and responses
// are created with Express's prototypes already in place. The swap otherwise de-optimises
// every later property access on req/res; measured on this service's hardware it tripled the
// CPU cost of a trivial route (121 -> 37 µs per request). See README "Benchmarks".
//
// Subclasses of Node's own constructors, whose prototypes then become app.request/app.response
// (Express's documented extension points, kept in the chain): V8 sizes a subclass instance from
// its constructor chain. The earlier plain functions calling `ServerResponse.call(this)` got too
// few in-object slots, and V8 turned every response into a dictionary-mode (hash table) object,
// making each property access on `res` a slow lookup (%HasFastProperties; README "Benchmarks").
import http from 'node:http';
import type { Express } from 'express';

export function createHttpServer(app: Express): http.Server {
  class AppRequest extends http.IncomingMessage {}
  class AppResponse extends http.ServerResponse {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  app.request = AppRequest.prototype as unknown as Express['request'];
  app.response = AppResponse.prototype as unknown as Express['response'];
  return http.createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse }, app);
}
