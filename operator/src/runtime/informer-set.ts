// One informer per watched namespace (or one for all namespaces) for a resource, seen as one cache.
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client';
import type { KubeObject } from '../kube/types';
import { Informer, type InformerHandlers, type InformerOptions } from './informer';

export class InformerSet<T extends KubeObject> {
  private readonly byNamespace = new Map<string, Informer<T>>();
  private readonly all?: Informer<T>;

  /** namespaces empty = all namespaces */
  constructor(client: KubeClient, namespaces: readonly string[], options: Omit<InformerOptions<T>, 'namespace'>, log: Logger) {
    if (namespaces.length === 0) this.all = new Informer<T>(client, options, log);
    for (const ns of namespaces) this.byNamespace.set(ns, new Informer<T>(client, { ...options, namespace: ns }, log));
  }

  private informers(): Informer<T>[] {
    return this.all ? [this.all] : [...this.byNamespace.values()];
  }

  private informerFor(namespace: string): Informer<T> | undefined {
    return this.all ?? this.byNamespace.get(namespace);
  }

  on(handlers: InformerHandlers<T> & { availabilityIn?(namespace: string | undefined, available: boolean): void }): void {
    for (const [ns, inf] of this.all ? [[undefined, this.all] as const] : [...this.byNamespace]) {
      inf.on({ ...handlers, availability: (a) => handlers.availabilityIn?.(ns, a) });
    }
  }

  start(): void {
    for (const i of this.informers()) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers().map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return this.informers().every((i) => i.hasSynced());
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.informers().map((i) => i.waitForSync()));
  }

  get(namespace: string, name: string): T | undefined {
    return this.informerFor(namespace)?.get(namespace, name);
  }

  isServed(namespace: string): boolean {
    return this.informerFor(namespace)?.isServed() ?? false;
  }

  remember(obj: T): void {
    this.informerFor(obj.metadata.namespace ?? '')?.remember(obj);
  }

  ownedBy(namespace: string, uid: string): T[] {
    return this.informerFor(namespace)?.ownedBy(uid) ?? [];
  }

  list(): T[] {
    return this.informers().flatMap((i) => i.list());
  }

  size(): number {
    return this.informers().reduce((n, i) => n + i.size(), 0);
  }
}
