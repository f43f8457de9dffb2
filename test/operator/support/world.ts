// Test-side helpers to create FastApiApps and to play the missing controllers (Job, Deployment)
// by writing child status through the status subresource. Uses its own client, not the operator's.
import type { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, KIND, type FastApiApp, type FastApiAppSpec, type Condition } from '../../../operator/src/api/types';
import { KubeClient } from '../../../operator/src/kube/client';
import { isConflict } from '../../../operator/src/kube/errors';
import { DEPLOYMENTS, EVENTS, FASTAPIAPPS, JOBS, PODS, SECRETS, SERVICEMONITORS, SERVICES, resourcePath, type ResourceType } from '../../../operator/src/kube/resources';
import type { KubeObject } from '../../../operator/src/kube/types';
import { IMAGE_ANNOTATION, WATCHED_SECRET_LABEL } from '../../../operator/src/desired';
import { newestFirst } from '../../../operator/src/reconcile/plan';
import { waitFor } from '../../harness/wait';

export type App = FastApiApp & KubeObject;

/**
 * Objects as tests read them: any JSON below metadata. The operator's own code uses client-node's
 * V1 types (kube/types.ts); assertions here poke at whatever field they check.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = KubeObject & { [key: string]: any };

/** Polls fn until it returns a truthy value (which it returns); fails with the last value/error. */
export type Truthy<T> = Exclude<T, false | '' | 0 | null | undefined>;

