// What one reconcile pass should do, as a pure function of the FastApiApp and the observed
// children: migrate first, then roll out. The Deployment keeps the image it runs until the
// migration Job for the new image has succeeded; a failed Job is left in place (for its logs)
// and blocks the rollout until the tag, the Job's inputs or the retry annotation change.
// Only one migration Job of an app runs at a time: a Job superseded while running is deleted,
// and the next one starts once it is gone.
import type { FastApiApp } from '../api/types';
import type { DefaultedSpec } from '../desired/defaults';
import { imageRef, pinnedRef } from '../desired/image';
import { GENERATION_ANNOTATION } from '../desired/migration-job';
import type { Job } from '../kube/types';
import { deploymentImage, jobFinished, jobState, type Observed } from './observed';

export type MigrationState =
  | { phase: 'disabled' }
  | { phase: 'succeeded' }
  /** superseded Jobs still run: wait until they are deleted before anything counts as migrated */
  | { phase: 'stopping'; jobs: string[] }
  /** no Job for the target inputs yet: create it */
  | { phase: 'needsJob' }
  | { phase: 'running' }
  | { phase: 'failed'; reason: string; message: string };

export interface Plan {
  /** image:tag the spec asks for */
  target: string;
  migration: MigrationState;
  /** image the Deployment should run (pinned to the migrated digest when known); undefined = no Deployment yet */
  runImage?: string;
  monitoring: 'apply' | 'unavailable' | 'disabled';
  /** Jobs to delete this pass: superseded running ones, and finished ones beyond the history limit */
  deleteJobs: string[];
  /** registry digest the target's migration ran, when it succeeded and the digest is known */
  digest?: string;
}

/** Newest first: by the app generation a Job was made for, then creation time, then name (for determinism). */
export function newestFirst(a: Job, b: Job): number {
  const gen = (j: Job) => Number(j.metadata.annotations?.[GENERATION_ANNOTATION] ?? 0);
  return gen(b) - gen(a)
    || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '')
    || b.metadata.name.localeCompare(a.metadata.name);
}
const isTarget = (observed: Observed) => (j: Job): boolean => j.metadata.name === observed.targetJob?.metadata.name;

/** Running migration Jobs other than the target one (still present, even if already being deleted). */
export function supersededJobs(observed: Observed): Job[] {
  return observed.jobs.filter((j) => !isTarget(observed)(j) && !jobFinished(j));
}

/**
 * Finished Jobs beyond the newest `limit`. The target Job is always kept and counts toward the
 * limit; the deleted ones are the oldest (see newestFirst).
 */
export function expiredJobs(observed: Observed, limit: number): Job[] {
  const finished = observed.jobs.filter((j) => jobFinished(j) && !isTarget(observed)(j) && !j.metadata.deletionTimestamp)
    .sort(newestFirst);
  const room = Math.max(0, limit - (observed.targetJob ? 1 : 0));
  return finished.slice(room);
}

export function migrationState(app: FastApiApp, spec: DefaultedSpec, observed: Observed): MigrationState {
  const target = imageRef(app);
  if (!spec.migration.enabled) return { phase: 'disabled' };
  // A→B→A while B runs: A's earlier success does not make B's running migration harmless.
  const superseded = supersededJobs(observed);
  if (superseded.length > 0) return { phase: 'stopping', jobs: superseded.map((j) => j.metadata.name) };
  if (app.status?.migratedImage === target) return { phase: 'succeeded' };
  if (!observed.targetJob) return { phase: 'needsJob' };
  return jobState(observed.targetJob);
}

/** Whether this pass sees the target's migration succeed for the first time: then read the digest its pod ran. */
export function needsDigest(app: FastApiApp, spec: DefaultedSpec, observed: Observed): boolean {
  return app.status?.migratedImage !== imageRef(app) && migrationState(app, spec, observed).phase === 'succeeded';
}

export function plan(app: FastApiApp, spec: DefaultedSpec, observed: Observed, digest?: string): Plan {
  const target = imageRef(app);
  const migration = migrationState(app, spec, observed);
  const migrated = migration.phase === 'disabled' || migration.phase === 'succeeded';
  // The digest the migration ran: this pass's (just read from its pod) or the recorded one.
  const pin = migration.phase === 'succeeded' ? digest ?? (app.status?.migratedImage === target ? app.status.imageDigest : undefined) : undefined;
  // Until the target is migrated, keep what we last rolled out (status.image), which also
  // undoes an edit of the Deployment's image; fall back to the live Deployment if status is gone.
  const runImage = migrated ? pinnedRef(target, pin) : (app.status?.image ?? deploymentImage(observed.deployment));
  const monitoring = !spec.monitoring.enabled ? 'disabled' : observed.monitoringServed ? 'apply' : 'unavailable';
  const deleteJobs = [
    ...supersededJobs(observed).filter((j) => !j.metadata.deletionTimestamp).map((j) => j.metadata.name),
    ...expiredJobs(observed, spec.migration.jobsHistoryLimit).map((j) => j.metadata.name),
  ];
  const out: Plan = { target, migration, runImage, monitoring, deleteJobs };
  if (pin) out.digest = pin;
  return out;
}
