// Pure builders for the JSON documents the stack hands to AWS. Tests parse exactly these.

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const STS_AUDIENCE = 'sts.amazonaws.com';

/** Actions `docker push` needs on a repository (the token itself is account-wide). */
export const ECR_PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:DescribeImages',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
];

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<Record<string, unknown>>;
}

/**
 * Trust policy: only workflows of `repo` running for `refs/heads/<branch>` may assume the role.
 * GitHub puts `repo:<owner>/<name>:ref:refs/heads/<branch>` in the token's `sub` for push,
 * workflow_run and workflow_dispatch runs of that branch (jobs without an `environment:`);
 * pull requests get `...:pull_request` and never match.
 */
export function githubTrustPolicy(providerArn: string, repo: string, branch: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE,
            [`${GITHUB_OIDC_HOST}:sub`]: `repo:${repo}:ref:refs/heads/${branch}`,
          },
        },
      },
    ],
  };
}

/** Trust policy for an AWS service principal (EKS nodes: ec2.amazonaws.com). */
export function serviceTrustPolicy(service: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  };
}

/** Deployer permissions: push to exactly these repositories and find the cluster's endpoint. */
export function deployerPolicy(repositoryArns: string[], clusterArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      { Sid: 'EcrPush', Effect: 'Allow', Action: ECR_PUSH_ACTIONS, Resource: repositoryArns },
      { Sid: 'EksEndpoint', Effect: 'Allow', Action: 'eks:DescribeCluster', Resource: clusterArn },
    ],
  };
}

/** ECR lifecycle policy: expire everything beyond the newest `keep` images. */
export function keepLastImagesPolicy(keep: number): { rules: Array<Record<string, unknown>> } {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `keep the last ${keep} images`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
        action: { type: 'expire' },
      },
    ],
  };
}
