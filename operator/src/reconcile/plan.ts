// What one reconcile pass should do, as a pure function of the FastApiApp and the observed
// children: migrate first, then roll out, then (expand/contract) run the post-deploy migration.
// The Deployment keeps the pod template it runs until the pre-deploy Job for the spec's inputs
// (image, command, env, database Secret reference and value, retry annotation) has succeeded; a
// failed Job is left in place (for its logs) and blocks the rollout until those inputs change.
// A revision in status.history comes back without a Job unless a contract migration was applied
// since (RollbackBlocked). Only one migration Job of an app runs at a time: a Job superseded while
// running is deleted (Foreground: it stays until its pods are gone), and the next one starts then.
import type { FastApiApp, Revision } from '../api/types';
import type { DefaultedSpec } from '../desired/defaults';
import { digestOf, imageRef, pinnedRef } from '../desired/image';
import { GENERATION_ANNOTATION, MIGRATION_CONTAINER, PHASE_ANNOTATION, RELEASE_ANNOTATION } from '../desired/migration-job';
import type { Job } from '../kube/types';
import {
  deploymentImage, jobFinished, jobState, migratedImageID, migrationResult, podProblem, type MigrationResult, type Observed,
} from './observed';
import { contractSince, findRevision } from './revisions';

export type MigrationState =
  | { phase: 'disabled' }
  /** from: this pass saw its Job succeed, status recorded it, it came back from history, or an older operator's status said so */
  | { phase: 'succeeded'; from: 'job' | 'recorded' | 'history' | 'legacy' }
  /** superseded Jobs still run: wait until they are deleted before anything counts as migrated */
  | { phase: 'stopping'; jobs: string[] }
  /** no Job for the target inputs yet: create it */
  | { phase: 'needsJob' }
  | { phase: 'running' }
  | { phase: 'failed'; reason: string; message: string }
  /** held with a named cause (Degraded with that reason): SecretNotFound, RollbackBlocked, ImagePullFailed, MigrationPodFailed */
  | { phase: 'blocked'; reason: string; message: string };

export interface Plan {
  /** image:tag the spec asks for */
  target: string;
  /** hash of the target's pre-deploy Job inputs (undefined when the Secret is missing) */
  inputs?: string;
  migration: MigrationState;
  /** image the Deployment should run (pinned to the migrated digest when known); undefined = no Deployment yet */
  runImage?: string;
  /** the Deployment keeps its live pod template (only replicas and the like follow the spec): not migrated yet */
  holdTemplate: boolean;
  monitoring: 'apply' | 'unavailable' | 'disabled';
  /** Jobs to delete this pass: superseded running ones, and finished ones beyond the history limit */
  deleteJobs: string[];
  /** of deleteJobs, those deleted with Foreground propagation (still running: their pods must end first) */
  foreground: string[];
  /** releases (pre-deploy inputs) whose post-deploy Job is being stopped while it ran */
  interruptedPost: string[];
  /** registry digest the target's migration ran, when it succeeded and the digest is known */
  digest?: string;
  /** the migrate CLI's summary of the target's pre-deploy Job, when its pod left one */
  result?: MigrationResult;
}

/** Newest first: by the app generation a Job was made for, then creation time, then name (for determinism). */
export function newestFirst(a: Job, b: Job): number {
  const gen = (j: Job) => Number(j.metadata.annotations?.[GENERATION_ANNOTATION] ?? 0);
  return gen(b) - gen(a)
    || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '')
    || b.metadata.name.localeCompare(a.metadata.name);
}
const isTarget = (observed: Observed) => (j: Job): boolean =>
  j.metadata.name === observed.targetJob?.metadata.name || j.metadata.name === observed.targetPostJob?.metadata.name;

/** Running migration Jobs other than the target ones (still present, even if already being deleted). */
export function supersededJobs(observed: Observed): Job[] {
  return observed.jobs.filter((j) => !isTarget(observed)(j) && !jobFinished(j));
}

/**
 * Finished Jobs beyond the newest `limit`. The target Jobs are always kept and count toward the
 * limit; the deleted ones are the oldest (see newestFirst).
 */
export function expiredJobs(observed: Observed, limit: number): Job[] {
  const finished = observed.jobs.filter((j) => jobFinished(j) && !isTarget(observed)(j) && !j.metadata.deletionTimestamp)
    .sort(newestFirst);
  const room = Math.max(0, limit - (observed.targetJob ? 1 : 0) - (observed.targetPostJob ? 1 : 0));
  return finished.slice(room);
}

const blocked = (reason: string, message: string): MigrationState => ({ phase: 'blocked', reason, message });

