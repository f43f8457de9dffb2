// Work bounded by a deadline: fn gets a signal that aborts after `ms`, or when `parent` aborts.
// Not AbortSignal.any([AbortSignal.timeout(ms), parent]): on Node 20 any() holds its sources
// weakly and timeout()'s timer holds its signal weakly, so that timeout is collected at the next
// GC and never fires (nodejs/node#57736; a renewal on a frozen connection then hung past the renew
// deadline), and every any() on a long-lived parent stays in that parent's list of dependants.
// Here the timer holds the controller, and the timer and the parent's listener go when fn settles.

export class DeadlineError extends Error {
  override readonly name = 'TimeoutError';
}

export async function withDeadline<T>(ms: number, parent: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new DeadlineError(`deadline of ${ms} ms passed`)), ms);
  const onParentAbort = (): void => ctrl.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  try {
    return await fn(ctrl.signal);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}
