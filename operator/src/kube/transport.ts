// HTTP to the API server: authentication from a ClusterAuth (./auth), keep-alive connections,
// typed errors, and a count of every request by verb and resource (for metrics and the benchmark).
import * as http from 'node:http';
import * as https from 'node:https';
import type { ClusterAuth } from './auth';
import { KubeApiError, WatchStalledError } from './errors';

/** Request verbs as RBAC and the benchmark name them; 'apply' is a server-side-apply PATCH. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'apply' | 'patch' | 'update' | 'delete';
export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'apply', 'patch', 'update', 'delete']);

export interface RequestSpec {
  verb: Verb;
  /** resource plural (plus /status for the subresource), for counting */
  resource: string;
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export type ResponseObserver = (verb: Verb, resource: string, method: string, statusCode: number) => void;

export class Transport {
  private readonly server: URL;
  private agent?: http.Agent;
  private readonly counts = new Map<string, number>();
  private readonly observers: ResponseObserver[] = [];

  constructor(private readonly kc: ClusterAuth) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  onResponse(observer: ResponseObserver): void {
    this.observers.push(observer);
  }

  /** Requests made so far, keyed "verb resource" (e.g. "apply deployments"). */
  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Sum of counts whose verb is a write, optionally ignoring some resources (e.g. leases). */
  writeCount(ignoreResources: readonly string[] = []): number {
    let n = 0;
    for (const [key, v] of this.counts) {
      const [verb, resource] = key.split(' ') as [Verb, string];
      if (WRITE_VERBS.has(verb) && !ignoreResources.includes(resource)) n += v;
    }
    return n;
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const req = await this.open(spec, payload);
    const { statusCode, body } = await new Promise<{ statusCode: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${spec.method} ${spec.path}: timed out`)));
      req.end(payload);
    });
    this.observe(spec, statusCode);
    if (statusCode >= 400) throw toApiError(spec, statusCode, body);
    return (body ? JSON.parse(body) : {}) as T;
  }

  /**
   * A streaming GET (watch): calls onLine with each parsed JSON line. Resolves when the server
   * ends the stream; rejects on HTTP errors, network errors, or when nothing (not even a
   * bookmark) arrives for stallMs — client watches can otherwise hang silently forever.
   */
  async stream(spec: RequestSpec, onLine: (obj: unknown) => void, signal: AbortSignal, stallMs: number): Promise<void> {
    const req = await this.open({ ...spec, timeoutMs: 0 }, undefined, true);
    await new Promise<void>((resolve, reject) => {
      let stallTimer: NodeJS.Timeout | undefined;
      const settle = (err?: Error): void => {
        clearTimeout(stallTimer);
        signal.removeEventListener('abort', onAbort);
        req.destroy();
        if (err) reject(err);
        else resolve();
      };
      const armStall = (): void => {
        clearTimeout(stallTimer);
        stallTimer = setTimeout(() => settle(new WatchStalledError(`${spec.path}: no data for ${stallMs} ms`)), stallMs);
      };
      const onAbort = (): void => settle();
      if (signal.aborted) return settle();
      signal.addEventListener('abort', onAbort);
      armStall();
      req.on('error', (err) => settle(err));
      req.on('response', (res) => {
        this.observe(spec, res.statusCode ?? 0);
        if ((res.statusCode ?? 0) >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => settle(toApiError(spec, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          armStall();
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            try {
              onLine(JSON.parse(line));
            } catch (err) {
              return settle(err as Error);
            }
          }
        });
        res.on('end', () => settle());
        res.on('error', (err) => settle(err));
      });
      req.end();
    });
  }

  close(): void {
    this.agent?.destroy();
  }

  private observe(spec: RequestSpec, statusCode: number): void {
    const key = `${spec.verb} ${spec.resource}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    for (const o of this.observers) o(spec.verb, spec.resource, spec.method, statusCode);
  }

  private async open(spec: RequestSpec, payload: string | undefined, longLived = false): Promise<http.ClientRequest> {
    // the auth source fills in TLS material and (possibly refreshed) credentials
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const url = new URL(spec.path, this.server);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: http.OutgoingHttpHeaders = { ...(opts.headers as http.OutgoingHttpHeaders | undefined), accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = spec.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const isHttps = url.protocol === 'https:';
    const reqOpts: https.RequestOptions = {
      method: spec.method,
      headers,
      auth: opts.auth,
      // Watches hold their connection for minutes: give them their own sockets.
      agent: longLived ? undefined : this.sharedAgent(opts, isHttps),
      timeout: spec.timeoutMs ?? 30_000,
    };
    if (isHttps && longLived) {
      Object.assign(reqOpts, tlsOptions(opts));
    }
    const req = (isHttps ? https : http).request(url, reqOpts);
    if (longLived) req.on('socket', (s) => s.setKeepAlive(true, 30_000));
    return req;
  }

  private sharedAgent(opts: https.RequestOptions, isHttps: boolean): http.Agent {
    if (!this.agent) {
      this.agent = isHttps
        ? new https.Agent({ keepAlive: true, maxSockets: 32, ...tlsOptions(opts) })
        : new http.Agent({ keepAlive: true, maxSockets: 32 });
    }
    return this.agent;
  }
}

function tlsOptions(opts: https.RequestOptions): https.AgentOptions {
  const o: https.AgentOptions = { ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase };
  if (opts.rejectUnauthorized !== undefined) o.rejectUnauthorized = opts.rejectUnauthorized;
  if (opts.servername) o.servername = opts.servername;
  return o;
}

function toApiError(spec: RequestSpec, statusCode: number, body: string): KubeApiError {
  let reason = '';
  let message = body.slice(0, 500);
  try {
    const status = JSON.parse(body) as { reason?: string; message?: string };
    reason = status.reason ?? '';
    message = status.message ?? message;
  } catch {
    // not a Status object; keep the raw text
  }
  return new KubeApiError(statusCode, reason, message, spec.method, spec.path);
}
