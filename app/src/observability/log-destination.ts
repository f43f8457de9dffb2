// Where log lines go: stdout, batched per event-loop turn, written without ever blocking the loop.
//
// Batching: pino's sonic-boom re-measures its pending buffer with Buffer.byteLength on every line
// while a write is in flight; at 50 concurrent requests that costs ~1.9 µs per access line against
// ~0.3 µs for joining the turn's lines and handing them over once (`npm run bench:log`).
//
// Never blocking (issue 31 item 7): a container's stdout is a pipe, and a reader that stalls (a
// stuck log agent, a full node disk) fills it. A synchronous write to a full blocking pipe stops
// the whole process: /livez and every request with it. So the writing is sonic-boom's asynchronous
// mode (what `pino.destination({ sync: false })` builds; made here directly so that exit is ours to
// bound: pino's own exit hook flushes without a limit) on a non-blocking descriptor: a full pipe answers
// EAGAIN, sonic-boom retries every 100 ms, and meanwhile keeps at most `maxBufferedBytes`; a line
// that does not fit is dropped (sonic-boom's `maxLength` and its 'drop' event) and counted
// (`log_lines_dropped_total`). Synchronous flushes (after a fatal line, at exit) wait for a stalled
// reader at most SYNC_FLUSH_MAX_MS.
import type pino from 'pino';
import SonicBoom from 'sonic-boom';

export interface LineBatchingDestination extends pino.DestinationStream {
  /** Write out what is pending now (pino calls this after a fatal line; also run on process exit). */
  flushSync(): void;
  /** Lines dropped so far because the reader did not keep up (the buffer was full). */
  readonly droppedLines: number;
}

export interface DestinationOptions {
  /** Bytes kept while the reader is stalled; beyond them lines are dropped. */
  maxBufferedBytes?: number;
}

/** Pending text above this is handed over at once, so a burst without a turn boundary stays bounded in memory. */
const MAX_PENDING_CHARS = 64 * 1024;
/** Default bound on what waits for a stalled reader (~16,000 access lines); config LOG_BUFFER_BYTES. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** A synchronous flush (fatal line, exit) gives a stalled reader this long, then gives up. */
export const SYNC_FLUSH_MAX_MS = 1000;

/**
 * stdout and stderr are opened by libuv on first use, which makes a pipe or socket non-blocking
 * (a file or terminal is left as it is: neither fills up). Node does this for `process.stdout`
 * itself; touching it here is what lets a write to a full pipe answer EAGAIN instead of blocking.
 */
function nonBlocking(fd: number): void {
  if (fd === 1) void process.stdout;
  else if (fd === 2) void process.stderr;
}

const countLines = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
};

export function lineBatchingDestination(fd = 1, opts: DestinationOptions = {}): LineBatchingDestination {
  nonBlocking(fd);
  // While set, a synchronous flush stops retrying a full pipe at this time.
  let syncDeadline = Infinity;
  const out = new SonicBoom({
    fd,
    sync: false,
    maxLength: opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
    retryEAGAIN: () => Date.now() < syncDeadline,
  });
  let dropped = 0;
  out.on('drop', (data: string) => (dropped += countLines(data)));
  // EPIPE (the reader went away) and the like: nowhere left to report them; the text stays buffered
  // (bounded as above) and is retried with the next write.
  out.on('error', () => {});

  let lines: string[] = [];
  let pendingChars = 0;
  let scheduled: NodeJS.Immediate | undefined;

  const handOver = (): void => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (lines.length === 0) return;
    const text = lines.length === 1 ? lines[0]! : lines.join('');
    lines = [];
    pendingChars = 0;
    out.write(text);
  };

  // What a synchronous flush writes itself: sonic-boom's synchronous mode, on the same descriptor.
  // (Handing the lines to `out` would start an asynchronous write that a SIGKILL right after a fatal
  // line could overtake.) A write of `out` still in flight then may land after these lines.
  const direct = new SonicBoom({ fd, sync: true, retryEAGAIN: () => Date.now() < syncDeadline });
  direct.on('error', () => {});

  const flushSync = (): void => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    const text = lines.join('');
    lines = [];
    pendingChars = 0;
    syncDeadline = Date.now() + SYNC_FLUSH_MAX_MS;
    try {
      out.flushSync(); // the older lines first
    } catch {
      // The reader is stalled (EAGAIN past the deadline) or gone: what is left stays buffered.
    }
    try {
      if (text) direct.write(text);
    } catch {
      // as above
    } finally {
      syncDeadline = Infinity;
    }
  };
  // Lines from the last turn before an exit (process.exit, a crash) are not lost.
  process.on('exit', flushSync);

  return {
    write(line: string) {
      lines.push(line);
      pendingChars += line.length;
      if (pendingChars >= MAX_PENDING_CHARS) handOver();
      else scheduled ??= setImmediate(handOver);
    },
    flushSync,
    get droppedLines() {
      return dropped;
    },
  };
}
