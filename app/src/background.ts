// Work the server does beside serving, started after it listens and stopped first on shutdown:
// today the sentiment backfill of rows adopted from the lab (issue 31 item 9). It runs in batches
// that yield to requests, retries after a failure (database down, scoring queue full) and stops
// at once when asked: stop() aborts the batch in flight (a queued scoring batch is dropped, a
// running one finishes, ~50 ms at most) and resolves when the loop has returned. Nothing is lost
// by stopping: each batch is stored by one UPDATE, and the next start picks up the rows still NULL.
import type { Logger } from './observability/logger.js';

export interface BackgroundTask {
  /** Aborts the work and resolves once it has returned. */
  stop(): Promise<void>;
  /** Resolves when the work is over (finished, or stopped). */
  readonly done: Promise<void>;
}

export interface BackfillOptions {
  /** Rows per batch (SENTIMENT_BACKFILL_BATCH). */
  batchSize: number;
  /** Pause after a failed attempt before the next one. */
  retryMs: number;
}

/** Sleeps `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function startSentimentBackfill(
  backfill: (batchSize: number, signal: AbortSignal) => Promise<number>,
  opts: BackfillOptions,
  log: Logger,
): BackgroundTask {
  const controller = new AbortController();
  const { signal } = controller;
  const run = async (): Promise<void> => {
    const started = Date.now();
    for (let attempt = 1; !signal.aborted; attempt += 1) {
      try {
        const filled = await backfill(opts.batchSize, signal);
        log.info({ filled, ms: Date.now() - started }, 'sentiment backfill complete');
        return;
      } catch (err) {
        if (signal.aborted) break;
        log.warn({ attempt, retryMs: opts.retryMs, err: { name: (err as Error).name, message: (err as Error).message } }, 'sentiment backfill failed: retrying');
        await pause(opts.retryMs, signal);
      }
    }
    log.info({ ms: Date.now() - started }, 'sentiment backfill stopped: the rows still without sentiment are scored at the next start');
  };
  const done = run();
  return {
    done,
    stop() {
      controller.abort();
      return done;
    },
  };
}
