// Exponential backoff (as client-go's ItemExponentialFailureRateLimiter): base * 2^(failures-1), capped.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(failures: number, { baseMs, maxMs }: BackoffPolicy): number {
  if (failures <= 0) return 0;
  const exp = Math.min(failures - 1, 52); // 2^52 overflows nothing, and caps anyway
  return Math.min(maxMs, baseMs * 2 ** exp);
}

/** Full-jitter variant for reconnect loops, so many watchers do not reconnect in lockstep. */
export const jittered = (ms: number, random: () => number = Math.random): number => Math.round(ms * (0.5 + random() / 2));

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
