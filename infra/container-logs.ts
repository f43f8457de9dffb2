// Container logs to CloudWatch Logs (issue 31 item 10). The EKS add-on amazon-cloudwatch-observability
// runs Fluent Bit on every node; it ships each container's stdout/stderr (the app's and the
// operator's JSON lines) to /aws/containerinsights/<cluster>/application, with the pod's namespace,
// name and container beside each line. The log groups are created here first, so they carry a
// retention (`containerLogRetentionDays`); Fluent Bit would otherwise create them keeping logs
// forever. The add-on's agents get their AWS rights through IRSA: a role only its ServiceAccount
// may assume, holding AWS's CloudWatchAgentServerPolicy; the nodes' role gets nothing more.
// Querying by request id: docs/operations/logs.md.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from './config';
import { serviceAccountTrustPolicy } from './policies';

export const CLOUDWATCH_ADDON = 'amazon-cloudwatch-observability';
/** The ServiceAccount the add-on's agent and Fluent Bit run as. */
export const CLOUDWATCH_AGENT_SERVICE_ACCOUNT = 'amazon-cloudwatch/cloudwatch-agent';
export const CLOUDWATCH_AGENT_POLICY = 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy';
/** The groups the add-on writes to: containers (application), node services, node OS, Container Insights metrics. */
export const CONTAINER_LOG_KINDS = ['application', 'dataplane', 'host', 'performance'] as const;

export const containerLogGroupName = (clusterName: string, kind: (typeof CONTAINER_LOG_KINDS)[number]): string =>
  `/aws/containerinsights/${clusterName}/${kind}`;

export interface ContainerLogsInputs {
  clusterName: pulumi.Input<string>;
  oidcProviderArn: pulumi.Input<string>;
  /** The cluster's OIDC issuer URL (with or without https://). */
  oidcIssuer: pulumi.Input<string>;
  /** The add-on's DaemonSets need nodes: created after the node group. */
  nodeGroup: pulumi.Resource;
}

export interface ContainerLogs {
  addon: aws.eks.Addon;
  logGroups: aws.cloudwatch.LogGroup[];
  role: aws.iam.Role;
  /** Where the app's and the operator's lines land. */
  applicationLogGroup: pulumi.Output<string>;
}

/** Nothing when `containerLogs` is false (logs then stay on the nodes, rotated by the kubelet). */
export function createContainerLogs(cfg: InfraConfig, inputs: ContainerLogsInputs): ContainerLogs | undefined {
  if (!cfg.containerLogs.enabled) return undefined;
  const name = `${cfg.clusterName}-container-logs`;
  const logGroups = CONTAINER_LOG_KINDS.map((kind) => new aws.cloudwatch.LogGroup(`${name}-${kind}`, {
    name: containerLogGroupName(cfg.clusterName, kind),
    retentionInDays: cfg.containerLogs.retentionDays,
  }));
  const role = new aws.iam.Role(name, {
    description: `CloudWatch agent and Fluent Bit (${CLOUDWATCH_AGENT_SERVICE_ACCOUNT}) of ${cfg.clusterName} write container logs`,
    assumeRolePolicy: pulumi
      .all([inputs.oidcProviderArn, inputs.oidcIssuer])
      .apply(([arn, issuer]) => JSON.stringify(serviceAccountTrustPolicy(arn, issuer.replace(/^https:\/\//, ''), CLOUDWATCH_AGENT_SERVICE_ACCOUNT))),
  });
  const attachment = new aws.iam.RolePolicyAttachment(name, { role: role.name, policyArn: CLOUDWATCH_AGENT_POLICY });
  const addon = new aws.eks.Addon(name, {
    clusterName: inputs.clusterName,
    addonName: CLOUDWATCH_ADDON,
    serviceAccountRoleArn: role.arn,
    configurationValues: JSON.stringify({ containerLogs: { enabled: true } }),
    resolveConflictsOnCreate: 'OVERWRITE',
    resolveConflictsOnUpdate: 'OVERWRITE',
  }, { dependsOn: [...logGroups, attachment, inputs.nodeGroup] });
  return { addon, logGroups, role, applicationLogGroup: logGroups[0]!.name };
}
