// A deadline as an AbortSignal that survives garbage collection. On Node 20, AbortSignal.any()
// holds its sources weakly and AbortSignal.timeout()'s timer holds its signal weakly, so a
// timeout signal that only a combined signal refers to is collected at the next GC and never
// fires (nodejs/node#57736): a renewal on a frozen connection then hangs past the renew deadline.
// Here the timer holds the controller, so the signal fires however it is combined.

/** Aborts with a TimeoutError after `ms`; the timer does not keep the process alive. */
export function deadlineSignal(ms: number): AbortSignal {
  const ctrl = new AbortController();
  setTimeout(() => ctrl.abort(new DOMException(`deadline of ${ms} ms passed`, 'TimeoutError')), ms).unref();
  return ctrl.signal;
}
