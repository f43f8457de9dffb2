// A small pool of worker threads that score sentiment batches, so that long texts never run on
// the main thread (probes and other requests stay prompt however much text arrives).
//
// Why not piscina: it aborts a *running* task by terminating its worker (a new one then reloads
// the wink model, ~0.3 s of CPU), so clients that hang up during a flood would make the pool
// thrash. Here an aborted task is dropped only while it is still queued; one that is running
// finishes (at most ~50 ms: a request carries at most 50,000 characters). The rest piscina would
// give us (one task per worker, a FIFO queue, replace a worker that died, terminate on close) is
// the ~100 lines below.
import { Worker } from 'node:worker_threads';
import { RequestAbortedError, ScoringFailedError, ServiceUnavailableError } from '../errors.js';
import type { Prediction } from '../types.js';

/** Main thread -> worker: one batch. */
export interface WorkerRequest {
  texts: readonly string[];
}
/** Worker -> main thread: ready once after loading the model, then one answer per request. */
export type WorkerMessage = { ready: true } | { predictions: Prediction[] } | { error: string };

export interface ScoringPoolOptions {
  /** Worker threads (>= 1). */
  size: number;
  /** The compiled worker entry (worker.js). */
  file: string;
  /** A worker stopped unexpectedly (crash, out of memory, terminated); it is being replaced. */
  onWorkerExit?: (info: { exitCode: number; busy: boolean; error?: Error }) => void;
}

interface Task {
  texts: readonly string[];
  resolve(p: Prediction[]): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  task?: Task;
  error?: Error;
}

/** A worker that dies before it loaded the model is replaced after this pause, not in a hot loop. */
const RESPAWN_PAUSE_MS = 1000;

export class ScoringPool {
  readonly #opts: ScoringPoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue: Task[] = [];
  #closed = false;

  constructor(opts: ScoringPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new RangeError(`ScoringPool size must be an integer >= 1 (got ${opts.size})`);
    this.#opts = opts;
    for (let i = 0; i < opts.size; i += 1) this.#spawn();
  }

  /** The live worker threads (for tests and diagnostics). */
  get threads(): readonly Worker[] {
    return [...this.#slots].map((s) => s.worker);
  }

  /** Batches being scored now. */
  get running(): number {
    let n = 0;
    for (const s of this.#slots) if (s.task) n += 1;
    return n;
  }

  /** Batches waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Scores the texts on a worker. An abort while still queued rejects with RequestAbortedError. */
  run(texts: readonly string[], signal?: AbortSignal): Promise<Prediction[]> {
    if (this.#closed) return Promise.reject(new ServiceUnavailableError('Shutting down'));
    if (signal?.aborted) return Promise.reject(new RequestAbortedError());
    return new Promise<Prediction[]>((resolve, reject) => {
      const task: Task = { texts, resolve, reject, signal };
      if (signal) {
        task.onAbort = () => {
          const i = this.#queue.indexOf(task);
          if (i < 0) return; // running: let it finish
          this.#queue.splice(i, 1);
          reject(new RequestAbortedError());
        };
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.#queue.push(task);
      this.#dispatch();
    });
  }

  /** Rejects queued batches and terminates every worker (shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) settle(task, new ServiceUnavailableError('Shutting down'));
    await Promise.all([...this.#slots].map((s) => s.worker.terminate()));
  }

  #spawn(): void {
    const worker = new Worker(this.#opts.file);
    worker.unref(); // never what keeps the process alive
    const slot: Slot = { worker, ready: false };
    this.#slots.add(slot);
    worker.on('message', (m: WorkerMessage) => {
      if ('ready' in m) {
        slot.ready = true;
        this.#dispatch();
        return;
      }
      const task = slot.task;
      slot.task = undefined;
      if (task) settle(task, 'error' in m ? new Error(`sentiment worker: ${m.error}`) : m.predictions);
      this.#dispatch();
    });
    worker.on('error', (err) => (slot.error = err)); // 'exit' follows
    worker.on('exit', (exitCode) => {
      this.#slots.delete(slot);
      if (this.#closed) {
        if (slot.task) settle(slot.task, new ServiceUnavailableError('Shutting down'));
        return;
      }
      if (slot.task) settle(slot.task, new ScoringFailedError(slot.error ?? new Error(`worker exited with code ${exitCode}`)));
      this.#opts.onWorkerExit?.({ exitCode, busy: slot.task !== undefined, error: slot.error });
      if (slot.ready) this.#spawn();
      else {
        // It could not even load the model: fail what waits instead of queueing it behind a loop.
        if (this.#slots.size === 0) for (const task of this.#queue.splice(0)) settle(task, new ScoringFailedError(slot.error));
        setTimeout(() => this.#closed || this.#spawn(), RESPAWN_PAUSE_MS).unref();
      }
    });
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (!slot.ready || slot.task) continue;
      const task = this.#queue.shift() as Task;
      slot.task = task;
      slot.worker.postMessage({ texts: task.texts } satisfies WorkerRequest);
    }
  }
}

function settle(task: Task, result: Prediction[] | Error): void {
  if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
  if (result instanceof Error) task.reject(result);
  else task.resolve(result);
}
