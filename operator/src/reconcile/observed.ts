// What the reconciler reads about the world, and pure interpretations of it.
import type { V1DeploymentCondition, V1JobCondition } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { TEMPLATE_HASH_ANNOTATION } from '../desired/deployment';
import type { Deployment, Job, Pod, Service, Unstructured } from '../kube/types';

export interface Observed {
  deployment?: Deployment;
  service?: Service;
  serviceMonitor?: Unstructured;
  /** the pre-deploy migration Job for the spec's current inputs (image, command, env, Secret value, retry value) */
  targetJob?: Job;
  /** the post-deploy migration Job for the spec's current inputs */
  targetPostJob?: Job;
  /** hashes of the current pre- and post-deploy Job inputs */
  inputs?: { pre: string; post: string };
  /** every migration Job of the app (the target ones included) */
  jobs: Job[];
  /** the migration pods of the app (label-selected cache), for their state and termination message */
  pods?: Pod[];
  /**
   * the app's server pods being deleted (deletionTimestamp set): a replaced template's pods still
   * draining. The Deployment's status stops counting them at once, but they still serve and query
   * the database until they are gone.
   */
  leavingPods?: string[];
  /**
   * the leaving pods still inside their grace period (deletionTimestamp in the future): a release
   * is not Ready while they run. One past it (a lost node) no longer holds Ready; it still holds
   * the post-deploy Job, which must never run under the old release.
   */
  drainingPods?: string[];
  /** what is wrong with the database Secret reference, if anything (the Secret or its key is missing) */
  secretProblem?: string;
  /** whether the API server serves ServiceMonitors (the CRD is installed) */
  monitoringServed: boolean;
}

export type JobState = { phase: 'running' } | { phase: 'succeeded' } | { phase: 'failed'; reason: string; message: string };

/** A Job's outcome from its status (no kubelet or Job controller runs in tests: they write it). */
export function jobState(job: Job): JobState {
  const conds: V1JobCondition[] = job.status?.conditions ?? [];
  const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { phase: 'failed', reason: failed.reason ?? 'Failed', message: failed.message ?? 'the Job failed' };
  if (conds.some((c) => c.type === 'Complete' && c.status === 'True')) return { phase: 'succeeded' };
  if ((job.status?.succeeded ?? 0) >= (job.spec?.completions ?? 1)) return { phase: 'succeeded' };
  return { phase: 'running' };
}

export const jobFinished = (job: Job): boolean => jobState(job).phase !== 'running';

/** The image of the Deployment's first container (the app), if any. */
export function deploymentImage(deployment: Deployment | undefined): string | undefined {
  return deployment?.spec?.template?.spec?.containers?.[0]?.image;
}

const deploymentCondition = (deployment: Deployment, type: string): V1DeploymentCondition | undefined =>
  deployment.status?.conditions?.find((c) => c.type === type);

/** The Deployment controller's reasons (k8s.io/kubernetes pkg/controller/deployment/util). */
export const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

/**
 * Where the Deployment's rollout stands, read from the Deployment controller's own conditions
 * rather than replica counts (an HPA changing the count is not a rollout):
 * - stale: the controller has not seen this generation yet, its conditions describe an older spec
 * - paused: spec.paused (kubectl rollout pause); nothing rolls until it is resumed
 * - stuck: Progressing=False ProgressDeadlineExceeded
 * - complete: Progressing=True NewReplicaSetAvailable. The controller sets it once every replica of
 *   the new ReplicaSet was available and keeps it through later scaling, while Available (minimum
 *   availability; with maxUnavailable 0 that is every replica) drops during a scale-up: so Ready
 *   does not read Available, the serving condition does.
 */
export type RolloutState =
  | { phase: 'absent' }
  | { phase: 'stale' }
  | { phase: 'paused' }
  | { phase: 'stuck'; message: string }
  | { phase: 'progressing' }
  | { phase: 'complete' };

export function rolloutState(deployment: Deployment | undefined): RolloutState {
  if (!deployment) return { phase: 'absent' };
  if (deployment.spec?.paused === true) return { phase: 'paused' };
  if ((deployment.status?.observedGeneration ?? 0) < (deployment.metadata.generation ?? 1)) return { phase: 'stale' };
  const progressing = deploymentCondition(deployment, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === PROGRESS_DEADLINE_EXCEEDED) {
    return { phase: 'stuck', message: progressing.message ?? 'the Deployment exceeded its progress deadline' };
  }
  if (progressing?.status === 'True' && progressing.reason === NEW_RS_AVAILABLE) return { phase: 'complete' };
  return { phase: 'progressing' };
}

/**
 * Whether every pod of the Deployment runs its current template: as many updated and available
 * replicas as it wants, and none of an older ReplicaSet left (kubectl rollout status's checks;
 * the controller's Progressing=NewReplicaSetAvailable alone can describe the previous rollout when
 * an old ReplicaSet is reused, e.g. a tag set back).
 */
export function allUpdated(deployment: Deployment): boolean {
  const want = deployment.spec?.replicas ?? 1;
  const s = deployment.status ?? {};
  const terminating = (s as { terminatingReplicas?: number }).terminatingReplicas ?? 0;
  return (s.updatedReplicas ?? 0) >= want && (s.replicas ?? 0) === (s.updatedReplicas ?? 0)
    && (s.availableReplicas ?? 0) >= want && terminating === 0;
}

