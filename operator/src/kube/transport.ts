// HTTP to the API server: authentication from a ClusterAuth (./auth), keep-alive connections,
// typed errors, retries of transient failures (429, 5xx, timeouts, resets) with backoff that
// honours Retry-After, and AbortSignals (a caller's deadline ends a request at once). Every
// response is reported to observers (metrics, request counts: ./request-counter).
import * as http from 'node:http';
import * as https from 'node:https';
import type { ClusterAuth } from './auth';
import { isTransient, KubeApiError, RequestTimeoutError, TransportClosedError, WatchStalledError } from './errors';
import { proxyAgent, proxyFailure, selectProxy, type ProxyEnv, type SelectedProxy } from './proxy';
import { backoffDelay, jittered, sleep } from '../runtime/backoff';

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
  /** the Accept header; default application/json (./client asks for metadata-only lists and watches with it) */
  accept?: string;
  timeoutMs?: number;
  /** aborts the request (and any retry wait) at once: e.g. the leader's renew deadline */
  signal?: AbortSignal;
}

export interface RequestInfo {
  verb: Verb;
  resource: string;
  method: string;
}

/** Sees every response (status code) and every failure without one (code 0) and every retry. */
export interface TransportObserver {
  response?(req: RequestInfo, statusCode: number): void;
  retry?(req: RequestInfo, statusCode: number, delayMs: number): void;
}

export interface RetryPolicy {
  /** attempts in all, the first included */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** a longer Retry-After is cut to this */
  maxRetryAfterMs: number;
}

