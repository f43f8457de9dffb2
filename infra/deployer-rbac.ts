// Pure builder: the Kubernetes RBAC the deploy role gets through its access entry's group, i.e.
// exactly what the rollout job does (deploy.yml): apply crds/, apply cdk8s/dist/ into the operator
// namespace, apply the committed FastApiApp in the app namespaces, apply the Grafana dashboard
// ConfigMaps into Grafana's namespace (when one is configured), wait, and read diagnostics.
// Cluster-wide objects are limited by name. Creating the operator's ClusterRole/Role needs
// `escalate` on those names (the deployer does not hold the operator's rights) and `bind` to bind
// them: whoever may install an operator can change what it may do, so the trust policy and the
// GitHub environment's protection rules are what guard this role.

export const DEPLOYER_GROUP = 'fastapiapp:deployers';
export const CRD_NAME = 'fastapiapps.platform.fastapiapp.io';
/** Names of the operator's cluster-scoped and namespaced RBAC objects in cdk8s/dist/operator.yaml. */
export const OPERATOR_CLUSTER_RBAC_NAMES = ['fastapiapp-operator', 'fastapiapp-operator-metrics-reader', 'fastapiapp-operator-secret-reader'];
/** The ClusterRole the operator reads an app namespace's marked Secrets through (bound per namespace by kubernetes.ts). */
export const OPERATOR_SECRET_READER = 'fastapiapp-operator-secret-reader';
export const OPERATOR_ROLE_NAMES = ['fastapiapp-operator-leader-election'];

export interface DeployerRbacOptions {
  operatorNamespace: string;
  appNamespaces: string[];
  /** Grafana's namespace (kube-prometheus-stack's), where cdk8s/dist/grafana-dashboards.yaml goes; none = no dashboards. */
  grafanaNamespace?: string;
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
export interface KubeObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole' | 'ClusterRoleBinding' | 'RoleBinding';
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  rules?: Rule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: Array<{ apiGroup: string; kind: string; name: string }>;
}

const APPLY = ['get', 'list', 'watch', 'create', 'patch', 'update'];
const READ = ['get', 'list', 'watch'];
const labels = { 'app.kubernetes.io/part-of': 'fastapiapp', 'app.kubernetes.io/component': 'deployer-rbac' };
const group = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: DEPLOYER_GROUP }];

const clusterRules = (o: DeployerRbacOptions): Rule[] => [
  // `create` cannot be limited by name: a create request names no existing object.
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['create'] },
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: APPLY, resourceNames: [CRD_NAME] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch', 'update'], resourceNames: [o.operatorNamespace] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings'], verbs: ['create'] },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterroles', 'clusterrolebindings'],
    verbs: [...APPLY, 'escalate', 'bind'],
    resourceNames: OPERATOR_CLUSTER_RBAC_NAMES,
  },
  // `kubectl get crd servicemonitors... prometheusrules...` decides whether monitoring is applied.
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get'], resourceNames: ['servicemonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com'] },
];

const operatorNamespaceRules: Rule[] = [
  { apiGroups: [''], resources: ['serviceaccounts', 'services', 'configmaps'], verbs: APPLY },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: APPLY },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: READ },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: APPLY },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: [...APPLY, 'escalate', 'bind'], resourceNames: OPERATOR_ROLE_NAMES },
  { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors', 'prometheusrules'], verbs: APPLY },
  { apiGroups: [''], resources: ['pods', 'pods/log', 'events'], verbs: READ },
];

const appNamespaceRules: Rule[] = [
  { apiGroups: ['platform.fastapiapp.io'], resources: ['fastapiapps'], verbs: APPLY },
  { apiGroups: [''], resources: ['pods', 'pods/log', 'events'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: READ },
];

// Only the dashboard ConfigMaps, by name: Grafana's namespace holds the monitoring stack's own objects.
const grafanaNamespaceRules = (dashboardConfigMaps: readonly string[]): Rule[] => [
  // `create` cannot be limited by name (see above); get/patch/update only the dashboards'.
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch', 'update'], resourceNames: [...dashboardConfigMaps] },
];

/** Names of the dashboard ConfigMaps in cdk8s/dist/grafana-dashboards.yaml. */
export const DASHBOARD_CONFIGMAP_NAMES = ['grafana-dashboard-fastapiapp-operator', 'grafana-dashboard-fastapiapp-service'];

/** ClusterRoles, ClusterRoleBinding and RoleBindings for the deployer group. */
export function deployerRbac(o: DeployerRbacOptions): KubeObject[] {
  const rbac = 'rbac.authorization.k8s.io/v1' as const;
  const roleRef = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
  const binding = (name: string, namespace: string, role: string): KubeObject => ({
    apiVersion: rbac,
    kind: 'RoleBinding',
    metadata: { name, namespace, labels },
    roleRef: roleRef(role),
    subjects: group,
  });
  return [
    { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: 'fastapiapp:deployer', labels }, rules: clusterRules(o) },
    { apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: 'fastapiapp:deployer', labels }, roleRef: roleRef('fastapiapp:deployer'), subjects: group },
    { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: 'fastapiapp:deployer:operator-namespace', labels }, rules: operatorNamespaceRules },
    { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: 'fastapiapp:deployer:app-namespace', labels }, rules: appNamespaceRules },
    binding('fastapiapp:deployer', o.operatorNamespace, 'fastapiapp:deployer:operator-namespace'),
    ...o.appNamespaces.map((ns) => binding('fastapiapp:deployer', ns, 'fastapiapp:deployer:app-namespace')),
    ...(o.grafanaNamespace
      ? [
        { apiVersion: rbac, kind: 'ClusterRole' as const, metadata: { name: 'fastapiapp:deployer:grafana-dashboards', labels }, rules: grafanaNamespaceRules(DASHBOARD_CONFIGMAP_NAMES) },
        binding('fastapiapp:deployer', o.grafanaNamespace, 'fastapiapp:deployer:grafana-dashboards'),
      ]
      : []),
  ];
}