const templateHash = (d: Deployment | undefined): string | undefined => d?.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION];

/**
 * Whether the Deployment (as this pass applied it, or as cached when nothing changed) finished
 * rolling out `runImage`. A template other than the one last seen rolled out needs the controller's
 * status for this very generation, complete, with every replica updated and none of the old left.
 * The same template (a replica change from an HPA or kubectl scale) keeps Ready through the
 * controller catching up, so scaling never flips Ready.
 */
export function rolledOut(app: FastApiApp, deployment: Deployment | undefined, runImage: string | undefined): boolean {
  if (!deployment || runImage === undefined || deploymentImage(deployment) !== runImage) return false;
  const state = rolloutState(deployment).phase;
  const hash = templateHash(deployment);
  if (hash !== undefined && hash === app.status?.templateHash) return state === 'complete' || state === 'stale';
  return state === 'complete' && allUpdated(deployment);
}

export { templateHash };

/** Whether pods serve: the Deployment's own Available condition (minimum replicas available). */
export interface Serving { status: 'True' | 'False' | 'Unknown'; reason: string; message: string }

export function serving(deployment: Deployment | undefined): Serving {
  if (!deployment) return { status: 'False', reason: 'NoDeployment', message: 'no Deployment exists yet, so no pods serve' };
  const available = deploymentCondition(deployment, 'Available');
  const counts = `${deployment.status?.availableReplicas ?? 0} of ${deployment.spec?.replicas ?? 1} replicas available, running ${deploymentImage(deployment) ?? 'nothing'}`;
  if (!available) return { status: 'Unknown', reason: 'DeploymentStatusUnknown', message: `the Deployment reports no Available condition yet; ${counts}` };
  const status = available.status === 'True' ? 'True' : available.status === 'False' ? 'False' : 'Unknown';
  return { status, reason: available.reason ?? 'Deployment', message: `${available.message ?? ''}${available.message ? '; ' : ''}${counts}` };
}

/** The migrate CLI's one-line JSON summary, read from the migration pod's termination message (docs/app/migrations.md). */
export interface MigrationResult {
  command?: string;
  result?: 'applied' | 'upToDate' | 'ahead' | 'blocked' | 'lintFailed' | 'failed' | string;
  applied?: string[];
  head?: string | null;
  aheadBy?: number;
  blockedBy?: string | null;
  pendingPost?: string[];
  message?: string;
}

const podsOf = (pods: readonly Pod[] | undefined, job: Job): Pod[] =>
  (pods ?? []).filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === job.metadata.uid) ?? false)
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));

const migrateStatus = (pod: Pod, container: string) => pod.status?.containerStatuses?.find((c) => c.name === container);

/**
 * The newest parseable result any pod of the Job left, or undefined (no pod, a command that
 * writes none, a message that is a log tail: FallbackToLogsOnError).
 */
export function migrationResult(pods: readonly Pod[] | undefined, job: Job, container: string): MigrationResult | undefined {
  for (const pod of podsOf(pods, job)) {
    const cs = migrateStatus(pod, container);
    for (const message of [cs?.state?.terminated?.message, cs?.lastState?.terminated?.message]) {
      if (!message) continue;
      try {
        const parsed: unknown = JSON.parse(message.trim());
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as MigrationResult;
      } catch {
        // not the CLI's summary
      }
    }
  }
  return undefined;
}

/** The registry digest (container imageID) a succeeded pod of the Job ran, when reported. */
export function migratedImageID(pods: readonly Pod[] | undefined, job: Job, container: string): string | undefined {
  const all = podsOf(pods, job).sort((a, b) => Number(b.status?.phase === 'Succeeded') - Number(a.status?.phase === 'Succeeded'));
  return all.map((p) => migrateStatus(p, container)?.imageID).find((id) => id);
}

/** Waiting reasons of a container that will not start on its own soon. */
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const START_FAILURES = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff']);

export interface PodProblem { reason: 'ImagePullFailed' | 'MigrationPodFailed'; message: string }

/** Why a running Job's pod cannot start, named (the kubelet's waiting reason and message), or undefined. */
export function podProblem(pods: readonly Pod[] | undefined, job: Job, container: string): PodProblem | undefined {
  for (const pod of podsOf(pods, job)) {
    if (pod.status?.phase !== 'Pending' && pod.status?.phase !== undefined) continue;
    const waiting = migrateStatus(pod, container)?.state?.waiting;
    const what = `migration pod ${pod.metadata.name}`;
    if (waiting?.reason && PULL_FAILURES.has(waiting.reason)) {
      return { reason: 'ImagePullFailed', message: `${what} cannot pull its image (${waiting.reason}): ${waiting.message ?? ''}`.trim() };
    }
    if (waiting?.reason && START_FAILURES.has(waiting.reason)) {
      return { reason: 'MigrationPodFailed', message: `${what} cannot start (${waiting.reason}): ${waiting.message ?? ''}`.trim() };
    }
  }
  return undefined;
}
