// Typed errors of the Kubernetes I/O layer: callers branch on status codes, never on message text.

export interface ApiErrorDetails {
  /** the Retry-After header (seconds or an HTTP date), or Status.details.retryAfterSeconds */
  retryAfter?: string;
  /** Status.details.causes[].reason, e.g. ResourceVersionTooLarge */
  causes?: string[];
}

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly statusCode: number,
    /** Status.reason from the API server (NotFound, Conflict, Expired, ...), or '' */
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
    readonly details: ApiErrorDetails = {},
  ) {
    super(`${method} ${path}: ${statusCode} ${reason ? reason + ': ' : ''}${message}`);
  }

  /** Milliseconds the server asked us to wait, if it did. */
  retryAfterMs(now = Date.now()): number | undefined {
    const v = this.details.retryAfter?.trim();
    if (!v) return undefined;
    if (/^\d+$/.test(v)) return Number(v) * 1000;
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
  }
}

/** A kubeconfig (or the in-cluster setup) that cannot be used; found at startup. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

/** An exec credential plugin failed or answered something unusable. */
export class ExecPluginError extends Error {
  override readonly name = 'ExecPluginError';
}

/** The watch stream produced no data for longer than the stall timeout. */
export class WatchStalledError extends Error {
  override readonly name = 'WatchStalledError';
}

/** The server did not answer within the request timeout. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

/** A request made after the client was closed (a stopped operator): never sent, never retried. */
export class TransportClosedError extends Error {
  override readonly name = 'TransportClosedError';
}

/**
 * The proxy in front of the API server could not be reached or refused the tunnel. `code` is the
 * socket error's (ECONNREFUSED, ENOTFOUND, ...), so a proxy restarting is retried like a server.
 */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  constructor(message: string, readonly code?: string, readonly proxyStatus?: number) {
    super(message);
  }
}

const hasStatus = (err: unknown, code: number): boolean => err instanceof KubeApiError && err.statusCode === code;

export const isNotFound = (err: unknown): boolean => hasStatus(err, 404);
export const isConflict = (err: unknown): boolean => hasStatus(err, 409);
export const isForbidden = (err: unknown): boolean => hasStatus(err, 403);
/** 410 Gone: the resourceVersion is too old; relist. */
export const isGone = (err: unknown): boolean => hasStatus(err, 410);

/**
 * "Too large resource version": the server (its watch cache) has not seen the resourceVersion we
 * asked for, e.g. after a failover to an API server or an etcd restored from an older state. As
 * client-go does, the answer is to relist from a fresh consistent read.
 */
export const isResourceVersionTooLarge = (err: unknown): boolean =>
  err instanceof KubeApiError && (err.details.causes?.includes('ResourceVersionTooLarge') === true
    || (err.statusCode === 504 && /too large resource version/i.test(err.message)));

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Worth retrying unchanged: 429 Too Many Requests, 5xx (an overloaded or restarting API server, a
 * webhook that is down), a timeout, or a connection that failed or was reset. Not an abort.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof KubeApiError) return err.statusCode === 429 || (err.statusCode >= 500 && err.statusCode <= 599);
  if (err instanceof RequestTimeoutError) return true;
  if (err instanceof ProxyError && err.proxyStatus !== undefined) return err.proxyStatus >= 502 && err.proxyStatus <= 504;
  const e = err as { name?: string; code?: string } | undefined;
  if (e?.name === 'AbortError') return false;
  return typeof e?.code === 'string' && TRANSIENT_CODES.has(e.code);
}
