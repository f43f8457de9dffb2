// ECR repositories for the app and operator images: scanned on push, tags immutable (a deployed
// commit SHA always means the same bytes), only the newest `imagesToKeep` images retained.
import * as aws from '@pulumi/aws';
import type { InfraConfig } from './config';
import { keepLastImagesPolicy } from './policies';

export interface Registry {
  app: aws.ecr.Repository;
  operator: aws.ecr.Repository;
}

function repository(logicalName: string, repoName: string, keep: number): aws.ecr.Repository {
  const repo = new aws.ecr.Repository(logicalName, {
    name: repoName,
    imageTagMutability: 'IMMUTABLE',
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfigurations: [{ encryptionType: 'AES256' }],
  });
  new aws.ecr.LifecyclePolicy(logicalName, {
    repository: repo.name,
    policy: JSON.stringify(keepLastImagesPolicy(keep)),
  });
  return repo;
}

export function createRegistry(cfg: InfraConfig): Registry {
  return {
    app: repository('app', cfg.appRepositoryName, cfg.imagesToKeep),
    operator: repository('operator', cfg.operatorRepositoryName, cfg.imagesToKeep),
  };
}
