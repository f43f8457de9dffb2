// The GitHub side of the CI trust (@pulumi/github; its provider reads GITHUB_TOKEN, a token of a
// repository admin): the two environments the CI roles trust, each deployable from main only,
// `infrastructure` behind required reviewers; and the repository's OIDC subject template, so a
// job's `sub` names the workflow file and ref it runs (job_workflow_ref) and the roles' trust
// (policies.ts githubTrustPolicy) pins the deploy workflow on main. Without these, any branch whose
// workflow names `environment: infrastructure` would get the infra role.
import * as github from '@pulumi/github';
import type { InfraConfig } from './config';
import { OIDC_SUBJECT_CLAIM_KEYS } from './policies';

export function createGithubProtection(cfg: InfraConfig): void {
  const repository = cfg.githubRepo.split('/')[1]!;
  new github.ActionsRepositoryOidcSubjectClaimCustomizationTemplate('oidc-subject', {
    repository, useDefault: false, includeClaimKeys: [...OIDC_SUBJECT_CLAIM_KEYS],
  });
  const environments: Array<[string, number[]]> = [[cfg.infraEnvironment, cfg.infraReviewerIds], [cfg.deployEnvironment, cfg.deployReviewerIds]];
  for (const [environment, users] of environments) {
    const env = new github.RepositoryEnvironment(`environment-${environment}`, {
      repository, environment,
      preventSelfReview: users.length > 0,
      canAdminsBypass: false,
      ...(users.length > 0 ? { reviewers: [{ users }] } : {}),
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    });
    new github.RepositoryEnvironmentDeploymentPolicy(`environment-${environment}-main`, {
      repository, environment: env.environment, branchPattern: cfg.deployBranch,
    });
  }
}
