// Pure builder: the Kubernetes RBAC the deploy role gets through its access entry's group, i.e.
// exactly what the rollout job does (deploy.yml): server-side apply the committed FastApiApp in
// the app namespaces, wait for it, and read diagnostics (pods, their logs, events, Jobs).
// Nothing cluster-scoped and nothing in the operator's namespace: the CRD, the operator (its
// RBAC, ServiceAccount and Deployment) and the dashboards are installed by the infra job as the
// cluster-admin role, after `pulumi up`. So the deploy role holds no `escalate`, `bind` or
// `impersonate`, cannot touch RBAC objects, and cannot change the operator's Deployment (which
// would run any image as the operator's ServiceAccount). It cannot read Secrets either, but a
// FastApiApp names the image its pods run and the Secret its Job and pods get as DATABASE_URL:
// whoever may patch a FastApiApp may run code with that Secret (docs/platform/security.md).

export const DEPLOYER_GROUP = 'fastapiapp:deployers';
/** The one ClusterRole the deployer group is bound to, per app namespace (by RoleBindings only). */
export const DEPLOYER_APP_ROLE = 'fastapiapp:deployer:app-namespace';

export interface DeployerRbacOptions {
  /** Namespaces whose FastApiApps the deploy role may apply. */
  appNamespaces: string[];
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
export interface KubeObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole' | 'RoleBinding';
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  rules?: Rule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: Array<{ apiGroup: string; kind: string; name: string }>;
}

/** `kubectl apply --server-side` (get + patch, create the first time) and `kubectl wait` (list/watch). */
const APPLY = ['get', 'list', 'watch', 'create', 'patch'];
const READ = ['get', 'list', 'watch'];
const labels = { 'app.kubernetes.io/part-of': 'fastapiapp', 'app.kubernetes.io/component': 'deployer-rbac' };
const group = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: DEPLOYER_GROUP }];

export const APP_NAMESPACE_RULES: readonly Rule[] = [
  { apiGroups: ['platform.fastapiapp.io'], resources: ['fastapiapps'], verbs: APPLY },
  { apiGroups: [''], resources: ['pods', 'pods/log', 'events'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: READ },
];

/** The deployer's ClusterRole (rules only, bound nowhere cluster-wide) and one RoleBinding per app namespace. */
export function deployerRbac(o: DeployerRbacOptions): KubeObject[] {
  const rbac = 'rbac.authorization.k8s.io/v1' as const;
  return [
    { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: DEPLOYER_APP_ROLE, labels }, rules: APP_NAMESPACE_RULES.map((r) => ({ ...r })) },
    ...o.appNamespaces.map((namespace): KubeObject => ({
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name: 'fastapiapp:deployer', namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: DEPLOYER_APP_ROLE },
      subjects: group,
    })),
  ];
}
