// The Kubernetes objects the stack owns: the operator namespace, the deployer's RBAC
// (deployer-rbac.ts) and the operator's per-namespace Secret reader bindings. Pulumi reaches the cluster as the cluster-admin role (its kubeconfig runs
// `aws eks get-token --role-arn`), so it works whoever created the cluster. The kubeconfig is
// built here rather than with eks.Cluster.getKubeconfig: a component method call is something
// Pulumi's unit-test mocks cannot answer, and this keeps the program testable.
import * as eks from '@pulumi/eks';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from './config';
import { deployerRbac } from './deployer-rbac';

/** The ClusterRole (cdk8s/dist/operator.yaml) the operator reads an app namespace's marked Secrets through. */
export const OPERATOR_SECRET_READER = 'fastapiapp-operator-secret-reader';

export interface RoleKubeconfigOptions {
  name: string;
  server: string;
  /** Base64 PEM of the cluster CA. */
  ca: string;
  roleArn: string;
  region: string;
}

/** Pure: a kubeconfig whose credentials come from `aws eks get-token` as `roleArn`. */
export function roleKubeconfig(o: RoleKubeconfigOptions): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: o.name, cluster: { server: o.server, 'certificate-authority-data': o.ca } }],
    contexts: [{ name: o.name, context: { cluster: o.name, user: o.name } }],
    'current-context': o.name,
    users: [
      {
        name: o.name,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'aws',
            args: ['eks', 'get-token', '--cluster-name', o.name, '--region', o.region, '--role-arn', o.roleArn, '--output', 'json'],
          },
        },
      },
    ],
  };
}

export function createKubernetesObjects(cfg: InfraConfig, cluster: eks.Cluster, adminRoleArn: pulumi.Input<string>): k8s.Provider {
  const provider = new k8s.Provider('cluster-admin', {
    kubeconfig: pulumi
      .all([cluster.eksCluster.name, cluster.eksCluster.endpoint, cluster.eksCluster.certificateAuthority.data, adminRoleArn])
      .apply(([name, server, ca, roleArn]) => JSON.stringify(roleKubeconfig({ name, server, ca, roleArn, region: cfg.region }))),
    enableServerSideApply: true,
  });
  const opts = { provider };
  new k8s.core.v1.Namespace('operator-namespace', { metadata: { name: cfg.operatorNamespace } }, opts);
  for (const obj of deployerRbac({ appNamespaces: cfg.appNamespaces })) {
    const id = `${obj.kind}-${obj.metadata.namespace ?? 'cluster'}-${obj.metadata.name}`;
    const { metadata, rules, roleRef, subjects } = obj;
    if (obj.kind === 'ClusterRole') new k8s.rbac.v1.ClusterRole(id, { metadata, rules }, opts);
    else new k8s.rbac.v1.RoleBinding(id, { metadata, roleRef: roleRef!, subjects }, opts);
  }
  // The operator may list the marked Secrets (platform.fastapiapp.io/secret=true) of the app
  // namespaces only: nothing grants it Secrets cluster-wide (docs/operator/rbac.md).
  for (const ns of cfg.appNamespaces) {
    new k8s.rbac.v1.RoleBinding(`operator-secret-reader-${ns}`, {
      metadata: { name: OPERATOR_SECRET_READER, namespace: ns, labels: { 'app.kubernetes.io/part-of': 'fastapiapp' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_SECRET_READER },
      subjects: [{ kind: 'ServiceAccount', name: 'fastapiapp-operator', namespace: cfg.operatorNamespace }],
    }, opts);
  }
  return provider;
}
