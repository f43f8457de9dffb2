// The migration Jobs for the spec's image: pre-deploy (expand, before the rollout) and post-deploy
// (contract, after it). A Job's name hashes its inputs: image, command, env (with the Secret
// reference), the hash of the referenced Secret value (a URL to another database migrates it
// first) and the retry annotation's value; not placement or resources. Changed inputs or an explicit retry get a
// new Job; an unchanged failed Job is kept (no TTL) for its logs and not rerun.
import type { V1Job, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { objectHash } from './hash';
import { imageRef } from './image';
import { IMAGE_ANNOTATION, migrationLabels } from './labels';
import { imageHash, migrationJobName } from './names';
import { childMetadata } from './owner';
import { baseContainer, databaseEnv, podPlacement, podSecurityContext, tmpVolume } from './pod';
import { DATABASE_SECRET_HASH_ANNOTATION } from './secret-hash';

export type MigrationPhase = 'pre' | 'post';

export const MIGRATION_CONTAINER = 'migrate';
/**
 * Annotation on a FastApiApp: set it to a new value (a timestamp, a counter) to run the
 * migration Job of the current spec again, e.g. after fixing the database a failed one needed.
 */
export const RETRY_MIGRATION_ANNOTATION = 'platform.fastapiapp.io/retry-migration';
/** Annotation on migration Jobs: the retry value they were created for. */
export const RETRY_ANNOTATION = 'fastapiapp.io/retry';
/**
 * Annotation on migration Jobs: the FastApiApp generation they were created for, which orders an
 * app's Jobs for the history limit (creationTimestamp has only second resolution).
 */
export const GENERATION_ANNOTATION = 'fastapiapp.io/generation';
/** Annotation on migration Jobs: the hash of their inputs (status.migratedInputs, status.history[].inputs). */
export const INPUTS_ANNOTATION = 'fastapiapp.io/inputs-hash';
/** Annotation on migration Jobs: the pre-deploy inputs hash of the release they belong to. */
export const RELEASE_ANNOTATION = 'fastapiapp.io/release-inputs';
/** Annotation on migration Jobs: pre or post (deploy). */
export const PHASE_ANNOTATION = 'fastapiapp.io/migration-phase';
/**
 * The migrate CLI's exit codes that no retry can fix (see docs/app/migrations.md): 3 rollback blocked
 * by a contract migration, 4 lint failed. The Job fails at once on them.
 */
export const FINAL_EXIT_CODES = [3, 4];

export const inputsHashOf = (job: { metadata?: { annotations?: Record<string, string> } }): string | undefined =>
  job.metadata?.annotations?.[INPUTS_ANNOTATION];

/**
 * secretHash: hash of the referenced database Secret key's value (secret-hash.ts); the operator
 * does not create a Job without it (SecretNotFound).
 */
export function buildMigrationJob(app: FastApiApp, secretHash?: string, phase: MigrationPhase = 'pre'): V1Job {
  const spec = withDefaults(app.spec);
  const ref = imageRef(app);
  const retry = app.metadata.annotations?.[RETRY_MIGRATION_ANNOTATION] ?? '';
  const labels = migrationLabels(app, ref, imageHash(ref));
  const annotations: Record<string, string> = { [IMAGE_ANNOTATION]: ref };
  if (retry) annotations[RETRY_ANNOTATION] = retry;
  if (app.metadata.generation !== undefined) annotations[GENERATION_ANNOTATION] = String(app.metadata.generation);
  const template: V1PodTemplateSpec = {
    metadata: {
      labels,
      annotations: { [IMAGE_ANNOTATION]: ref, ...(secretHash ? { [DATABASE_SECRET_HASH_ANNOTATION]: secretHash } : {}) },
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...podPlacement(spec),
      securityContext: podSecurityContext(),
      containers: [
        {
          ...baseContainer(MIGRATION_CONTAINER, ref, spec),
          command: [...(phase === 'pre' ? spec.migration.command : spec.migration.postDeployCommand)],
          env: databaseEnv(spec),
        },
      ],
      volumes: [tmpVolume()],
    },
  };
  // What the migration does and against which database; not how its pod is placed or sized.
  const container = template.spec!.containers[0]!;
  const hashOf = (command: string[] | undefined) => objectHash({ image: ref, command, env: container.env, secretHash: secretHash ?? null, retry }, 16);
  const inputs = hashOf(container.command);
  annotations[INPUTS_ANNOTATION] = inputs;
  annotations[PHASE_ANNOTATION] = phase;
  // the release (pre-deploy inputs) a post-deploy Job belongs to: status.history's key
  annotations[RELEASE_ANNOTATION] = phase === 'pre' ? inputs : hashOf(spec.migration.command);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...childMetadata(app, migrationJobName(app, inputs), labels), annotations },
    spec: {
      backoffLimit: spec.migration.backoffLimit,
      podFailurePolicy: {
        rules: [{ action: 'FailJob', onExitCodes: { containerName: MIGRATION_CONTAINER, operator: 'In', values: [...FINAL_EXIT_CODES] } }],
      },
      activeDeadlineSeconds: spec.migration.activeDeadlineSeconds,
      completions: 1,
      parallelism: 1,
      template,
    },
  };
}
