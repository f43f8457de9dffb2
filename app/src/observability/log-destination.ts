// Where log lines go: stdout, written once per event-loop turn.
//
// pino's default destination (sonic-boom, async) re-measures the whole pending buffer with
// Buffer.byteLength on every line while a write is in flight, and each write is a thread-pool round
// trip; at 50 concurrent requests that cost ~1.9 µs per access line against ~0.3 µs for joining the
// turn's lines and writing them once (`npm run bench:log`). sonic-boom still does
// the writing (sync: EAGAIN retries, partial writes, EPIPE), so only the batching lives here.
import pino from 'pino';

export interface LineBatchingDestination extends pino.DestinationStream {
  /** Write out what is pending now (pino calls this after a fatal line; also run on process exit). */
  flushSync(): void;
}

/** Pending text above this is written at once, so a burst without a turn boundary stays bounded in memory. */
const MAX_PENDING_CHARS = 64 * 1024;

export function lineBatchingDestination(fd = 1): LineBatchingDestination {
  const out = pino.destination({ dest: fd, sync: true });
  let lines: string[] = [];
  let pendingChars = 0;
  let scheduled: NodeJS.Immediate | undefined;

  const flushSync = (): void => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (lines.length === 0) return;
    const text = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    pendingChars = 0;
    out.write(text);
  };
  // Lines from the last turn before an exit (process.exit, a crash) are not lost.
  process.on('exit', flushSync);

  return {
    write(line: string) {
      lines.push(line);
      pendingChars += line.length;
      if (pendingChars >= MAX_PENDING_CHARS) flushSync();
      else scheduled ??= setImmediate(flushSync);
    },
    flushSync,
  };
}
