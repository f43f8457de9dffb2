// What the reconciler reads about the world, and pure interpretations of it.
import type { V1DeploymentCondition, V1JobCondition } from '@kubernetes/client-node';
import type { Deployment, Job, Service, Unstructured } from '../kube/types';

export interface Observed {
  deployment?: Deployment;
  service?: Service;
  serviceMonitor?: Unstructured;
  /** the migration Job for the spec's current inputs (image, command, env, retry value) */
  targetJob?: Job;
  /** every migration Job of the app (the target one included) */
  jobs: Job[];
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
