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

/** Trust for tokens of the OIDC `issuer` (host/path, no scheme): exactly this audience and subject. */
function webIdentityTrustPolicy(providerArn: string, issuer: string, subject: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${issuer}:aud`]: STS_AUDIENCE, [`${issuer}:sub`]: subject } },
      },
    ],
  };
}

/**
 * Claims the repository's OIDC subject is made of (github.ts sets this template): a job's `sub` is
 * `repo:<owner>/<name>:environment:<env>:job_workflow_ref:<owner>/<name>/<workflow path>@<ref>`.
 */
export const OIDC_SUBJECT_CLAIM_KEYS = ['repo', 'context', 'job_workflow_ref'] as const;

/** The job_workflow_ref of `workflow` (a path under the repository) at `branch`. */
export const jobWorkflowRef = (repo: string, workflow: string, branch: string): string => `${repo}/${workflow}@refs/heads/${branch}`;

/**
 * Trust policy: only jobs of `repo` that run in the GitHub environment `environment` and belong to
 * `workflow` on `branch` may assume the role. The subject (OIDC_SUBJECT_CLAIM_KEYS) pins all three:
 * a pull request, a fork, another workflow file or the same file on another branch never matches,
 * even where the environment's own branch rule (github.ts) were removed.
 */
export function githubTrustPolicy(providerArn: string, repo: string, environment: string, workflow: string, branch: string): PolicyDocument {
  return webIdentityTrustPolicy(providerArn, GITHUB_OIDC_HOST,
    `repo:${repo}:environment:${environment}:job_workflow_ref:${jobWorkflowRef(repo, workflow, branch)}`);
}

/**
 * Permissions boundary of the infra role (it runs `pulumi up` with broad managed policies): whatever
 * those grant, it may not mint long-lived credentials, widen its own trust or rights, or lift this
 * boundary (its own or the policy's).
 */
export function infraBoundaryPolicy(infraRoleName: string, boundaryPolicyName: string): PolicyDocument {
  // Pulumi appends a random suffix to both names; a policy only ever applies in its own account.
  const self = `arn:aws:iam::*:role/${infraRoleName}*`;
  const boundary = `arn:aws:iam::*:policy/${boundaryPolicyName}*`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AllowWhatTheRolePoliciesGrant', Effect: 'Allow', Action: '*', Resource: '*' },
      { Sid: 'NoLongLivedCredentials', Effect: 'Deny', Action: ['iam:CreateUser', 'iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile'], Resource: '*' },
      {
        Sid: 'NoChangesToItself', Effect: 'Deny', Resource: self,
        Action: ['iam:UpdateAssumeRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy',
          'iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary', 'iam:DeleteRole'],
      },
      { Sid: 'NoChangesToTheBoundary', Effect: 'Deny', Resource: boundary,
        Action: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'] },
      { Sid: 'NoAccountOrOrganizationChanges', Effect: 'Deny', Action: ['organizations:*', 'account:*'], Resource: '*' },
    ],
  };
}

/** Trust policy for IAM principals of this account (the cluster-admin role: the infra role, admins). */
export function principalsTrustPolicy(principalArns: string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: principalArns }, Action: 'sts:AssumeRole' }],
  };
}

/**
 * IAM roles for service accounts: only `namespace/name` in the cluster whose OIDC issuer is
 * `issuer` (without https://) may assume the role.
 */
export function serviceAccountTrustPolicy(providerArn: string, issuer: string, serviceAccount: string): PolicyDocument {
  const [namespace, name] = serviceAccount.split('/');
  return webIdentityTrustPolicy(providerArn, issuer, `system:serviceaccount:${namespace}:${name}`);
}

/** Read exactly one Secrets Manager secret (the RDS-managed master password). */
export function readSecretPolicy(secretArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadDatabaseSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: secretArn },
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

export interface LifecycleOptions {
  /** Tagged images kept, newest first (the deploy pushes one per commit). */
  keep: number;
  /** Tag prefixes of images that are never counted against `keep` (releases). */
  protectedPrefixes: string[];
  /** Protected images kept, newest first. */
  protectedKeep: number;
}

/**
 * ECR lifecycle policy. ECR evaluates rules by priority and an image matched by one rule is never
 * expired by a lower one, so: 1) protected tags are counted on their own (protectedKeep of them
 * stay); 2) untagged images (superseded manifest lists, failed pushes) go after a day; 3) of the
 * other tagged images the newest `keep` stay. The running image is the newest deploy's (deploys are
 * ordered), so it is always among them while fewer than `keep` newer commits were pushed.
 */
export function lifecyclePolicy(o: LifecycleOptions): { rules: Array<Record<string, unknown>> } {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `keep the newest ${o.protectedKeep} images tagged ${o.protectedPrefixes.map((p) => `${p}*`).join(', ')}`,
        selection: { tagStatus: 'tagged', tagPrefixList: o.protectedPrefixes, countType: 'imageCountMoreThan', countNumber: o.protectedKeep },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        description: 'expire untagged images after a day',
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
        action: { type: 'expire' },
      },
      {
        rulePriority: 3,
        description: `keep the newest ${o.keep} other tagged images`,
        selection: { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: o.keep },
        action: { type: 'expire' },
      },
    ],
  };
}
