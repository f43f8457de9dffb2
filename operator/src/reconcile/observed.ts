// What the reconciler reads about the world, and pure interpretations of it.
import type { KubeObject } from '../kube/types';

export interface Observed {
  deployment?: KubeObject;
  service?: KubeObject;
  serviceMonitor?: KubeObject;
  /** the migration Job for the image the spec asks for */
  targetJob?: KubeObject;
  /** whether the API server serves ServiceMonitors (the CRD is installed) */
  monitoringServed: boolean;
}

export type JobState = { phase: 'running' } | { phase: 'succeeded' } | { phase: 'failed'; reason: string; message: string };

interface JobCondition { type: string; status: string; reason?: string; message?: string }

/** A Job's outcome from its status (no kubelet or Job controller runs in tests: they write it). */
export function jobState(job: KubeObject): JobState {
  const conds: JobCondition[] = job.status?.conditions ?? [];
  const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { phase: 'failed', reason: failed.reason ?? 'Failed', message: failed.message ?? 'the Job failed' };
  if (conds.some((c) => c.type === 'Complete' && c.status === 'True')) return { phase: 'succeeded' };
  if ((job.status?.succeeded ?? 0) >= (job.spec?.completions ?? 1)) return { phase: 'succeeded' };
  return { phase: 'running' };
}

/** The image of the Deployment's first container (the app), if any. */
export function deploymentImage(deployment: KubeObject | undefined): string | undefined {
  return deployment?.spec?.template?.spec?.containers?.[0]?.image;
}

/**
 * Whether the Deployment finished rolling out its current spec: the Deployment controller saw
 * this generation, and every replica is updated and available with no old ones left.
 */
export function deploymentRolledOut(deployment: KubeObject | undefined): boolean {
  if (!deployment) return false;
  const want: number = deployment.spec?.replicas ?? 1;
  const s = deployment.status ?? {};
  return (s.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 1)
    && (s.updatedReplicas ?? 0) >= want
    && (s.availableReplicas ?? 0) >= want
    && (s.replicas ?? 0) <= want;
}