/** waitFor (the one polling helper) for a truthy value: the operator suites' form. */
export function eventually<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 20_000, intervalMs = 100): Promise<Truthy<T>> {
  return waitFor(what, async () => ((await fn()) || undefined) as Truthy<T> | undefined, timeoutMs, intervalMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class World {
  readonly client: KubeClient;

  constructor(kc: KubeConfig, readonly namespace: string) {
    this.client = new KubeClient(kc);
  }

  close(): void {
    this.client.close();
  }

  /** A database Secret (DATABASE_URL) in the namespace, labelled for the operator; an existing one is left as it is. */
  async ensureSecret(name: string, url = `postgres://app:pw@db/${name}`): Promise<void> {
    try {
      await this.client.create(SECRETS, { metadata: { name, namespace: this.namespace, labels: { [WATCHED_SECRET_LABEL]: 'true' } }, data: { DATABASE_URL: Buffer.from(url).toString('base64') } } as KubeObject);
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }

  /** Creates the FastApiApp; with the default databaseSecretRef (db) the Secret is made first, as a user would. */
  async createApp(name: string, spec: Partial<FastApiAppSpec> = {}): Promise<App> {
    if (!spec.databaseSecretRef) await this.ensureSecret('db');
    return this.client.create<App>(FASTAPIAPPS, {
      apiVersion: API_VERSION, kind: KIND,
      metadata: { name, namespace: this.namespace },
      spec: { image: 'registry.example/items', tag: 'v1', databaseSecretRef: { name: 'db' }, ...spec },
    } as App);
  }

  app(name: string): Promise<App | undefined> {
    return this.client.get<App>(FASTAPIAPPS, this.namespace, name);
  }

  /** JSON merge patch of the FastApiApp spec, as `kubectl patch --type merge` does. */
  async patchSpec(name: string, spec: Record<string, unknown>): Promise<App> {
    return this.mergePatch<App>(FASTAPIAPPS, name, { spec });
  }

  async mergePatch<T extends KubeObject>(r: ResourceType, name: string, body: unknown, subresource?: string): Promise<T> {
    return this.client.transport.request<T>({
      verb: 'patch', resource: r.plural, method: 'PATCH', contentType: 'application/merge-patch+json',
      path: resourcePath(r, this.namespace, name, subresource), body,
    });
  }

  get(r: ResourceType, name: string): Promise<Loose | undefined> {
    return this.client.get<Loose>(r, this.namespace, name);
  }

  deployment = (name: string) => this.get(DEPLOYMENTS, name);
  service = (name: string) => this.get(SERVICES, name);
  serviceMonitor = (name: string) => this.get(SERVICEMONITORS, name);
  job = (name: string) => this.get(JOBS, name);

  async jobs(): Promise<Loose[]> {
    return (await this.client.list<Loose>(JOBS, this.namespace)).items;
  }

  /** The app's migration Jobs, oldest first (as the operator orders them for the history limit). */
  async jobsOf(app: App): Promise<Loose[]> {
    return (await this.jobs()).filter((j) => j.metadata.ownerReferences?.some((r) => r.uid === app.metadata.uid))
      .sort((a, b) => newestFirst(b, a));
  }

  /** The newest migration Job of the app for an image (the Job name hashes more than the image). */
  async jobFor(app: App, ref: string): Promise<Loose | undefined> {
    return (await this.jobsOf(app)).filter((j) => j.metadata.annotations?.[IMAGE_ANNOTATION] === ref).pop();
  }

  async events(involvedName: string): Promise<Loose[]> {
    const list = await this.client.list<Loose>(EVENTS, this.namespace);
    return list.items.filter((e) => e.involvedObject?.name === involvedName);
  }

  /**
   * Plays the garbage collector for a Job deleted with Foreground propagation (its pods are gone):
   * drops the foregroundDeletion finalizer the API server put on it, so the Job goes.
   */
  async collectForeground(name: string): Promise<void> {
    await this.mergePatch(JOBS, name, { metadata: { finalizers: null } });
  }

  /**
   * Plays the Job controller and kubelet: a pod of the Job with the migrate container in `state`
   * (waiting / terminated with a termination message), as the pod cache would see it.
   */
  async jobPod(job: Loose, phase: string, container: Record<string, unknown>, suffix = 'p1'): Promise<Loose> {
    const pod = await this.client.create<Loose>(PODS, {
      metadata: {
        name: `${job.metadata.name}-${suffix}`, namespace: this.namespace, labels: job.spec.template.metadata.labels,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...job.spec.template.spec },
    } as Loose);
    await this.mergePatch(PODS, pod.metadata.name, {
      status: { phase, containerStatuses: [{ name: 'migrate', image: job.spec.template.spec.containers[0].image, imageID: '', ready: false, restartCount: 0, ...container }] },
    }, 'status');
    return pod;
  }

  /**
   * Plays the Job controller: marks the Job Complete (or Failed). A Job without a pod yet gets one
   * that ran the migrate CLI, with its one-line summary as the termination message (nothing pending).
   */
  async finishJob(name: string, outcome: 'succeeded' | 'failed'): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const job = await this.job(name);
    const pods = job ? (await this.client.list<Loose>(PODS, this.namespace)).items.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === job.metadata.uid)) : [];
    if (job && pods.length === 0) {
      const command = job.metadata.annotations?.['fastapiapp.io/migration-phase'] ?? 'pre';
      const summary = { command, result: outcome === 'succeeded' ? 'upToDate' : 'failed', applied: [], head: null, pendingPost: [], message: outcome };
      await this.jobPod(job, outcome === 'succeeded' ? 'Succeeded' : 'Failed', {
        state: { terminated: { exitCode: outcome === 'succeeded' ? 0 : 1, reason: outcome === 'succeeded' ? 'Completed' : 'Error', message: JSON.stringify(summary) } },
      });
    }
    const conditions = outcome === 'succeeded'
      ? [{ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: now, lastTransitionTime: now },
        { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: now, lastTransitionTime: now }]
      : [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: now, lastTransitionTime: now },
        { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: now, lastTransitionTime: now }];
    const status = outcome === 'succeeded'
      ? { startTime: now, completionTime: now, succeeded: 1, active: 0, ready: 0, terminating: 0, uncountedTerminatedPods: {}, conditions }
      : { startTime: now, failed: 3, active: 0, ready: 0, terminating: 0, uncountedTerminatedPods: {}, conditions };
    await this.mergePatch(JOBS, name, { status }, 'status');
  }

  /**
   * Plays the Deployment controller once the current template is rolled out: `available(d)`
   * replicas (default all) updated and available, Progressing=NewReplicaSetAvailable, and
   * Available as the controller computes it (False while short of replicas, e.g. scaling up).
   */
  async rollOut(name: string, available = (d: Loose) => d.spec.replicas ?? 1): Promise<void> {
    const d = await this.deployment(name);
    if (!d) throw new Error(`no Deployment ${name}`);
    const n = available(d);
    await this.deploymentStatus(d, { replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n }, [
      // maxUnavailable is 0: minimum availability means every replica
      n >= (d.spec.replicas ?? 1)
        ? deploymentCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : deploymentCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
      deploymentCondition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${name}-1" has successfully progressed.`),
    ]);
  }

  /** Plays the Deployment controller when the new pods never become ready within progressDeadlineSeconds. */
  async stallRollout(name: string): Promise<void> {
    const d = await this.deployment(name);
    if (!d) throw new Error(`no Deployment ${name}`);
    const n = d.spec.replicas ?? 1;
    await this.deploymentStatus(d, { replicas: n + 1, updatedReplicas: 1, readyReplicas: n, availableReplicas: n, unavailableReplicas: 1 }, [
      deploymentCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
      deploymentCondition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${name}-2" has timed out progressing.`),
    ]);
  }

  private async deploymentStatus(d: Loose, counts: Record<string, number>, conditions: unknown[]): Promise<void> {
    await this.mergePatch(DEPLOYMENTS, d.metadata.name, { status: { observedGeneration: d.metadata.generation, ...counts, conditions } }, 'status');
  }
}

function deploymentCondition(type: string, status: string, reason: string, message: string) {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

export const condition = (app: App | undefined, type: string): Condition | undefined =>
  app?.status?.conditions?.find((c) => c.type === type);

export const image = (d: Loose | undefined): string | undefined => d?.spec?.template?.spec?.containers?.[0]?.image;
