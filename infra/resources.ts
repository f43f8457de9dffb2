// The whole stack. Kept apart from index.ts so unit tests can install Pulumi's mocks before any
// resource is constructed (importing this module constructs them).
import * as pulumi from '@pulumi/pulumi';
import { attachDeployerPolicy, createCiRoles } from './ci-roles';
import { createCluster } from './cluster';
import { loadConfig } from './config';
import { createNetwork } from './network';
import { createRegistry } from './registry';

const cfg = loadConfig();
const network = createNetwork(cfg);
const registry = createRegistry(cfg);
const ci = createCiRoles(cfg);
const { cluster } = createCluster(cfg, network, { deployer: ci.deployer.arn, infra: ci.infra.arn });
attachDeployerPolicy(ci.deployer, [registry.app.arn, registry.operator.arn], cluster.eksCluster.arn);

/** Admin credentials for the cluster (uses `aws eks get-token`): a secret in the stack state. */
export const kubeconfig = pulumi.secret(cluster.kubeconfigJson);
export const clusterName = cluster.eksCluster.name;
export const region = cfg.region;
export const vpcId = network.vpcId;
export const appRepositoryUrl = registry.app.repositoryUrl;
export const operatorRepositoryUrl = registry.operator.repositoryUrl;
/** Role for the deploy workflow: set it as the repository variable AWS_CI_ROLE_ARN. */
export const ciRoleArn = ci.deployer.arn;
/** Role for the workflow's `pulumi up`: set it as the repository variable AWS_INFRA_ROLE_ARN. */
export const infraRoleArn = ci.infra.arn;
/** The cluster's IAM OIDC provider (IAM roles for service accounts). */
export const clusterOidcProviderArn = cluster.oidcProviderArn;