/** client-go retries on 429/5xx up to 10 times; a reconcile pass has its own backoff, so fewer here. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 200, maxMs: 5_000, maxRetryAfterMs: 10_000 };

export class Transport {
  private readonly server: URL;
  /** the proxy every connection goes through (./proxy decides, once), or none */
  readonly proxy?: SelectedProxy;
  private agent?: http.Agent;
  /** the client certificate and key the shared agent's connections present */
  private agentIdentity?: string;
  /** open watches, each with the client certificate and key its connection presented */
  private readonly streams = new Set<{ identity: string; end(): void }>();
  private readonly observers: TransportObserver[] = [];
  /** after close(): no request or watch is started (a stopped operator opens no connection) */
  private closed = false;
  /** requests not closed yet, aborted ones included: drain() waits for them */
  private readonly live = new Set<http.ClientRequest>();

  /** proxyEnv: HTTPS_PROXY/NO_PROXY as read at startup; a cluster's proxy-url overrides it */
  constructor(private readonly kc: ClusterAuth, private readonly retry: RetryPolicy = DEFAULT_RETRY, proxyEnv: ProxyEnv = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.proxy = selectProxy(this.server, cluster.proxyUrl || undefined, proxyEnv);
  }

  observe(observer: TransportObserver): void {
    this.observers.push(observer);
  }

  /** One request; transient failures are retried (see RetryPolicy) unless the signal aborted. */
  async request<T>(spec: RequestSpec): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(spec);
      } catch (err) {
        if (attempt >= this.retry.attempts || spec.signal?.aborted || !isTransient(err)) throw err;
        const delay = retryDelay(err, attempt, this.retry);
        const code = err instanceof KubeApiError ? err.statusCode : 0;
        for (const o of this.observers) o.retry?.(spec, code, delay);
        await sleep(delay, spec.signal);
        if (spec.signal?.aborted) throw err;
      }
    }
  }

  private async once<T>(spec: RequestSpec): Promise<T> {
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const { req } = await this.open(spec, payload);
    let statusCode = 0;
    let body = '';
    let retryAfter: string | string[] | undefined;
    try {
      ({ statusCode, body, retryAfter } = await new Promise<{ statusCode: number; body: string; retryAfter?: string | string[] }>((resolve, reject) => {
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }));
          res.on('error', reject);
        });
        req.on('error', (err) => reject(this.viaProxy(err)));
        req.on('timeout', () => req.destroy(new RequestTimeoutError(`${spec.method} ${spec.path}: no answer within ${spec.timeoutMs ?? 30_000} ms`)));
        req.end(payload);
      }));
    } finally {
      this.notify(spec, statusCode);
    }
    if (statusCode >= 400) throw toApiError(spec, statusCode, body, retryAfter);
    return (body ? JSON.parse(body) : {}) as T;
  }

  /**
   * A streaming GET (watch): calls onLine with each parsed JSON line. Resolves when the server
   * ends the stream; rejects on HTTP errors, network errors, or when nothing (not even a
   * bookmark) arrives for stallMs — client watches can otherwise hang silently forever.
   */
  async stream(spec: RequestSpec, onLine: (obj: unknown) => void, signal: AbortSignal, stallMs: number): Promise<void> {
    if (signal.aborted) return;
    let opened: { req: http.ClientRequest; identity: string };
    try {
      // the signal is checked once the credentials are ready, before any connection is made; once
      // the watch is open, an abort ends it cleanly (settle below), not as an error
      opened = await this.open({ ...spec, timeoutMs: 0, signal: undefined }, undefined, true, signal);
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const { req, identity } = opened;
    await new Promise<void>((resolve, reject) => {
      let stallTimer: NodeJS.Timeout | undefined;
      // Ended as the server ends a watch when the certificate it presented is replaced (see sharedAgent).
      const entry = { identity, end: () => settle() };
      this.streams.add(entry);
      const settle = (err?: Error): void => {
        this.streams.delete(entry);
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
      req.on('error', (err) => settle(this.viaProxy(err)));
      req.on('response', (res) => {
        this.notify(spec, res.statusCode ?? 0);
        if ((res.statusCode ?? 0) >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => settle(toApiError(spec, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), res.headers['retry-after'])));
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
        // the connection closed mid-stream (a proxy or load balancer cut it): not a clean end
        res.on('close', () => settle(res.complete ? undefined
          : Object.assign(new Error(`${spec.path}: the watch connection closed mid-stream`), { code: 'ECONNRESET' })));
      });
      req.end();
    });
  }

  /** Closes the kept-alive connections; any later request or watch fails with TransportClosedError. */
  close(): void {
    this.closed = true;
    this.agent?.destroy();
  }

  /**
   * Waits (at most graceMs) until every request made so far has closed; resolves with how many
   * had not. An aborted request whose connection a proxy agent was still opening (a CONNECT or a
   * SOCKS handshake) closes only once that attempt ends: without this wait, a stopped operator's
   * tunnel opened after stop() had returned.
   */
  async drain(graceMs: number): Promise<number> {
    const end = Date.now() + graceMs;
    while (this.live.size > 0 && Date.now() < end) await sleep(Math.min(20, end - Date.now()));
    return this.live.size;
  }

  private notify(spec: RequestSpec, statusCode: number): void {
    for (const o of this.observers) o.response?.(spec, statusCode);
  }

  /**
   * Creates the request (and so, at once, its connection). `abort` (default spec.signal) is
   * checked before and after the credentials are fetched (an exec plugin may take a while): a
   * request aborted meanwhile is never sent. Destroying a request that is still connecting does not
   * stop a proxy agent's CONNECT or SOCKS handshake, so this check is what keeps a stopped
   * operator from opening tunnels.
   */
  private async open(spec: RequestSpec, payload: string | undefined, longLived = false,
    abort: AbortSignal | undefined = spec.signal): Promise<{ req: http.ClientRequest; identity: string }> {
    this.refuseIfDone(spec, abort);
    // the auth source fills in TLS material and (possibly refreshed) credentials
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    this.refuseIfDone(spec, abort);
    const url = new URL(spec.path, this.server);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: http.OutgoingHttpHeaders = { ...(opts.headers as http.OutgoingHttpHeaders | undefined), accept: spec.accept ?? 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = spec.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const isHttps = url.protocol === 'https:';
    const identity = isHttps ? `${String(opts.cert ?? '')}\n${String(opts.key ?? '')}` : '';
    const reqOpts: https.RequestOptions = {
      method: spec.method,
      headers,
      auth: opts.auth,
      // Watches hold their connection for minutes: give them their own sockets (through the
      // proxy too: an agent of their own that keeps nothing alive).
      agent: !longLived ? this.sharedAgent(opts, isHttps, identity)
        : this.proxy ? proxyAgent(this.proxy.url, isHttps, { keepAlive: false, ...tlsOptions(opts) }) : undefined,
      timeout: spec.timeoutMs ?? 30_000,
      // an abort destroys the request and its socket: nothing more of it reaches the server
      signal: spec.signal,
    };
    if (isHttps && longLived) {
      Object.assign(reqOpts, tlsOptions(opts));
    }
    const req = (isHttps ? https : http).request(url, reqOpts);
    this.live.add(req);
    req.once('close', () => this.live.delete(req));
    if (longLived) req.on('socket', (s) => s.setKeepAlive(true, 30_000));
    // a refused credential (an exec plugin's, revoked early) is replaced before the next request
    if (this.kc.unauthorized) req.on('response', (res) => { if (res.statusCode === 401) this.kc.unauthorized?.(opts); });
    return { req, identity };
  }

  /**
   * Keep-alive connections present the client certificate they were opened with: when the auth
   * source hands out another one (an exec plugin's certificate was refreshed), new connections
   * are needed. The old agent's sockets are closed once its in-flight requests had time to end;
   * open watches end now, as client-go closes its connections on a rotated certificate, and their
   * informers watch again on connections with the new one (not minutes later at their timeout).
   */
  private sharedAgent(opts: https.RequestOptions, isHttps: boolean, identity: string): http.Agent {
    if (this.agent && identity !== this.agentIdentity) {
      const old = this.agent;
      setTimeout(() => old.destroy(), 60_000).unref();
      this.agent = undefined;
      for (const s of [...this.streams]) if (s.identity !== identity) s.end();
    }
    this.agentIdentity = identity;
    if (!this.agent) {
      const pool = { keepAlive: true, maxSockets: 32 };
      this.agent = this.proxy ? proxyAgent(this.proxy.url, isHttps, { ...pool, ...(isHttps ? tlsOptions(opts) : {}) })
        : isHttps ? new https.Agent({ ...pool, ...tlsOptions(opts) }) : new http.Agent(pool);
    }
    return this.agent;
  }

  private refuseIfDone(spec: RequestSpec, abort: AbortSignal | undefined): void {
    abort?.throwIfAborted();
    if (this.closed) throw new TransportClosedError(`${spec.method} ${spec.path}: the client was closed`);
  }

  /** A failure before any response, when every connection goes to the proxy, is the proxy's. */
  private viaProxy(err: Error): Error {
    if (!this.proxy || err instanceof RequestTimeoutError || err.name === 'AbortError') return err;
    return proxyFailure(err, this.proxy, this.server.host) ?? err;
  }
}

/** Retry-After (seconds; an HTTP date is honoured too), else jittered exponential backoff. */
export function retryDelay(err: unknown, attempt: number, policy: RetryPolicy, now = Date.now()): number {
  const after = err instanceof KubeApiError ? err.retryAfterMs(now) : undefined;
  if (after !== undefined) return Math.min(after, policy.maxRetryAfterMs);
  return jittered(backoffDelay(attempt, policy));
}

function tlsOptions(opts: https.RequestOptions): https.AgentOptions {
  const o: https.AgentOptions = { ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase };
  if (opts.rejectUnauthorized !== undefined) o.rejectUnauthorized = opts.rejectUnauthorized;
  if (opts.servername) o.servername = opts.servername;
  return o;
}

interface StatusBody {
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }>; retryAfterSeconds?: number };
}

function toApiError(spec: RequestSpec, statusCode: number, body: string, retryAfter?: string | string[]): KubeApiError {
  let status: StatusBody = {};
  try {
    status = JSON.parse(body) as StatusBody;
  } catch {
    // not a Status object; keep the raw text
  }
  const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  return new KubeApiError(statusCode, status.reason ?? '', status.message ?? body.slice(0, 500), spec.method, spec.path, {
    retryAfter: header ?? (status.details?.retryAfterSeconds !== undefined ? String(status.details.retryAfterSeconds) : undefined),
    causes: (status.details?.causes ?? []).map((c) => c.reason ?? '').filter(Boolean),
  });
}
