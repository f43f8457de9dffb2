// What one reconcile pass should do, as a pure function of the FastApiApp and the observed
// children: migrate first, then roll out. The Deployment keeps the image it runs until the
// migration Job for the new image has succeeded; a failed Job is left in place (for its logs)
// and blocks the rollout until the tag changes again.
import type { FastApiApp } from '../api/types';
import type { DefaultedSpec } from '../desired/defaults';
import { imageRef } from '../desired/image';
import { deploymentImage, jobState, type Observed } from './observed';

export type MigrationState =
  | { phase: 'disabled' }
  | { phase: 'succeeded' }
  /** no Job for the target image yet: create it */
  | { phase: 'needsJob' }
  | { phase: 'running' }
  | { phase: 'failed'; reason: string; message: string };

export interface Plan {
  /** image:tag the spec asks for */
  target: string;
  migration: MigrationState;
  /** image the Deployment should run; undefined = no Deployment yet (nothing migrated) */
  runImage?: string;
  monitoring: 'apply' | 'unavailable' | 'disabled';
}

export function migrationState(app: FastApiApp, spec: DefaultedSpec, observed: Observed): MigrationState {
  const target = imageRef(app);
  if (!spec.migration.enabled) return { phase: 'disabled' };
  if (app.status?.migratedImage === target) return { phase: 'succeeded' };
  if (!observed.targetJob) return { phase: 'needsJob' };
  return jobState(observed.targetJob);
}

export function plan(app: FastApiApp, spec: DefaultedSpec, observed: Observed): Plan {
  const target = imageRef(app);
  const migration = migrationState(app, spec, observed);
  const migrated = migration.phase === 'disabled' || migration.phase === 'succeeded';
  // Until the target is migrated, keep what we last rolled out (status.image), which also
  // undoes an edit of the Deployment's image; fall back to the live Deployment if status is gone.
  const runImage = migrated ? target : (app.status?.image ?? deploymentImage(observed.deployment));
  const monitoring = !spec.monitoring.enabled ? 'disabled' : observed.monitoringServed ? 'apply' : 'unavailable';
  return { target, migration, runImage, monitoring };
}
