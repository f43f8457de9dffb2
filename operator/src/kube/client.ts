// The only Kubernetes I/O of the operator: get, list, watch, server-side apply (field manager
// fastapiapp-operator, force), status apply, create/update (Leases, Events), delete.
import { setMaxListeners } from 'node:events';
import type { ClusterAuth } from './auth';
import { isNotFound } from './errors';
import { resourcePath, apiVersionOf, type ResourceType } from './resources';
import { RequestCounter } from './request-counter';
import { Transport, type RequestSpec } from './transport';
import type { KubeObject, ObjectList, WatchEvent } from './types';

export const FIELD_MANAGER = 'fastapiapp-operator';
const APPLY = 'application/apply-patch+yaml'; // JSON is YAML

export interface ListOptions {
  labelSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  /** with resourceVersion: 'NotOlderThan' is served from the watch cache (and says when it is ahead of it) */
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  /** items as PartialObjectMetadata: metadata only (names, owners), a fraction of the bytes */
  metadataOnly?: boolean;
}

export interface WatchOptions {
  labelSelector?: string;
  resourceVersion?: string;
  timeoutSeconds: number;
  stallMs: number;
  /** events carry PartialObjectMetadata */
  metadataOnly?: boolean;
}

// What client-go's metadata client asks for: objects reduced to apiVersion, kind and metadata.
const metadataAccept = (as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'): string =>
  `application/json;as=${as};g=meta.k8s.io;v=v1,application/json`;

export class KubeClient {
  readonly transport: Transport;
  /** requests this client (and every scoped() view of it) made */
  readonly requests: RequestCounter;

  constructor(kc: ClusterAuth | Transport, private readonly signal?: AbortSignal, requests?: RequestCounter) {
    this.transport = kc instanceof Transport ? kc : new Transport(kc);
    this.requests = requests ?? new RequestCounter();
    if (!requests) this.transport.observe(this.requests);
  }

  /**
   * The same connection, but every request is aborted once `signal` aborts (in flight, or
   * waiting to retry) and refused afterwards: the leader's writes end the moment leadership is lost.
   * For a deadline use runtime/deadline's withDeadline, not AbortSignal.timeout (see there why).
   */
  scoped(signal: AbortSignal): KubeClient {
    const scope = this.signal ? AbortSignal.any([this.signal, signal]) : signal;
    // Every request in flight listens on it (and stops listening when done): eight workers
    // applying children concurrently pass Node's default of 10 listeners without any leak.
    setMaxListeners(0, scope);
    return new KubeClient(this.transport, scope, this.requests);
  }

  private request<T>(spec: RequestSpec): Promise<T> {
    return this.transport.request<T>(this.signal ? { ...spec, signal: this.signal } : spec);
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject>(r: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.request<T>({ verb: 'get', resource: r.plural, method: 'GET', path: resourcePath(r, namespace, name) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(r: ResourceType, namespace: string | undefined, opts: ListOptions = {}): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>({
      verb: 'list', resource: r.plural, method: 'GET', path: resourcePath(r, namespace),
      accept: opts.metadataOnly ? metadataAccept('PartialObjectMetadataList') : undefined,
      query: {
        labelSelector: opts.labelSelector, limit: opts.limit, continue: opts.continue,
        resourceVersion: opts.resourceVersion, resourceVersionMatch: opts.resourceVersionMatch,
      },
    });
  }

  /** Streams watch events until the server closes the watch, the signal aborts, or it stalls. */
  watch<T extends KubeObject>(r: ResourceType, namespace: string | undefined, opts: WatchOptions,
    onEvent: (ev: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    return this.transport.stream({
      verb: 'watch', resource: r.plural, method: 'GET', path: resourcePath(r, namespace),
      accept: opts.metadataOnly ? metadataAccept('PartialObjectMetadata') : undefined,
      query: {
        watch: true, allowWatchBookmarks: true, labelSelector: opts.labelSelector,
        resourceVersion: opts.resourceVersion, timeoutSeconds: opts.timeoutSeconds,
      },
    }, (line) => onEvent(line as WatchEvent<T>), signal, opts.stallMs);
  }

  /** Server-side apply of a whole object we own (create or update); returns the stored object. */
  async apply<T extends KubeObject>(r: ResourceType, obj: T): Promise<T> {
    const body = { ...obj, apiVersion: apiVersionOf(r), kind: r.kind };
    return this.request<T>({
      verb: 'apply', resource: r.plural, method: 'PATCH', contentType: APPLY,
      path: resourcePath(r, obj.metadata.namespace, obj.metadata.name),
      query: { fieldManager: FIELD_MANAGER, force: true }, body,
    });
  }

  /** Server-side apply of the status subresource: the status we send replaces the status we own. */
  async applyStatus<T extends KubeObject>(r: ResourceType, namespace: string, name: string, status: unknown): Promise<T> {
    return this.request<T>({
      verb: 'apply', resource: `${r.plural}/status`, method: 'PATCH', contentType: APPLY,
      path: resourcePath(r, namespace, name, 'status'),
      query: { fieldManager: FIELD_MANAGER, force: true },
      body: { apiVersion: apiVersionOf(r), kind: r.kind, metadata: { name, namespace }, status },
    });
  }

  async create<T extends KubeObject>(r: ResourceType, obj: T): Promise<T> {
    return this.request<T>({
      verb: 'create', resource: r.plural, method: 'POST', path: resourcePath(r, obj.metadata.namespace),
      query: { fieldManager: FIELD_MANAGER }, body: { ...obj, apiVersion: apiVersionOf(r), kind: r.kind },
    });
  }

  /** PUT with the object's resourceVersion: optimistic concurrency (409 Conflict when stale). */
  async update<T extends KubeObject>(r: ResourceType, obj: T): Promise<T> {
    return this.request<T>({
      verb: 'update', resource: r.plural, method: 'PUT', path: resourcePath(r, obj.metadata.namespace, obj.metadata.name),
      query: { fieldManager: FIELD_MANAGER }, body: { ...obj, apiVersion: apiVersionOf(r), kind: r.kind },
    });
  }

  /**
   * Deletes; false when it was already gone. Foreground keeps the object (deletionTimestamp, the
   * foregroundDeletion finalizer) until the garbage collector removed its dependents: a Job
   * stays until its pods are gone.
   */
  async delete(r: ResourceType, namespace: string | undefined, name: string,
    propagationPolicy: 'Background' | 'Foreground' = 'Background'): Promise<boolean> {
    try {
      await this.request({
        verb: 'delete', resource: r.plural, method: 'DELETE', path: resourcePath(r, namespace, name),
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  close(): void {
    this.transport.close();
  }
}
