// Roles GitHub Actions assumes through OIDC (no long-lived keys). Both trust only workflows of the
// configured repository running on the configured branch.
// - deployer: push to the two ECR repositories, describe the cluster, deploy into it (access entry).
// - infra: runs `pulumi up`; creating VPC/EKS/IAM needs broad rights, so its policies are config.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from './config';
import { GITHUB_OIDC_HOST, STS_AUDIENCE, deployerPolicy, githubTrustPolicy } from './policies';

export interface CiRoles {
  githubOidcProviderArn: pulumi.Output<string>;
  deployer: aws.iam.Role;
  infra: aws.iam.Role;
}

export function createCiRoles(cfg: InfraConfig): CiRoles {
  // An account holds one provider per URL: reuse it when the config names one.
  const providerArn = cfg.githubOidcProviderArn
    ? pulumi.output(cfg.githubOidcProviderArn)
    : new aws.iam.OpenIdConnectProvider('github-actions', {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdLists: [STS_AUDIENCE],
      }).arn;

  const trust = providerArn.apply((arn) => JSON.stringify(githubTrustPolicy(arn, cfg.githubRepo, cfg.githubBranch)));
  const deployer = new aws.iam.Role('ci-deployer', {
    description: `GitHub Actions deploys of ${cfg.githubRepo}@${cfg.githubBranch}: ECR push + EKS deploy`,
    assumeRolePolicy: trust,
    maxSessionDuration: 3600,
  });
  const infra = new aws.iam.Role('ci-infra', {
    description: `GitHub Actions \`pulumi up\` of ${cfg.githubRepo}@${cfg.githubBranch}`,
    assumeRolePolicy: trust,
    maxSessionDuration: 3600,
  });
  cfg.infraRolePolicyArns.forEach((policyArn, i) => {
    new aws.iam.RolePolicyAttachment(`ci-infra-${i}`, { role: infra.name, policyArn });
  });
  return { githubOidcProviderArn: providerArn, deployer, infra };
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
