// The migration Job for the spec's image. Its name hashes the Job's pod template (image, command,
// env, Secret reference) and the retry annotation's value, so changed inputs or an explicit retry
// get a new Job, while an unchanged failed Job is kept (no TTL) for its logs and not rerun.
import type { V1Job, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { objectHash } from './hash';
import { imageRef } from './image';
import { IMAGE_ANNOTATION, migrationLabels } from './labels';
import { imageHash, migrationJobName } from './names';
import { childMetadata } from './owner';
import { baseContainer, databaseEnv, podPlacement, podSecurityContext, tmpVolume } from './pod';

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

export function buildMigrationJob(app: FastApiApp): V1Job {
  const spec = withDefaults(app.spec);
  const ref = imageRef(app);
  const retry = app.metadata.annotations?.[RETRY_MIGRATION_ANNOTATION] ?? '';
  const labels = migrationLabels(app, ref, imageHash(ref));
  const annotations: Record<string, string> = { [IMAGE_ANNOTATION]: ref };
  if (retry) annotations[RETRY_ANNOTATION] = retry;
  if (app.metadata.generation !== undefined) annotations[GENERATION_ANNOTATION] = String(app.metadata.generation);
  const template: V1PodTemplateSpec = {
    metadata: { labels, annotations: { [IMAGE_ANNOTATION]: ref } },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...podPlacement(spec),
      securityContext: podSecurityContext(),
      containers: [
        {
          ...baseContainer(MIGRATION_CONTAINER, ref, spec),
          command: [...spec.migration.command],
          env: databaseEnv(spec),
        },
      ],
      volumes: [tmpVolume()],
    },
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...childMetadata(app, migrationJobName(app, objectHash({ template, retry })), labels), annotations },
    spec: {
      backoffLimit: spec.migration.backoffLimit,
      activeDeadlineSeconds: spec.migration.activeDeadlineSeconds,
      completions: 1,
      parallelism: 1,
      template,
    },
  };
}
