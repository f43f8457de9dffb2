// A keyed work queue with client-go's semantics: a key waiting in the queue is stored once (adds
// dedup), a key being processed is never handed out again until done() (re-adds meanwhile are
// remembered and queued at done()), delayed adds, and per-key exponential backoff on failures.
import { backoffDelay, type BackoffPolicy } from './backoff';

export interface QueueObserver {
  added?(): void;
  depth?(n: number): void;
  /** seconds between an add and the get that handed the key out */
  queued?(seconds: number): void;
  /** seconds between the get that handed a key out and its done() */
  worked?(seconds: number): void;
  retried?(): void;
}

/** Work handed out and not yet done(), as client-go's unfinished-work metrics see it. */
export interface UnfinishedWork {
  /** summed seconds every key in processing has been processed so far */
  totalSeconds: number;
  /** seconds the longest-running key has been processed */
  longestSeconds: number;
}

export class WorkQueue {
  /** keys ready to hand out, in order; a Set keeps order and makes dedup O(1) */
  private readonly ready = new Set<string>();
  /** keys that need processing (waiting in `ready`, or re-added while processing) */
  private readonly dirty = new Set<string>();
  /** key -> when it was handed out */
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(
    private readonly backoff: BackoffPolicy = { baseMs: 5, maxMs: 1000 * 1000 },
    private readonly observer: QueueObserver = {},
    private readonly now: () => number = Date.now,
  ) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.observer.added?.();
    this.dirty.add(key);
    this.addedAt.set(key, this.now());
    if (this.processing.has(key)) return; // queued again by done()
    this.push(key);
  }

  /** Adds after delayMs; an earlier pending delayed add for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.now() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  /** Adds after this key's backoff delay and counts a failure; returns the delay. */
  addRateLimited(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    this.observer.retried?.();
    const delay = backoffDelay(n, this.backoff);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the failure count (call after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key, marked as processing; undefined once shut down. */
  get(): Promise<string | undefined> {
    // shut down: no new pass starts, even for keys still queued (a resync's thousand keys made
    // stop() run every one of them first, writes included; the next leader's passes redo them)
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.pop();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    const since = this.processing.get(key);
    if (since !== undefined) this.observer.worked?.((this.now() - since) / 1000);
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    if (this.processing.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  len(): number {
    return this.ready.size;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  unfinishedWork(): UnfinishedWork {
    const now = this.now();
    let totalSeconds = 0;
    let longestSeconds = 0;
    for (const since of this.processing.values()) {
      const s = (now - since) / 1000;
      totalSeconds += s;
      longestSeconds = Math.max(longestSeconds, s);
    }
    return { totalSeconds, longestSeconds };
  }

  /** Stops handing out keys, queued ones included (every get() resolves undefined), and drops pending delayed adds. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** Resolves when no key is being processed. */
  idle(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.handOut(key);
      return waiter(key);
    }
    this.ready.add(key);
    this.observer.depth?.(this.ready.size);
  }

  private pop(): string | undefined {
    if (this.shuttingDown) return undefined;
    const first = this.ready.values().next();
    if (first.done) return undefined;
    this.ready.delete(first.value);
    this.observer.depth?.(this.ready.size);
    this.handOut(first.value);
    return first.value;
  }

  private handOut(key: string): void {
    this.dirty.delete(key);
    this.processing.set(key, this.now());
    const at = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (at !== undefined) this.observer.queued?.((this.now() - at) / 1000);
  }
}
