// Per request: a request id (X-Request-Id, taken from the caller when sane), and on completion the
// duration histogram, whose counts are also http_requests_total (labelled with the route template, never the raw path) and one
// structured access log line; 5xx responses are logged at error level with the cause, and a request
// whose client went away first is counted and logged as 499.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../observability/logger.js';
import { UNMATCHED_ROUTE, type Metrics } from '../../observability/metrics.js';
import { requestScope } from '../../observability/request-scope.js';

/** nginx's "client closed request": the client disconnected before the response was complete. */
export const CLIENT_CLOSED = 499;

/**
 * Kubernetes probes and Prometheus scrapes: frequent, cheap and machine-made, they would dilute the
 * request rate, error ratio and latency the alerts use. Not counted there; logged at debug only.
 * (`/health`, the lab's health check that people call, is counted.)
 */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/livez', '/readyz', '/metrics']);

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Locals {
    /** The error that produced this response, for the 5xx log line. */
    error?: unknown;
    /** Route label override for handlers that are not Express routes (static files). */
    routeLabel?: string;
    /** performance.now() when the request arrived, for its duration. */
    startedMs?: number;
  }
}

export function routeLabel(req: Request, res: Response): string {
  if (res.locals.routeLabel) return res.locals.routeLabel;
  const route = req.route as { path?: unknown } | undefined;
  const path = Array.isArray(route?.path) ? route.path[0] : route?.path; // a route may list several paths
  return typeof path === 'string' ? req.baseUrl + path : UNMATCHED_ROUTE;
}

/** Aborted when the client disconnects before its response is complete (work not yet started can be dropped). */
export function clientGone(res: Response): AbortSignal {
  const ac = new AbortController();
  res.once('close', () => res.writableFinished || ac.abort());
  return ac.signal;
}

export function requestContext(metrics: Metrics, log: Logger): RequestHandler {
  // One listener for every response (`this` is the response), not a closure per request.
  // 'close' comes after every response, and also when the client went away before it: 499, as nginx logs it.
  function onClose(this: Response): void {
    record(this);
  }
  function record(res: Response): void {
    const req = res.req;
    const seconds = (performance.now() - (res.locals.startedMs ?? 0)) / 1000;
    const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
    const route = routeLabel(req, res);
    const labels = { method: req.method, route, status_code: String(status) };
    const probe = PROBE_ROUTES.has(route);
    if (!probe) metrics.httpDuration.observe(labels, seconds);
    const entry = { reqId: req.id, method: req.method, route, path: req.path, status, ms: Math.round(seconds * 1e5) / 100 };
    if (status === CLIENT_CLOSED) {
      log.warn(entry, 'client closed the connection before the response');
    } else if (status >= 500) {
      const e = res.locals.error as { name?: string; message?: string; stack?: string; code?: string; cause?: { message?: string; code?: string } } | undefined;
      // The cause sits beside `err`: pino's err serializer folds a nested cause into the message, dropping its code.
      const cause = e?.cause && { message: e.cause.message, code: e.cause.code };
      log.error({ ...entry, err: e && { name: e.name, message: e.message, code: e.code, stack: e.stack }, cause }, 'request failed');
    } else if (probe) {
      log.debug(entry, 'request');
    } else if (log.isLevelEnabled('info')) {
      log.info(entry, 'request');
    }
  }
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.startedMs = performance.now();
    const header = req.headers['x-request-id'];
    const reqId = typeof header === 'string' && SANE_ID.test(header) ? header : randomUUID();
    req.id = reqId;
    res.setHeader('X-Request-Id', reqId);
    res.on('close', onClose);
    requestScope.run({ reqId }, next); // the rest of the request, and every log line it writes, in its scope
  };
}

declare module 'http' {
  interface IncomingMessage {
    id?: string;
  }
}
