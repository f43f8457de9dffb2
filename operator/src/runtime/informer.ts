// An informer: list + watch from the list's resourceVersion into an in-memory store, emitting
// add/update/delete. Relists on 410 Gone and on "too large resource version" (a server that has
// not seen our resourceVersion: a failover to another API server, an etcd restored from an older
// state). A watch from such a resourceVersion does not fail, it waits silently for changes the
// server may never have; so after a lost connection and after a watch that delivered nothing, a
// one-item list "not older than" our resourceVersion asks the server first (kube-apiserver
// answers 504 ResourceVersionTooLarge when its cache is behind). Reconnects with jittered backoff, backs
// off too when a watch ends at once without delivering anything (client-go's "very short watch":
// a proxy or load balancer closing streams would otherwise make it a hot loop), restarts a watch
// that has gone silent (stall detector), and treats a resource that is not served (404, e.g. the
// ServiceMonitor CRD is not installed) as "unavailable" and polls until it appears. A relist
// replaces the cache with what the list says, older resourceVersions included.
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client';
import { isForbidden, isGone, isNotFound, isResourceVersionTooLarge, KubeApiError, WatchStalledError } from '../kube/errors';
import { apiVersionOf, type ResourceType } from '../kube/resources';
import { objectKey, type KubeObject, type WatchEvent } from '../kube/types';
import { backoffDelay, jittered, sleep } from './backoff';

export interface InformerHandlers<T> {
  upsert?(obj: T, old: T | undefined): void;
  delete?(obj: T): void;
  /** the resource became served / stopped being served */
  availability?(available: boolean): void;
}

export interface InformerOptions<T> {
  resource: ResourceType;
  /** undefined = all namespaces */
  namespace?: string;
  labelSelector?: string;
  /** drop what the operator never reads, to keep the cache small */
  transform?: (obj: T) => T;
  /** server-side watch timeout (randomized up to +50%, so watches do not all restart together) */
  watchTimeoutSeconds?: number;
  /** restart a watch that delivered nothing for this long; defaults to the watch timeout + 30 s */
  stallMs?: number;
  reconnect?: { baseMs: number; maxMs: number };
  /** how often to look again for a resource that is not served */
  notServedRetryMs?: number;
  /**
   * treat 403 Forbidden like a resource that is not served (an empty, synced view; polled every
   * notServedRetryMs; isDenied() true) instead of retrying with backoff while never syncing
   */
  deniedAsUnavailable?: boolean;
  /** a watch that ends sooner than this having delivered nothing counts as a failure (backoff) */
  minWatchMs?: number;
  pageSize?: number;
  /** cache metadata only (PartialObjectMetadata): which names exist and who controls them */
  metadataOnly?: boolean;
}

/** Removes managedFields and kubectl's last-applied annotation: the bulk of most objects. */
export function stripForCache<T extends KubeObject>(obj: T): T {
  const { managedFields: _mf, ...metadata } = obj.metadata;
  const annotations = metadata.annotations;
  if (annotations && 'kubectl.kubernetes.io/last-applied-configuration' in annotations) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _lac, ...rest } = annotations;
    metadata.annotations = rest;
  }
  return { ...obj, metadata };
}

/** What a metadata-only cache keeps: enough to tell whether a name is taken and who controls it. */
export function ownershipOnly<T extends KubeObject>(obj: T): T {
  const { name, namespace, uid, resourceVersion, ownerReferences, deletionTimestamp } = obj.metadata;
  return { metadata: { name, namespace, uid, resourceVersion, ownerReferences, deletionTimestamp } } as T;
}

