// Typed errors of the Kubernetes I/O layer: callers branch on status codes, never on message text.

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly statusCode: number,
    /** Status.reason from the API server (NotFound, Conflict, Expired, ...), or '' */
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${statusCode} ${reason ? reason + ': ' : ''}${message}`);
  }
}

/** The watch stream produced no data for longer than the stall timeout. */
export class WatchStalledError extends Error {
  override readonly name = 'WatchStalledError';
}

const hasStatus = (err: unknown, code: number): boolean => err instanceof KubeApiError && err.statusCode === code;

export const isNotFound = (err: unknown): boolean => hasStatus(err, 404);
export const isConflict = (err: unknown): boolean => hasStatus(err, 409);
/** 410 Gone: the resourceVersion is too old; relist. */
export const isGone = (err: unknown): boolean => hasStatus(err, 410);