export function migrationState(app: FastApiApp, spec: DefaultedSpec, observed: Observed): MigrationState {
  const target = imageRef(app);
  if (observed.secretProblem) return blocked('SecretNotFound', observed.secretProblem);
  if (!spec.migration.enabled) return { phase: 'disabled' };
  // A→B→A while B runs: A's earlier success does not make B's running migration harmless.
  const superseded = supersededJobs(observed);
  if (superseded.length > 0) return { phase: 'stopping', jobs: superseded.map((j) => j.metadata.name) };
  const status = app.status ?? {};
  const inputs = observed.inputs?.pre;
  if (inputs !== undefined && status.migratedInputs === inputs) return { phase: 'succeeded', from: 'recorded' };
  // A status written before inputs were recorded: its migratedImage is trusted once (no Job per app on upgrade).
  if (!status.migratedInputs && status.migratedImage === target) return { phase: 'succeeded', from: 'legacy' };
  const revision = findRevision(status.history, inputs);
  const crossed = revision && inputs !== undefined ? contractSince(status.history, inputs) : 'unknown';
  if (revision && crossed !== 'unknown') {
    if (crossed.length > 0) {
      return blocked('RollbackBlocked', `rolling back to ${revision.image} would cross the contract migration(s) ${crossed.join(', ')} ` +
        `applied since it served; the Deployment stays on ${deploymentImage(observed.deployment) ?? status.image ?? 'what it runs'}: ` +
        'roll forward, or restore the database and reset the history');
    }
    return { phase: 'succeeded', from: 'history' };
  }
  const job = observed.targetJob;
  if (!job) return { phase: 'needsJob' };
  const state = jobState(job);
  if (state.phase === 'running') {
    const problem = podProblem(observed.pods, job, MIGRATION_CONTAINER);
    return problem ? blocked(problem.reason, problem.message) : state;
  }
  if (state.phase === 'failed') {
    const result = migrationResult(observed.pods, job, MIGRATION_CONTAINER);
    if (result?.result === 'blocked') {
      return blocked('RollbackBlocked', `the migration Job ${job.metadata.name} for ${target} refused: the database has the contract ` +
        `migration ${result.blockedBy ?? '(unnamed)'} this image does not ship${result.message ? ` (${result.message})` : ''}; the Deployment stays on ` +
        `${deploymentImage(observed.deployment) ?? 'what it runs'}`);
    }
    return result?.message ? { ...state, message: `${state.message}: ${result.message}` } : state;
  }
  return { phase: 'succeeded', from: 'job' };
}

/** The digest the target's migration ran: read from its pod when it just succeeded, else as recorded. */
function migratedDigest(app: FastApiApp, migration: MigrationState, observed: Observed, revision: Revision | undefined): string | undefined {
  if (migration.phase !== 'succeeded') return undefined;
  switch (migration.from) {
    case 'job': return observed.targetJob ? digestOf(migratedImageID(observed.pods, observed.targetJob, MIGRATION_CONTAINER)) : undefined;
    case 'history': return revision?.digest;
    default: return app.status?.imageDigest;
  }
}

export function plan(app: FastApiApp, spec: DefaultedSpec, observed: Observed): Plan {
  const target = imageRef(app);
  const inputs = observed.inputs?.pre;
  const migration = migrationState(app, spec, observed);
  const migrated = migration.phase === 'disabled' || migration.phase === 'succeeded';
  const pin = migratedDigest(app, migration, observed, findRevision(app.status?.history, inputs));
  // Until the target is migrated, keep what we last rolled out (status.image), which also
  // undoes an edit of the Deployment's image; fall back to the live Deployment if status is gone.
  const runImage = migrated ? pinnedRef(target, pin) : (app.status?.image ?? deploymentImage(observed.deployment));
  const monitoring = !spec.monitoring.enabled ? 'disabled' : observed.monitoringServed ? 'apply' : 'unavailable';
  const superseded = supersededJobs(observed);
  const foreground = superseded.filter((j) => !j.metadata.deletionTimestamp).map((j) => j.metadata.name);
  const interruptedPost = superseded.filter((j) => j.metadata.annotations?.[PHASE_ANNOTATION] === 'post')
    .map((j) => j.metadata.annotations?.[RELEASE_ANNOTATION]).filter((r): r is string => r !== undefined);
  const deleteJobs = [...foreground, ...expiredJobs(observed, spec.migration.jobsHistoryLimit).map((j) => j.metadata.name)];
  const out: Plan = { target, migration, runImage, holdTemplate: !migrated, monitoring, deleteJobs, foreground, interruptedPost };
  if (inputs !== undefined) out.inputs = inputs;
  if (pin) out.digest = pin;
  const result = observed.targetJob && migration.phase === 'succeeded' && migration.from === 'job'
    ? migrationResult(observed.pods, observed.targetJob, MIGRATION_CONTAINER) : undefined;
  if (result) out.result = result;
  return out;
}
