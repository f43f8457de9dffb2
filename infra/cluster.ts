// EKS: control plane with API/audit/authenticator logs (kept logRetentionDays), the public endpoint
// open only to publicAccessCidrs, an OIDC provider for IAM roles for service accounts, access
// entries (no aws-auth ConfigMap) and one managed node group whose nodes live in the private subnets.
// Access entries: the cluster-admin role (cluster admin) and the deploy role (a Kubernetes group,
// deployer-rbac.ts). Never the infra role: @pulumi/eks creates every cluster with
// bootstrapClusterCreatorAdminPermissions, so an entry for the principal running `pulumi up`
// would collide with the one EKS adds for the creator when CI recreates the cluster.
import * as aws from '@pulumi/aws';
import * as eks from '@pulumi/eks';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from './config';
import type { Network } from './network';
import { DEPLOYER_GROUP } from './deployer-rbac';
import { serviceTrustPolicy } from './policies';

export const CONTROL_PLANE_LOG_TYPES = ['api', 'audit', 'authenticator'];
export const IMDS_HOP_LIMIT = 1;
const CLUSTER_ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';
const NODE_POLICIES = [
  'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
  'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
  'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
];

export interface Cluster {
  cluster: eks.Cluster;
  nodeGroup: aws.eks.NodeGroup;
}

export interface ClusterPrincipals {
  /** Gets AmazonEKSClusterAdminPolicy. */
  clusterAdmin: pulumi.Input<string>;
  /** Gets only the Kubernetes group DEPLOYER_GROUP. */
  deployer: pulumi.Input<string>;
}

export function accessEntries(p: ClusterPrincipals): Record<string, eks.types.input.AccessEntryArgs> {
  return {
    clusterAdmin: {
      principalArn: p.clusterAdmin,
      accessPolicies: { admin: { policyArn: CLUSTER_ADMIN_POLICY, accessScope: { type: 'cluster' } } },
    },
    deployer: { principalArn: p.deployer, kubernetesGroups: [DEPLOYER_GROUP] },
  };
}

export function createCluster(cfg: InfraConfig, net: Network, principals: ClusterPrincipals): Cluster {
  // EKS writes to this group when it exists; created first, it carries the retention (EKS would
  // otherwise create it with logs kept forever).
  const logGroup = new aws.cloudwatch.LogGroup(`${cfg.clusterName}-control-plane`, {
    name: `/aws/eks/${cfg.clusterName}/cluster`,
    retentionInDays: cfg.logRetentionDays,
  });
  const cluster = new eks.Cluster(cfg.clusterName, {
    name: cfg.clusterName,
    version: cfg.kubernetesVersion,
    vpcId: net.vpcId,
    publicSubnetIds: net.publicSubnetIds,
    privateSubnetIds: net.privateSubnetIds,
    nodeAssociatePublicIpAddress: false,
    endpointPublicAccess: true,
    publicAccessCidrs: cfg.publicAccessCidrs,
    endpointPrivateAccess: true,
    // Nodes come from the managed node group below, which uses the EKS-created cluster security group.
    skipDefaultNodeGroup: true,
    skipDefaultSecurityGroups: true,
    createOidcProvider: true,
    authenticationMode: eks.AuthenticationMode.Api,
    enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
    accessEntries: accessEntries(principals),
  }, { dependsOn: [logGroup] });

  const nodeRole = new aws.iam.Role(`${cfg.clusterName}-nodes`, {
    assumeRolePolicy: JSON.stringify(serviceTrustPolicy('ec2.amazonaws.com')),
  });
  const attachments = NODE_POLICIES.map(
    (policyArn, i) => new aws.iam.RolePolicyAttachment(`${cfg.clusterName}-nodes-${i}`, { role: nodeRole.name, policyArn }),
  );
  // IMDSv2 only, and a hop limit of 1: a pod (one hop further, behind the node's network namespace)
  // cannot reach the instance metadata and the node role's credentials; pods use IRSA instead.
  const launchTemplate = new aws.ec2.LaunchTemplate(`${cfg.clusterName}-nodes`, {
    description: `Nodes of ${cfg.clusterName}: IMDSv2 with hop limit 1`,
    metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: IMDS_HOP_LIMIT },
    tagSpecifications: [{ resourceType: 'instance', tags: { Name: `${cfg.clusterName}-nodes` } }],
  });
  // A managed node group: EKS adds its role's access entry itself in API authentication mode.
  const nodeGroup = new aws.eks.NodeGroup(
    `${cfg.clusterName}-nodes`,
    {
      clusterName: cluster.eksCluster.name,
      nodeRoleArn: nodeRole.arn,
      subnetIds: net.privateSubnetIds,
      instanceTypes: [cfg.nodeInstanceType],
      amiType: 'AL2023_x86_64_STANDARD',
      capacityType: 'ON_DEMAND',
      scalingConfig: { desiredSize: cfg.nodeDesiredSize, minSize: cfg.nodeMinSize, maxSize: cfg.nodeMaxSize },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
      tags: { Name: `${cfg.clusterName}-nodes` },
    },
    { dependsOn: attachments },
  );
  return { cluster, nodeGroup };
}
