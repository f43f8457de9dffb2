// The request a piece of work belongs to, carried across awaits (AsyncLocalStorage), so every log
// line written while serving a request carries its id, the data layer's included, without passing
// it through every call. Events of shared resources (a pooled connection outlives the request that
// opened it, and its events run in that request's context) are logged outside any request.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestScope {
  readonly reqId: string;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

/** pino's mixin: the current request's id (a fresh object: pino merges the line's fields into it). */
export function requestLogFields(): { reqId?: string } {
  const scope = requestScope.getStore();
  return scope ? { reqId: scope.reqId } : {};
}

/** Runs fn with no request in scope. */
export function outsideRequest<T>(fn: () => T): T {
  return requestScope.exit(fn);
}
