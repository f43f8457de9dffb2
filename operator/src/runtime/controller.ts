// Workers that drain a WorkQueue through a reconcile function: bounded concurrency, backoff on
// errors, requeueAfter on request; results are counted with controller-runtime's metric names.
import type { Logger } from 'pino';
import type { WorkQueue } from './workqueue';

export interface ReconcileResult {
  /** reconcile again after this long even if nothing changes (e.g. waiting on a Job) */
  requeueAfterMs?: number;
}

export type ReconcileFn = (key: string) => Promise<ReconcileResult | void>;

export type ReconcileOutcome = 'success' | 'error' | 'requeue_after';

export interface ControllerObserver {
  /** workers now inside a reconcile (controller-runtime's active workers) */
  active?(n: number): void;
  reconciled?(outcome: ReconcileOutcome, seconds: number): void;
}

export class Controller {
  private workers: Promise<void>[] = [];
  private busy = 0;
  private stopping = false;

  constructor(
    readonly name: string,
    private readonly queue: WorkQueue,
    private readonly reconcile: ReconcileFn,
    private readonly concurrency: number,
    private readonly log: Logger,
    private readonly observer: ControllerObserver = {},
  ) {}

  start(): void {
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.work());
  }

  /** Stops taking keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = process.hrtime.bigint();
      this.observer.active?.(++this.busy);
      let outcome: ReconcileOutcome = 'success';
      try {
        const result = await this.reconcile(key);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) {
          outcome = 'requeue_after';
          this.queue.addAfter(key, result.requeueAfterMs);
        }
      } catch (err) {
        outcome = 'error';
        const delayMs = this.queue.addRateLimited(key);
        const [namespace, name] = key.split('/');
        // a pass cut short by the shutdown (its watches or writes aborted) is no failure to report
        if (this.stopping) this.log.info({ err, fastapiapp: key, namespace, name }, 'reconcile ended by the shutdown');
        else this.log.error({ err, fastapiapp: key, namespace, name, retryInMs: delayMs, requeues: this.queue.numRequeues(key) },
          'reconcile failed; requeued with backoff');
      } finally {
        this.queue.done(key);
        this.observer.active?.(--this.busy);
        this.observer.reconciled?.(outcome, Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
  }
}
