// ECR repositories for the app and operator images: scanned on push, tags immutable (a deployed
// commit SHA always means the same bytes), a lifecycle policy that never counts release tags
// against the per-commit images (policies.ts). `forceDelete` (config ecrForceDelete, default
// false) decides whether `pulumi destroy` may delete a repository that still holds images.
import * as aws from '@pulumi/aws';
import type { InfraConfig } from './config';
import { lifecyclePolicy } from './policies';

export interface Registry {
  app: aws.ecr.Repository;
  operator: aws.ecr.Repository;
}

function repository(logicalName: string, repoName: string, cfg: InfraConfig): aws.ecr.Repository {
  const repo = new aws.ecr.Repository(logicalName, {
    name: repoName,
    imageTagMutability: 'IMMUTABLE',
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfigurations: [{ encryptionType: 'AES256' }],
    forceDelete: cfg.ecrForceDelete,
  });
  new aws.ecr.LifecyclePolicy(logicalName, {
    repository: repo.name,
    policy: JSON.stringify(
      lifecyclePolicy({ keep: cfg.imagesToKeep, protectedPrefixes: cfg.protectedTagPrefixes, protectedKeep: cfg.protectedImagesToKeep }),
    ),
  });
  return repo;
}

export function createRegistry(cfg: InfraConfig): Registry {
  return {
    app: repository('app', cfg.appRepositoryName, cfg),
    operator: repository('operator', cfg.operatorRepositoryName, cfg),
  };
}
