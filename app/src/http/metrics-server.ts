// /metrics on its own port (METRICS_PORT): the public port and the app's Service never expose it;
// Prometheus scrapes the pod's `metrics` container port. Plain node:http: one route, no Express.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Metrics } from '../observability/metrics.js';

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

export function metricsListener(metrics: Metrics): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return send(res, 404, 'application/json', JSON.stringify({ detail: 'Not Found' }));
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'application/json', JSON.stringify({ detail: 'Method Not Allowed' }), { Allow: 'GET, HEAD' });
    metrics.registry.metrics().then(
      (body) => send(res, 200, metrics.registry.contentType, body),
      () => send(res, 500, 'application/json', JSON.stringify({ detail: 'Internal Server Error' })),
    );
  };
}
