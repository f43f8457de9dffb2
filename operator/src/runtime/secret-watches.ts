// The Secrets apps reference, watched per namespace and only when labelled
// platform.fastapiapp.io/secret=true: the operator never lists every Secret in the cluster, and
// its Secret read is granted per namespace (a RoleBinding to the secret-reader ClusterRole), so
// a namespace's watch starts when its first FastApiApp appears. A refused list (no RoleBinding)
// is reported, not retried with backoff: the app gets SecretNotWatched until access is granted.
import type { Logger } from 'pino';
import { digestSecret, WATCHED_SECRET_SELECTOR, type SecretDigest } from '../desired/secret-hash';
import type { KubeClient } from '../kube/client';
import { SECRETS } from '../kube/resources';
import { Informer, type InformerHandlers } from './informer';

/** What the operator can see of a namespace's Secrets. */
export type SecretAccess = 'watched' | 'denied';

export type SecretHandlers = Omit<InformerHandlers<SecretDigest>, 'availability'> & {
  /** the namespace's Secrets became readable or stopped being readable */
  accessChanged?(namespace: string): void;
};

/**
 * The watches were stopped (the operator is shutting down) before the namespace's Secrets were
 * listed: a pass that goes on would see no Secret and report SecretNotFound. It ends instead.
 */
export class SecretWatchesStoppedError extends Error {
  override readonly name = 'SecretWatchesStoppedError';
}

export class SecretWatches {
  private readonly byNamespace = new Map<string, Informer<SecretDigest>>();
  private stopped = false;

  /** retryMs: how often a refused namespace is asked again */
  constructor(private readonly client: KubeClient, private readonly handlers: SecretHandlers,
    private readonly log: Logger, private readonly retryMs = 10_000) {}

  /**
   * Starts watching a namespace's marked Secrets (once); resolves when its first list answered.
   * Rejects with SecretWatchesStoppedError when stop() came first (no list is started then).
   */
  async watch(namespace: string): Promise<SecretAccess> {
    let inf = this.byNamespace.get(namespace);
    if (!inf && !this.stopped) {
      inf = new Informer<SecretDigest>(this.client, {
        resource: SECRETS, namespace, labelSelector: WATCHED_SECRET_SELECTOR,
        transform: digestSecret as (o: SecretDigest) => SecretDigest, deniedAsUnavailable: true, notServedRetryMs: this.retryMs,
      }, this.log);
      inf.on({ ...this.handlers, availability: () => this.handlers.accessChanged?.(namespace) });
      this.byNamespace.set(namespace, inf);
      inf.start();
    }
    await inf?.waitForSync();
    if (!inf?.hasSynced()) throw new SecretWatchesStoppedError(`stopped before the Secrets of namespace ${namespace} were listed`);
    return inf.isDenied() ? 'denied' : 'watched';
  }

  get(namespace: string, name: string): SecretDigest | undefined {
    return this.byNamespace.get(namespace)?.get(namespace, name);
  }

  namespaces(): string[] {
    return [...this.byNamespace.keys()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.byNamespace.values()].map((i) => i.stop()));
  }
}