const rvNumber = (o: KubeObject | undefined): bigint | undefined => {
  const rv = o?.metadata.resourceVersion;
  return rv && /^\d+$/.test(rv) ? BigInt(rv) : undefined;
};

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  /** controller owner uid -> key -> object, so "the Jobs of this app" needs no scan */
  private readonly byOwner = new Map<string, Map<string, T>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly abort = new AbortController();
  /** the client for lists: stop() aborts a list in flight (a frozen or slow server cannot hold stop() up) */
  private readonly lister: KubeClient;
  private resourceVersion?: string;
  private synced = false;
  /** events the current watch delivered; a watch that delivered any was healthy (backoff resets) */
  private eventsThisWatch = 0;
  private served = true;
  private denied = false;
  private loop?: Promise<void>;
  private syncWaiters: Array<() => void> = [];
  /** relists after the first list (410 Gone, too large resource version) */
  private relists = 0;
  private readonly opts: Required<Omit<InformerOptions<T>, 'namespace' | 'labelSelector' | 'stallMs' | 'metadataOnly'>> & InformerOptions<T>;

  constructor(private readonly client: KubeClient, options: InformerOptions<T>, private readonly log: Logger) {
    this.lister = client.scoped(this.abort.signal);
    this.opts = {
      transform: stripForCache, watchTimeoutSeconds: 300, reconnect: { baseMs: 250, maxMs: 30_000 },
      notServedRetryMs: 5_000, pageSize: 500, minWatchMs: 1_000, deniedAsUnavailable: false, ...options,
    };
  }

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Aborts the list or watch in flight and ends the loop; starts no request afterwards. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Relists since the first list (after 410 Gone or a too large resource version). */
  relistCount(): number {
    return this.relists;
  }

  /** False while the API server does not serve the resource (e.g. CRD not installed). */
  isServed(): boolean {
    return this.served;
  }

  /** The last list was refused (403) and deniedAsUnavailable is set. */
  isDenied(): boolean {
    return this.denied;
  }

  waitForSync(): Promise<void> {
    if (this.synced || this.abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  /** Objects whose controller owner reference has this uid. */
  ownedBy(uid: string): T[] {
    return [...(this.byOwner.get(uid)?.values() ?? [])];
  }

  size(): number {
    return this.store.size;
  }

  /**
   * Write-through: store the object a write returned, so the next reconcile does not act on a
   * cache that has not seen our own write yet. Ignored when the store already has a newer one.
   */
  remember(obj: T): void {
    this.put(this.opts.transform(obj));
  }

  private async run(): Promise<void> {
    const { resource, namespace, labelSelector, metadataOnly } = this.opts;
    let failures = 0;
    let verify = false;
    while (!this.abort.signal.aborted) {
      try {
        if (this.resourceVersion !== undefined && verify && !(await this.resourceVersionServed())) {
          this.log.warn({ resource: resource.plural, namespace, resourceVersion: this.resourceVersion }, 'too large resource version: the server is behind our cache; relisting');
          this.relistNext();
        }
        verify = false;
        if (this.resourceVersion === undefined) await this.relist();
        const timeoutSeconds = Math.round(this.opts.watchTimeoutSeconds * (1 + Math.random() / 2));
        this.eventsThisWatch = 0;
        const watchStarted = Date.now();
        await this.client.watch<T>(resource, namespace, {
          labelSelector, metadataOnly, resourceVersion: this.resourceVersion, timeoutSeconds,
          stallMs: this.opts.stallMs ?? (timeoutSeconds + 30) * 1000,
        }, (ev) => this.onEvent(ev), this.abort.signal);
        const lasted = Date.now() - watchStarted;
        if (this.eventsThisWatch === 0 && lasted < this.opts.minWatchMs && !this.abort.signal.aborted) {
          throw new VeryShortWatchError(`${resource.plural}: the watch ended after ${lasted} ms without delivering anything`);
        }
        verify = this.eventsThisWatch === 0; // not even a bookmark for a whole watch: is the server behind us?
        failures = 0;
      } catch (err) {
        if (this.abort.signal.aborted) break;
        if (isGone(err)) {
          this.log.debug({ resource: resource.plural, namespace }, 'watch expired (410 Gone); relisting');
          this.relistNext();
          continue;
        }
        if (isResourceVersionTooLarge(err)) {
          // Our resourceVersion is ahead of what this server has: watching from it again would
          // wait for changes the server may never have. Relist from a consistent read.
          this.log.warn({ err, resource: resource.plural, namespace, resourceVersion: this.resourceVersion }, 'too large resource version; relisting');
          this.relistNext();
          continue;
        }
        if (isNotFound(err) || (this.opts.deniedAsUnavailable && isForbidden(err))) {
          if (isForbidden(err) && !this.denied) this.log.warn({ resource: resource.plural, namespace }, 'list forbidden; will look again');
          this.denied = isForbidden(err);
          this.resourceVersion = undefined;
          this.setServed(false);
          await sleep(this.opts.notServedRetryMs, this.abort.signal);
          continue;
        }
        // the connection failed: the next server may not be the one our resourceVersion came from
        verify = isNetworkError(err);
        // A watch that delivered events was healthy: back off from the start again, as client-go
        // does, rather than from where a long-past outage left off.
        if (this.eventsThisWatch > 0) failures = 0;
        failures++;
        const delay = jittered(backoffDelay(failures, this.opts.reconnect));
        this.log.warn({ err, resource: resource.plural, namespace, retryInMs: delay }, 'list/watch failed; reconnecting');
        await sleep(delay, this.abort.signal);
      }
    }
  }

  /** The next pass lists afresh instead of watching from our resourceVersion (counted: relistCount). */
  private relistNext(): void {
    this.resourceVersion = undefined;
    this.relists++;
  }

  /** Whether the server has seen our resourceVersion (a one-item list from its watch cache). */
  private async resourceVersionServed(): Promise<boolean> {
    const { resource, namespace, labelSelector, metadataOnly } = this.opts;
    try {
      await this.lister.list<T>(resource, namespace, { labelSelector, metadataOnly, limit: 1, resourceVersion: this.resourceVersion, resourceVersionMatch: 'NotOlderThan' });
      return true;
    } catch (err) {
      if (isResourceVersionTooLarge(err)) return false;
      throw err;
    }
  }

  private async relist(): Promise<void> {
    const { resource, namespace, labelSelector, pageSize, metadataOnly } = this.opts;
    const seen = new Set<string>();
    let continueToken: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.lister.list<T>(resource, namespace, { labelSelector, metadataOnly, limit: pageSize, continue: continueToken });
      // an empty PartialObjectMetadataList has no items at all
      for (const item of page.items ?? []) {
        // list items carry no apiVersion/kind; fill them in so the cache holds whole objects
        const obj = this.opts.transform({ ...item, apiVersion: item.apiVersion ?? apiVersionOf(resource), kind: item.kind ?? resource.kind });
        seen.add(objectKey(obj));
        this.put(obj, true);
      }
      continueToken = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (continueToken);
    for (const [key, obj] of this.store) if (!seen.has(key)) this.remove(obj);
    this.resourceVersion = rv;
    this.denied = false;
    this.setServed(true);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private onEvent(ev: WatchEvent<T>): void {
    this.eventsThisWatch++;
    if (ev.type === 'ERROR') {
      const status = ev.object as unknown as { code?: number; reason?: string; message?: string; details?: { causes?: Array<{ reason?: string }> } };
      throw new KubeApiError(status.code ?? 500, status.reason ?? '', status.message ?? 'watch error', 'WATCH', this.opts.resource.plural,
        { causes: (status.details?.causes ?? []).map((c) => c.reason ?? '').filter(Boolean) });
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (ev.type === 'BOOKMARK') return;
    const obj = this.opts.transform(ev.object);
    if (ev.type === 'DELETED') this.remove(obj);
    else this.put(obj);
  }

  /**
   * Stores obj unless the store holds the same or a newer version. A list is the server's whole
   * truth (`fromList`): it replaces whatever differs, an older resourceVersion included, since
   * after a failover to another API server or an etcd restore the numbers went back (client-go's
   * Replace); only the very same object (same uid and resourceVersion) is left alone.
   */
  private put(obj: T, fromList = false): void {
    const key = objectKey(obj);
    const old = this.store.get(key);
    const oldRv = rvNumber(old);
    const newRv = rvNumber(obj);
    if (old && oldRv !== undefined && newRv !== undefined) {
      const same = newRv === oldRv && old.metadata.uid === obj.metadata.uid;
      if (fromList ? same : newRv <= oldRv) return; // stale or same
    }
    this.store.set(key, obj);
    if (old) this.unindex(key, old);
    this.index(key, obj);
    for (const h of this.handlers) h.upsert?.(obj, old);
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    const old = this.store.get(key);
    if (!old) return;
    this.store.delete(key);
    this.unindex(key, old);
    for (const h of this.handlers) h.delete?.(old);
  }

  private index(key: string, obj: T): void {
    const uid = controllerUid(obj);
    if (!uid) return;
    let owned = this.byOwner.get(uid);
    if (!owned) this.byOwner.set(uid, (owned = new Map()));
    owned.set(key, obj);
  }

  private unindex(key: string, obj: T): void {
    const uid = controllerUid(obj);
    const owned = uid ? this.byOwner.get(uid) : undefined;
    if (!owned) return;
    owned.delete(key);
    if (owned.size === 0) this.byOwner.delete(uid!);
  }

  private setServed(served: boolean): void {
    if (served === this.served && this.synced) return;
    const changed = served !== this.served;
    this.served = served;
    if (!served) {
      for (const obj of [...this.store.values()]) this.remove(obj);
      if (!this.synced) {
        this.synced = true; // "nothing exists" is a complete view too
        for (const w of this.syncWaiters.splice(0)) w();
      }
      this.log.info({ resource: this.opts.resource.plural, namespace: this.opts.namespace }, 'resource not served by the API server; will look again');
    }
    if (changed) for (const h of this.handlers) h.availability?.(served);
  }
}


/** A watch that ended at once with nothing delivered (client-go: "very short watch"). */
export class VeryShortWatchError extends Error {
  override readonly name = 'VeryShortWatchError';
}

/**
 * A lost connection (refused, reset, timed out): not an answer from the server. A stalled watch
 * is left out: its server went quiet, it did not change (and the idle keep-alive connections a
 * check would use may be stalled too).
 */
const isNetworkError = (err: unknown): boolean =>
  !(err instanceof KubeApiError) && !(err instanceof VeryShortWatchError) && !(err instanceof WatchStalledError);

const controllerUid = (obj: KubeObject): string | undefined => obj.metadata.ownerReferences?.find((r) => r.controller)?.uid;
