// Roles GitHub Actions assumes through OIDC (no long-lived keys). Each trusts one subject: jobs of
// the configured repository running in its own GitHub environment (policies.ts githubTrustPolicy).
// - infra (environment infraEnvironment): runs `pulumi up`; creating VPC/EKS/IAM needs broad
//   rights, so its policies are config.
// - deployer (environment deployEnvironment): push to the two ECR repositories, describe the
//   cluster, and inside it only what deployer-rbac.ts grants (no cluster-admin).
// - cluster-admin: not assumable from GitHub at all; the infra role (and configured admins)
//   assume it to manage Kubernetes objects. It has its own access entry, so the principal that
//   creates the cluster (EKS gives the creator an entry itself) is never listed twice.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from './config';
import { GITHUB_OIDC_HOST, STS_AUDIENCE, deployerPolicy, githubTrustPolicy, infraBoundaryPolicy, principalsTrustPolicy } from './policies';

/** The workflow whose jobs (on cfg.deployBranch) may assume the CI roles. */
export const DEPLOY_WORKFLOW = '.github/workflows/deploy.yml';

export interface CiRoles {
  githubOidcProviderArn: pulumi.Output<string>;
  deployer: aws.iam.Role;
  infra: aws.iam.Role;
  clusterAdmin: aws.iam.Role;
}

export function createCiRoles(cfg: InfraConfig): CiRoles {
  // An account holds one provider per URL: reuse it when the config names one.
  const providerArn = cfg.githubOidcProviderArn
    ? pulumi.output(cfg.githubOidcProviderArn)
    : new aws.iam.OpenIdConnectProvider('github-actions', {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdLists: [STS_AUDIENCE],
      }).arn;

  const trust = (environment: string) =>
    providerArn.apply((arn) => JSON.stringify(githubTrustPolicy(arn, cfg.githubRepo, environment, DEPLOY_WORKFLOW, cfg.deployBranch)));
  const deployer = new aws.iam.Role('ci-deployer', {
    description: `GitHub Actions deploys of ${cfg.githubRepo} (environment ${cfg.deployEnvironment}): ECR push + EKS deploy`,
    assumeRolePolicy: trust(cfg.deployEnvironment),
    maxSessionDuration: 3600,
  });
  const boundary = new aws.iam.Policy('ci-infra-boundary', {
    description: 'Permissions boundary of the pulumi-up role: no long-lived credentials, no changes to itself or this boundary',
    policy: JSON.stringify(infraBoundaryPolicy('ci-infra', 'ci-infra-boundary')),
  });
  const infra = new aws.iam.Role('ci-infra', {
    description: `GitHub Actions \`pulumi up\` of ${cfg.githubRepo} (environment ${cfg.infraEnvironment})`,
    assumeRolePolicy: trust(cfg.infraEnvironment),
    permissionsBoundary: boundary.arn,
    maxSessionDuration: 3600,
  });
  cfg.infraRolePolicyArns.forEach((policyArn, i) => {
    new aws.iam.RolePolicyAttachment(`ci-infra-${i}`, { role: infra.name, policyArn });
  });
  const clusterAdmin = new aws.iam.Role('cluster-admin', {
    description: `Kubernetes admin of ${cfg.clusterName}, assumed by the infra role and the configured admins`,
    assumeRolePolicy: infra.arn.apply((arn) => JSON.stringify(principalsTrustPolicy([arn, ...cfg.clusterAdminPrincipalArns]))),
    maxSessionDuration: 3600,
  });
  return { githubOidcProviderArn: providerArn, deployer, infra, clusterAdmin };
}

/** The deployer's inline policy: needs the cluster ARN, so it is attached after the cluster exists. */
export function attachDeployerPolicy(
  role: aws.iam.Role,
  repositoryArns: pulumi.Input<string>[],
  clusterArn: pulumi.Input<string>,
): aws.iam.RolePolicy {
  return new aws.iam.RolePolicy('ci-deployer', {
    role: role.id,
    policy: pulumi
      .all([pulumi.all(repositoryArns), clusterArn])
      .apply(([repos, cluster]) => JSON.stringify(deployerPolicy(repos, cluster))),
  });
}
