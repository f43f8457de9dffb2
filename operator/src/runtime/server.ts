// One HTTP port for /healthz (process alive), /readyz (caches synced) and, unless metrics are served
// over HTTPS (secure-metrics.ts), /metrics.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeServer {
  /** host:port actually bound (port 0 picks a free one) */
  address: string;
  close(): Promise<void>;
}

/** ":8080" -> all interfaces, port 8080; "127.0.0.1:0" -> loopback, any free port. */
export function parseListenAddress(addr: string): { host?: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(addr);
  if (!m) throw new Error(`invalid listen address "${addr}": expected [host]:port`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`invalid listen address "${addr}": port out of range`);
  const host = m[1]?.replace(/^\[|\]$/g, '');
  return { host: host || undefined, port };
}

/** registry undefined: no /metrics here (404) */
export async function startProbeServer(addr: string, registry: Registry | undefined, isReady: () => boolean): Promise<ProbeServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const ready = isReady();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok' : 'caches not synced');
    } else if (path === '/metrics' && registry) {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err.message)),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  return listen(server, addr);
}

/** Starts `server` (HTTP or HTTPS) on addr; close() drops open connections too. */
export async function listen(server: http.Server, addr: string): Promise<ProbeServer> {
  const { host, port } = parseListenAddress(addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
