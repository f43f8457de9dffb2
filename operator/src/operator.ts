// startOperator(): informers -> work queue -> reconciler, behind leader election, with the
// probe/metrics server. main.ts runs it as a process; tests run it in-process.
import type { Logger } from 'pino';
import { KIND, type FastApiApp } from './api/types';
import {
  canonicalJson, COMPONENT_LABEL, INSTANCE_LABEL, MANAGED_BY_SELECTOR, MIGRATION_COMPONENT, NOT_MANAGED_BY_SELECTOR, RETRY_MIGRATION_ANNOTATION,
} from './desired/index';
import type { OperatorConfig } from './config';
import { loadClusterAuth, type ClusterAuth } from './kube/auth';
import { KubeClient } from './kube/client';
import { DEFAULT_RETRY, Transport } from './kube/transport';
import { EventRecorder } from './kube/events';
import { PrometheusClient } from './analysis/prometheus';
import { DEPLOYMENTS, FASTAPIAPPS, JOBS, NETWORKPOLICIES, PDBS, PODS, PROMETHEUSRULES, SERVICEMONITORS, SERVICES, type ResourceType } from './kube/resources';
import { objectKey, type Deployment, type Job, type KubeObject, type NetworkPolicy, type Pod, type PodDisruptionBudget, type Service, type Unstructured } from './kube/types';
import { createLogger } from './log';
import { Reconciler } from './reconcile/reconciler';
import { Controller } from './runtime/controller';
import { ownershipOnly } from './runtime/informer';
import { InformerSet } from './runtime/informer-set';
import { LeaderElector } from './runtime/leader';
import { OperatorMetrics } from './runtime/metrics';
import { SecretWatches } from './runtime/secret-watches';
import { startProbeServer } from './runtime/server';
import { loadOrGenerateTls, METRICS_PATH, startSecureMetricsServer } from './runtime/secure-metrics';
import { reviewNonResourceAccess } from './kube/access-review';
import { WorkQueue } from './runtime/workqueue';

export const CONTROLLER_NAME = 'fastapiapp';
/** how long stop() waits for aborted requests whose connection is still being opened */
const SHUTDOWN_DRAIN_MS = 1_000;

export interface StartOptions {
  config: OperatorConfig;
  /** default: from config.kubeconfigPaths, ~/.kube/config or the in-cluster service account (a client-node KubeConfig fits) */
  kubeConfig?: ClusterAuth;
  logger?: Logger;
}

export interface OperatorHandle {
  /** host:port the probe/metrics server listens on */
  readonly metricsAddress: string;
  /** host:port of the HTTPS /metrics server, when config.secureMetricsAddr is set */
  readonly secureMetricsAddress?: string;
  readonly client: KubeClient;
  readonly metrics: OperatorMetrics;
  readonly identity: string;
  isLeader(): boolean;
  /** all caches synced (what /readyz reports) */
  isReady(): boolean;
  /**
   * Graceful stop: stop watches, finish in-flight reconciles, release the Lease.
   * releaseLease: false simulates a crash (the Lease is left to expire).
   */
  stop(options?: { releaseLease?: boolean }): Promise<void>;
  /** resolves when the operator ends: 'stopped' after stop(), 'lost' if it lost leadership */
  readonly done: Promise<'stopped' | 'lost'>;
}

type App = FastApiApp & KubeObject;

/** A migration pod without its spec and managed fields: the cache keeps metadata and status. */
function slimPod(pod: Pod): Pod {
  const { name, namespace, uid, resourceVersion, labels, ownerReferences, creationTimestamp, deletionTimestamp } = pod.metadata;
  const out: Pod = {
    metadata: { name, namespace, uid, resourceVersion, labels, ownerReferences, creationTimestamp },
    status: { phase: pod.status?.phase, containerStatuses: pod.status?.containerStatuses },
  };
  if (deletionTimestamp) out.metadata.deletionTimestamp = deletionTimestamp;
  return out;
}

