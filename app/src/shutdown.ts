// Rollout-safe shutdown. Kubernetes sends SIGTERM and removes the pod from the Service endpoints
// at the same time, and the removal takes a few seconds to reach every node and load balancer.
// So on SIGTERM: /readyz turns 503 at once, the server keeps listening and serving for `delayMs`
// (every response says `Connection: close`, so keep-alive clients reconnect, to another pod),
// then stops accepting, lets in-flight requests finish (bounded by `timeoutMs`), closes the pool
// (bounded too: a stalled database never answers) and exits 0.
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readiness } from './http/readiness.js';
import type { Logger } from './observability/logger.js';

export interface ShutdownOptions {
  server: Server;
  readiness: Readiness;
  /** Releases resources (pool, embedded database) after the last request; may hang, is bounded. */
  close(): Promise<void>;
  /** Stops work done beside serving (background.ts): asked at once on the signal, awaited (bounded) before close(). */
  stopBackground?(): Promise<void>;
  /** How long to keep serving after SIGTERM (SIGINT, an interactive Ctrl-C, skips it). */
  delayMs: number;
  /** Bound on draining in-flight requests and closing resources once the listener is closed. */
  timeoutMs: number;
  log: Logger;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function within<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Open connections, so that responses already in flight at SIGTERM can be told to close too. */
function trackConnections(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** From now on every response says `Connection: close`; Node then closes its socket after it. */
function closeConnectionsAfterResponse(server: Server, sockets: Set<Socket>): void {
  // Prepended so it runs before Express, for requests that arrive from now on.
  server.prependListener('request', (_req, res) => res.setHeader('Connection', 'close'));
  // Requests already being handled: node:http keeps a socket's current response in `_httpMessage`.
  for (const socket of sockets) {
    const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (res && !res.headersSent) res.setHeader('Connection', 'close');
  }
}

export async function shutdown(opts: ShutdownOptions, signal: string, sockets: Set<Socket> = new Set()): Promise<void> {
  const { server, log } = opts;
  opts.readiness.drain();
  // Background work (the sentiment backfill) stops now: it serves nobody, and it must not be
  // mid-batch when the pool and the scoring workers close.
  const background = (opts.stopBackground?.() ?? Promise.resolve()).catch((err: unknown) => log.warn({ err }, 'stopping background work failed'));
  closeConnectionsAfterResponse(server, sockets);
  const delayMs = signal === 'SIGTERM' ? opts.delayMs : 0;
  log.info({ signal, delayMs, timeoutMs: opts.timeoutMs }, 'shutting down: not ready, still serving');
  await sleep(delayMs);

  log.info('shutting down: draining in-flight requests');
  const deadline = Date.now() + opts.timeoutMs;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() closes only the connections idle right now; one whose response had begun before
  // SIGTERM (so without `Connection: close`) is closed as soon as it goes idle.
  const reaper = setInterval(() => server.closeIdleConnections(), 100);
  const drained = await within(closed, opts.timeoutMs);
  clearInterval(reaper);
  if (drained === 'timeout') {
    log.warn('drain timeout reached: closing remaining connections');
    server.closeAllConnections();
  }
  if ((await within(background, Math.max(deadline - Date.now(), 100))) === 'timeout') log.warn('background work did not stop in time: closing anyway');
  const left = Math.max(deadline - Date.now(), 100);
  const released = await within(opts.close().catch((err: unknown) => log.warn({ err }, 'releasing resources failed')), left);
  if (released === 'timeout') log.warn('releasing resources timed out: exiting anyway');
  log.info('shutdown complete');
}

/** SIGTERM/SIGINT run shutdown() once, then exit 0. */
export function installShutdown(opts: ShutdownOptions): void {
  const sockets = trackConnections(opts.server);
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    void shutdown(opts, signal, sockets).finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}
