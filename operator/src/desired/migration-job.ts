// The migration Job for the spec's image. Its name derives from the image reference, so each
// image gets exactly one Job; a failed Job is kept (no TTL) for its logs and so it is not rerun.
import type { V1Job } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { imageRef } from './image';
import { IMAGE_ANNOTATION, migrationLabels } from './labels';
import { imageHash, migrationJobName } from './names';
import { childMetadata } from './owner';
import { baseContainer, databaseEnv, podSecurityContext, tmpVolume } from './pod';

export const MIGRATION_CONTAINER = 'migrate';

export function buildMigrationJob(app: FastApiApp): V1Job {
  const spec = withDefaults(app.spec);
  const ref = imageRef(app);
  const labels = migrationLabels(app, ref, imageHash(ref));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...childMetadata(app, migrationJobName(app, ref), labels), annotations: { [IMAGE_ANNOTATION]: ref } },
    spec: {
      backoffLimit: spec.migration.backoffLimit,
      activeDeadlineSeconds: spec.migration.activeDeadlineSeconds,
      completions: 1,
      parallelism: 1,
      template: {
        metadata: { labels, annotations: { [IMAGE_ANNOTATION]: ref } },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
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
      },
    },
  };
}