export async function startOperator(options: StartOptions): Promise<OperatorHandle> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.logLevel);
  const client = new KubeClient(new Transport(options.kubeConfig ?? await loadClusterAuth(config.kubeconfigPaths), DEFAULT_RETRY, config.proxyEnv));
  const namespaces = config.watchNamespaces;

  const informer = <T extends KubeObject>(resource: ResourceType, labelSelector?: string, notServedRetryMs?: number) =>
    new InformerSet<T>(client, namespaces, { resource, labelSelector, notServedRetryMs }, log);
  const apps = informer<App>(FASTAPIAPPS);
  const deployments = informer<Deployment>(DEPLOYMENTS, MANAGED_BY_SELECTOR);
  const services = informer<Service>(SERVICES, MANAGED_BY_SELECTOR);
  const jobs = informer<Job>(JOBS, MANAGED_BY_SELECTOR);
  const disruptionBudgets = informer<PodDisruptionBudget>(PDBS, MANAGED_BY_SELECTOR);
  const networkPolicies = informer<NetworkPolicy>(NETWORKPOLICIES, MANAGED_BY_SELECTOR);
  const serviceMonitors = informer<Unstructured>(SERVICEMONITORS, MANAGED_BY_SELECTOR, config.crdPollMs);
  const prometheusRules = informer<Unstructured>(PROMETHEUSRULES, MANAGED_BY_SELECTOR, config.crdPollMs);
  // Migration pods only (label-selected), reduced to what is read: why one cannot start, the
  // digest it ran, the migrate CLI's termination message.
  const pods = new InformerSet<Pod>(client, namespaces,
    { resource: PODS, labelSelector: `${MANAGED_BY_SELECTOR},${COMPONENT_LABEL}=${MIGRATION_COMPONENT}`, transform: slimPod }, log);
  // The names taken by objects not labelled as ours (metadata only): with the caches above, every
  // name of a child's kind is known, so creates need no GET first. Usually empty.
  const childKinds = [DEPLOYMENTS, SERVICES, JOBS, PDBS, NETWORKPOLICIES, SERVICEMONITORS, PROMETHEUSRULES];
  const names = new Map(childKinds.map((r) => [r.plural, new InformerSet<KubeObject>(client, namespaces, {
    resource: r, labelSelector: NOT_MANAGED_BY_SELECTOR, metadataOnly: true, transform: ownershipOnly,
    notServedRetryMs: r === SERVICEMONITORS || r === PROMETHEUSRULES ? config.crdPollMs : undefined,
  }, log)]));
  const all = [apps, deployments, services, jobs, disruptionBudgets, networkPolicies, serviceMonitors, prometheusRules, pods, ...names.values()];
  const synced = (): boolean => all.every((i) => i.hasSynced());

  // Per-app gauges come from the leader only (`started`: its workers run), so sums over replicas hold.
  const metrics = new OperatorMetrics(() => (started ? apps.list() : []));
  client.transport.observe(metrics.transportObserver());
  // Everything the workers write goes through `writer`: aborted, in flight or not, the moment
  // leadership is lost, so a deposed leader cannot land a write after a standby took over.
  const leadership = new AbortController();
  const writer = client.scoped(leadership.signal);

  const queue: WorkQueue = new WorkQueue({ baseMs: 5, maxMs: 5 * 60_000 }, metrics.queueObserver(CONTROLLER_NAME, () => queue.unfinishedWork()));
  const enqueueOwner = (obj: KubeObject): void => {
    const owner = obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === KIND);
    if (owner && obj.metadata.namespace) queue.add(`${obj.metadata.namespace}/${owner.name}`);
  };
  // Status-only updates (our own status writes) do not change what to do: skip them, as
  // controller-runtime's GenerationChangedPredicate does; the retry annotation (metadata, no
  // generation bump) does change it. Resyncs still visit every app.
  const retryValue = (a: App): string | undefined => a.metadata.annotations?.[RETRY_MIGRATION_ANNOTATION];
  apps.on({
    upsert: (a, old) => {
      if (!old || old.metadata.generation !== a.metadata.generation || old.metadata.deletionTimestamp !== a.metadata.deletionTimestamp
        || retryValue(old) !== retryValue(a)) {
        queue.add(objectKey(a));
      }
    },
  });
  for (const children of [deployments, services, jobs, disruptionBudgets, networkPolicies, serviceMonitors, prometheusRules]) children.on({ upsert: enqueueOwner, delete: enqueueOwner });
  // a migration pod carries its app's name (instance label); the Job owns it, the app owns the Job
  const enqueueApp = (p: KubeObject): void => {
    const app = p.metadata.labels?.[INSTANCE_LABEL];
    if (app && p.metadata.namespace) queue.add(`${p.metadata.namespace}/${app}`);
  };
  pods.on({ upsert: enqueueApp, delete: enqueueApp });
  const enqueueReaders = (s: KubeObject): void => {
    for (const a of apps.list()) {
      if (a.metadata.namespace === s.metadata.namespace && a.spec.databaseSecretRef?.name === s.metadata.name) queue.add(objectKey(a));
    }
  };
  // Marked Secrets, kept as hashes per key (digestSecret): a database URL change rolls the pods.
  // Watched per namespace from the first reconcile of an app there (see secret-watches.ts).
  const secrets = new SecretWatches(client, {
    upsert: (s, old) => { if (!old || canonicalJson(old.keyHashes) !== canonicalJson(s.keyHashes)) enqueueReaders(s); },
    delete: enqueueReaders,
    // access granted or withdrawn: the namespace's apps' SecretWatched condition changes
    accessChanged: (ns) => { for (const a of apps.list()) if (a.metadata.namespace === ns) queue.add(objectKey(a)); },
  }, log);
  // The ServiceMonitor or PrometheusRule CRD appeared or went away: every app's monitoring changes.
  for (const monitoring of [serviceMonitors, prometheusRules]) {
    monitoring.on({
      availabilityIn: (ns) => {
        for (const a of apps.list()) if (!ns || a.metadata.namespace === ns) queue.add(objectKey(a));
      },
    });
  }

  const identity = config.leaderElection.identity;
  const reconciler = new Reconciler(writer, {
    apps, deployments, services, jobs, serviceMonitors, prometheusRules, disruptionBudgets, networkPolicies, secrets, pods,
    names: { get: (r, ns, name) => names.get(r.plural)?.get(ns, name) },
  },
    new EventRecorder(writer, 'fastapiapp-operator', identity), metrics, log, {
      transientErrorThresholdMs: config.transientErrorThresholdMs, runbookBaseUrl: config.runbookBaseUrl,
      ...(config.prometheusUrl ? { prometheus: new PrometheusClient(config.prometheusUrl) } : {}),
    });
  const controller = new Controller(CONTROLLER_NAME, queue, (key) => reconciler.reconcile(key),
    config.maxConcurrentReconciles, log, metrics.controllerObserver(CONTROLLER_NAME));

  const secureMetrics = config.secureMetricsAddr ? await startSecureMetricsServer({
    addr: config.secureMetricsAddr, registry: metrics.registry, tls: await loadOrGenerateTls(config.metricsCertDir),
    review: (token) => reviewNonResourceAccess(client, token, METRICS_PATH), log,
  }) : undefined;
  const server = await startProbeServer(config.metricsAddr, secureMetrics ? undefined : metrics.registry, synced);
  for (const i of all) i.start();

  const resync = setInterval(() => {
    for (const a of apps.list()) queue.add(objectKey(a));
  }, config.resyncPeriodMs);
  resync.unref();

  const elector = config.leaderElect ? new LeaderElector(client, config.leaderElection, log) : undefined;
  let started = false;
  const startWorkers = (): void => {
    if (started) return;
    started = true;
    metrics.leader.set({ name: config.leaderElection.name }, 1);
    controller.start();
  };

  let stopping: Promise<void> | undefined;
  let resolveDone!: (v: 'stopped' | 'lost') => void;
  const done = new Promise<'stopped' | 'lost'>((r) => (resolveDone = r));

  const shutdown = async (releaseLease: boolean, reason: 'stopped' | 'lost'): Promise<void> => {
    const began = Date.now();
    const step = (what: string): void => log.debug({ ms: Date.now() - began }, `shutdown: ${what}`);
    clearInterval(resync);
    elector?.stop();
    // Stop watches and in-flight reconciles together; reconciles read from the caches only.
    await Promise.all([controller.stop().then(() => step('workers done')), Promise.all(all.map((i) => i.stop())).then(() => step('informers stopped')),
      secrets.stop().then(() => step('Secret watches stopped'))]);
    if (releaseLease && elector) {
      try {
        await elector.release();
      } catch (err) {
        log.error({ err }, 'could not release the leader Lease; it expires on its own');
      }
    }
    step('Lease released');
    metrics.leader.set({ name: config.leaderElection.name }, 0);
    await Promise.all([server.close(), secureMetrics?.close()]);
    step('servers closed');
    client.close();
    // aborted requests whose connection was still being opened (through a proxy): done before stop() returns
    const unfinished = await client.transport.drain(SHUTDOWN_DRAIN_MS);
    if (unfinished > 0) log.warn({ unfinished }, 'requests still connecting at shutdown; left behind');
    log.info({ reason, ms: Date.now() - began }, 'operator stopped');
    resolveDone(reason);
  };

  // Campaign only once caches are synced, so the first reconciles see the children that exist.
  void (async () => {
    await Promise.all(all.map((i) => i.waitForSync()));
    if (stopping) return;
    log.info({ namespaces: namespaces.length ? namespaces : 'all', metrics: server.address }, 'caches synced');
    if (!elector) return startWorkers();
    const result = await elector.run(startWorkers, () => {
      // at the renew deadline itself: no new reconcile starts, in-flight requests are aborted
      started = false;
      leadership.abort(new Error('leadership lost'));
      metrics.leader.set({ name: config.leaderElection.name }, 0);
      void controller.stop();
    });
    if (result === 'lost' && !stopping) stopping = shutdown(false, 'lost');
  })().catch((err: unknown) => {
    log.fatal({ err }, 'operator start-up failed');
    stopping ??= shutdown(false, 'stopped');
  });

  log.info({ identity, leaderElect: config.leaderElect, probes: server.address, metrics: secureMetrics ? `https://${secureMetrics.address}` : server.address }, 'operator started');
  return {
    metricsAddress: server.address,
    ...(secureMetrics ? { secureMetricsAddress: secureMetrics.address } : {}),
    client,
    metrics,
    identity,
    isLeader: () => (elector ? elector.isLeader() : started),
    isReady: synced,
    stop: ({ releaseLease = true } = {}) => (stopping ??= shutdown(releaseLease, 'stopped')),
    done,
  };
}
