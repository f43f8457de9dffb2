// A recorded watch of one collection on the real API server: every event in the server's order,
// each with its resourceVersion and local arrival time, so a scenario can wait on events instead
// of polling and reconstruct what existed at a given resourceVersion afterwards.
// The watch starts without a resourceVersion (synthetic ADDED events for what exists, then every
// change) and resumes from the last resourceVersion it saw when the server closes it.
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Seen<T> {
  type: WatchType;
  object: T;
  /** metadata.resourceVersion of the object in this event (an etcd revision on this one-etcd cluster) */
  rv: number;
  /** Date.now() when the event arrived */
  at: number;
}

/** resourceVersion as a number: opaque to clients in general, an etcd revision here (one etcd, one API server). */
export const rvOf = (o: KubernetesObject): number => Number(o.metadata?.resourceVersion ?? 0);

export class WatchRecorder<T extends KubernetesObject> {
  readonly events: Seen<T>[] = [];
  /** the highest resourceVersion the stream has delivered (bookmarks included) */
  progress = 0;
  private readonly listeners = new Set<() => void>();
  private controller?: AbortController;
  private stopped = false;
  private failure?: Error;

  private constructor(private readonly kc: KubeConfig, readonly path: string, private readonly query: Record<string, string>) {}

  /** Resolves once the API server accepted the watch request. */
  static async start<T extends KubernetesObject>(kc: KubeConfig, path: string, query: Record<string, string> = {}): Promise<WatchRecorder<T>> {
    const recorder = new WatchRecorder<T>(kc, path, query);
    await recorder.open(undefined);
    return recorder;
  }

  private async open(resourceVersion: string | undefined): Promise<void> {
    this.controller = await new Watch(this.kc).watch(this.path,
      { ...this.query, allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
      (type: string, object: T) => {
        const rv = rvOf(object);
        this.progress = Math.max(this.progress, rv);
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.events.push({ type, object, rv, at: Date.now() });
        else if (type === 'ERROR') this.failure = new Error(`watch ${this.path}: ${JSON.stringify(object)}`);
        this.listeners.forEach((l) => l());
      },
      (err: unknown) => {
        if (this.stopped) return;
        if (err && !this.failure) this.failure = new Error(`watch ${this.path} ended: ${String(err)}`);
        if (this.failure) {
          this.listeners.forEach((l) => l());
          return;
        }
        // the server closed the watch (its timeout): resume where it stopped
        void this.open(String(this.progress)).catch((e: unknown) => {
          this.failure = new Error(`watch ${this.path} could not resume: ${String(e)}`);
          this.listeners.forEach((l) => l());
        });
      });
  }

  /**
   * The first value `match` returns for an event at index >= from (past events first, then new
   * ones as they arrive), with that event's index. Fails after timeoutMs, or when the watch failed.
   */
  until<R>(what: string, match: (e: Seen<T>, index: number) => R | undefined, timeoutMs: number, from = 0): Promise<{ value: R; index: number }> {
    return new Promise((resolve, reject) => {
      let next = from;
      const check = (): boolean => {
        for (; next < this.events.length; next++) {
          const value = match(this.events[next]!, next);
          if (value !== undefined) {
            resolve({ value, index: next });
            return true;
          }
        }
        if (this.failure) {
          reject(this.failure);
          return true;
        }
        return false;
      };
      if (check()) return;
      const listener = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (watch ${this.path}, ${this.events.length} events)`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /** The objects that existed at resourceVersion `rv`, by name, replayed from the events (needs progress >= rv). */
  objectsAt(rv: number): Map<string, T> {
    const live = new Map<string, T>();
    for (const e of this.events) {
      if (e.rv > rv) continue; // later changes (the opening synthetic ADDED events are not in resourceVersion order)
      if (e.type === 'DELETED') live.delete(e.object.metadata!.name!);
      else live.set(e.object.metadata!.name!, e.object);
    }
    return live;
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }
}
