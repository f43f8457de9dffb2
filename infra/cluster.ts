// EKS: control plane with API/audit/authenticator logs, an OIDC provider for IAM roles for
// service accounts, access entries (no aws-auth ConfigMap) and one managed node group whose
// nodes live in the private subnets.
import * as aws from '@pulumi/aws';
import * as eks from '@pulumi/eks';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from './config';
import type { Network } from './network';
import { serviceTrustPolicy } from './policies';

export const CONTROL_PLANE_LOG_TYPES = ['api', 'audit', 'authenticator'];
// Installing the operator applies a CRD and ClusterRoles: only cluster-wide admin can do that.
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

function adminEntry(principalArn: pulumi.Input<string>): eks.types.input.AccessEntryArgs {
  return {
    principalArn,
    accessPolicies: { admin: { policyArn: CLUSTER_ADMIN_POLICY, accessScope: { type: 'cluster' } } },
  };
}

export function createCluster(cfg: InfraConfig, net: Network, deployers: Record<string, pulumi.Input<string>>): Cluster {
  const accessEntries = Object.fromEntries(Object.entries(deployers).map(([k, arn]) => [k, adminEntry(arn)]));
  const cluster = new eks.Cluster(cfg.clusterName, {
    name: cfg.clusterName,
    version: cfg.kubernetesVersion,
    vpcId: net.vpcId,
    publicSubnetIds: net.publicSubnetIds,
    privateSubnetIds: net.privateSubnetIds,
    nodeAssociatePublicIpAddress: false,
    endpointPublicAccess: true,
    endpointPrivateAccess: true,
    // Nodes come from the managed node group below, which uses the EKS-created cluster security group.
    skipDefaultNodeGroup: true,
    skipDefaultSecurityGroups: true,
    createOidcProvider: true,
    authenticationMode: eks.AuthenticationMode.Api,
    enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
    accessEntries,
  });

  const nodeRole = new aws.iam.Role(`${cfg.clusterName}-nodes`, {
    assumeRolePolicy: JSON.stringify(serviceTrustPolicy('ec2.amazonaws.com')),
  });
  const attachments = NODE_POLICIES.map(
    (policyArn, i) => new aws.iam.RolePolicyAttachment(`${cfg.clusterName}-nodes-${i}`, { role: nodeRole.name, policyArn }),
  );
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
      tags: { Name: `${cfg.clusterName}-nodes` },
    },
    { dependsOn: attachments },
  );
  return { cluster, nodeGroup };
}
