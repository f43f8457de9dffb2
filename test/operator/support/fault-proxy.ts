// A small HTTP proxy in front of the real API server, for fault tests: the client speaks plain
// HTTP to 127.0.0.1 and the proxy forwards over HTTPS with the admin credentials of the given
// KubeConfig (watches stream through). Per request a rule may instead answer an error status with
// Retry-After (an overloaded or restarting API server, a webhook that is down), hold the request
// before forwarding it (slow answers), or answer a watch with an empty 200 stream that ends at
// once (a load balancer closing streams). Every request is logged with what was done to it.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterAuth } from '../../../operator/src/kube/auth';

export interface ProxiedRequest {
  method: string;
  /** path and query */
  url: string;
  watch: boolean;
}

export type Fault =
  | { status: number; retryAfter?: string; reason?: string }
  | { delayMs: number }
  | { endWatch: true };

export type FaultRule = (req: ProxiedRequest) => Fault | undefined;

export interface LoggedRequest extends ProxiedRequest {
  at: number;
  /** the status the client got (from the fault, or from the API server) */
  status: number;
  fault?: Fault;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly log: LoggedRequest[];
  /** the rule for the requests from now on (undefined: forward everything) */
  setRule(rule: FaultRule | undefined): void;
  /** the operator's view of a cluster whose server is this proxy (no credentials: the proxy adds them) */
  kubeConfig(): ClusterAuth;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = { 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };

export async function startFaultProxy(upstream: KubeConfig): Promise<FaultProxy> {
  const target = new URL(upstream.getCurrentCluster()!.server);
  const tls: https.RequestOptions = {};
  await upstream.applyToHTTPSOptions(tls);
  const agent = new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key });
  const log: LoggedRequest[] = [];
  let rule: FaultRule | undefined;
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    const info: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', watch: /[?&]watch=(true|1)/.test(req.url ?? '') };
    const entry: LoggedRequest = { ...info, at: Date.now(), status: 0 };
    log.push(entry);
    const fault = rule?.(info);
    if (fault) entry.fault = fault;
    if (fault && 'status' in fault) {
      req.resume();
      entry.status = fault.status;
      const reason = fault.reason ?? REASONS[fault.status] ?? 'InternalError';
      const body = JSON.stringify({
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, code: fault.status,
        message: `injected by the test proxy: ${reason}`,
        ...(fault.retryAfter && /^\d+$/.test(fault.retryAfter) ? { details: { retryAfterSeconds: Number(fault.retryAfter) } } : {}),
      });
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) });
      res.end(body);
      return;
    }
    if (fault && 'endWatch' in fault) {
      req.resume();
      entry.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end();
      return;
    }
    const forward = (): void => {
      const up = https.request({
        host: target.hostname, port: target.port, method: req.method, path: req.url, agent: info.watch ? undefined : agent,
        ca: tls.ca, cert: tls.cert, key: tls.key,
        headers: { ...req.headers, host: target.host },
      }, (upRes) => {
        entry.status = upRes.statusCode ?? 0;
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      req.pipe(up);
    };
    if (fault && 'delayMs' in fault) setTimeout(forward, fault.delayMs);
    else forward();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  return {
    url,
    log,
    setRule: (r) => { rule = r; },
    kubeConfig: () => ({ getCurrentCluster: () => ({ server: url }), applyToHTTPSOptions: async () => undefined }),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      server.close(() => resolve());
    }),
  };
}
