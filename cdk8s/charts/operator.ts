// The operator's install manifests: namespace, identity and least-privilege RBAC, the
// Deployment (2 replicas, leader election), metrics Service, PodDisruptionBudget. Every namespaced
// object names its namespace explicitly because the chart also holds cluster-scoped RBAC.
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { GROUP, PLURAL } from '../../operator/src/api/types';
import { containerSecurityContext, podSecurityContext } from '../../operator/src/desired/pod';

export const OPERATOR_NAMESPACE = 'fastapiapp-system';
export const OPERATOR_NAME = 'fastapiapp-operator';
/** Placeholder the deploy workflow replaces with the pushed image (e.g. an ECR reference). */
export const OPERATOR_IMAGE_PLACEHOLDER = 'fastapiapp-operator:dev';
export const METRICS_PORT = 8080;
export const LEASE_NAME = 'fastapiapp-operator-leader';

const selector = { 'app.kubernetes.io/name': OPERATOR_NAME };
const labels = { ...selector, 'app.kubernetes.io/part-of': 'fastapiapp', 'app.kubernetes.io/component': 'operator' };
const meta = (name: string) => ({ name, namespace: OPERATOR_NAMESPACE, labels });

/**
 * Exact verbs per resource. The operator writes children only by server-side apply (PATCH; an
 * apply that creates also needs create) and reads them through watches.
 */
export const CLUSTER_RULES = [
  // FastApiApps are read through a watch-backed cache: no get.
  { apiGroups: [GROUP], resources: [PLURAL], verbs: ['list', 'watch'] },
  // Status is written by server-side apply on the status subresource (PATCH).
  { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ['patch'] },
  // Children carry blockOwnerDeletion; clusters enforcing OwnerReferencesPermissionEnforcement
  // require update on the owner's finalizers for that.
  { apiGroups: [GROUP], resources: [`${PLURAL}/finalizers`], verbs: ['update'] },
  // get: before creating a child, whether its name is taken by an object the app does not control.
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  // delete: a migration Job superseded while it runs, and finished ones beyond the history limit.
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  // list: once a migration Job succeeded, its pod's imageID gives the digest the Deployment pins.
  { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
  // delete: the budget goes when replicas drop to 1 or it is disabled.
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  // list/watch: a change of the referenced database Secret rolls the pods. The operator keeps only
  // a hash per key in memory, never the values.
  { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] },
  // delete: the ServiceMonitor goes when spec.monitoring.enabled turns false. The operator notices
  // the ServiceMonitor CRD being installed by retrying this list, so it needs no CRD access.
  {
    apiGroups: ['monitoring.coreos.com'],
    resources: ['servicemonitors'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

/** Leader election on one Lease in the operator's namespace. */
export const LEASE_RULES = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/** The operator's configuration (operator/src/config.ts reads these). */
export const OPERATOR_ENV = [
  { name: 'WATCH_NAMESPACES', value: '' },
  { name: 'LEADER_ELECT', value: 'true' },
  { name: 'LEADER_ELECTION_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  { name: 'LEADER_ELECTION_ID', value: LEASE_NAME },
  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: 'METRICS_ADDR', value: `:${METRICS_PORT}` },
  { name: 'LOG_LEVEL', value: 'info' },
];

export class OperatorChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);

    new ApiObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: OPERATOR_NAMESPACE,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });
    new ApiObject(this, 'service-account', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(OPERATOR_NAME),
      automountServiceAccountToken: true,
    });
    const subjects = [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace: OPERATOR_NAMESPACE }];
    new ApiObject(this, 'cluster-role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: OPERATOR_NAME, labels },
      rules: CLUSTER_RULES,
    });
    new ApiObject(this, 'cluster-role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: OPERATOR_NAME, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
      subjects,
    });
    new ApiObject(this, 'leader-election-role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(`${OPERATOR_NAME}-leader-election`),
      rules: LEASE_RULES,
    });
    new ApiObject(this, 'leader-election-role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(`${OPERATOR_NAME}-leader-election`),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${OPERATOR_NAME}-leader-election` },
      subjects,
    });

    const probe = (path: string) => ({
      httpGet: { path, port: 'metrics', scheme: 'HTTP' },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });
    new ApiObject(this, 'deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(OPERATOR_NAME),
      spec: {
        replicas: 2,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels, annotations: { 'kubectl.kubernetes.io/default-container': 'operator' } },
          spec: {
            serviceAccountName: OPERATOR_NAME,
            securityContext: podSecurityContext(),
            terminationGracePeriodSeconds: 30,
            // Spread the two replicas so one node going away leaves a standby.
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } },
                  },
                ],
              },
            },
            containers: [
              {
                name: 'operator',
                image: OPERATOR_IMAGE_PLACEHOLDER,
                imagePullPolicy: 'IfNotPresent',
                env: OPERATOR_ENV,
                ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
                livenessProbe: probe('/healthz'),
                readinessProbe: probe('/readyz'),
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
                securityContext: containerSecurityContext(),
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
                terminationMessagePolicy: 'FallbackToLogsOnError',
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }],
          },
        },
      },
    });
    new ApiObject(this, 'metrics-service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(`${OPERATOR_NAME}-metrics`),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }],
      },
    });
    new ApiObject(this, 'pod-disruption-budget', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(OPERATOR_NAME),
      spec: { minAvailable: 1, selector: { matchLabels: selector } },
    });
  }
}

export interface OperatorMonitoringChartProps {
  /** Extra labels on the ServiceMonitor, to match a Prometheus `serviceMonitorSelector` (e.g. `release`). Default: none. */
  readonly labels?: Record<string, string>;
}

/** The operator's ServiceMonitor: a separate chart (and file) since it needs the prometheus-operator CRDs. */
export class OperatorMonitoringChart extends Chart {
  constructor(scope: Construct, id: string, props: OperatorMonitoringChartProps = {}) {
    super(scope, id);
    const own = meta(OPERATOR_NAME);
    new ApiObject(this, 'service-monitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { ...own, labels: { ...props.labels, ...own.labels } },
      spec: {
        // job="fastapiapp-operator", which the operator alert rules select on.
        jobLabel: 'app.kubernetes.io/name',
        selector: { matchLabels: { ...selector, 'app.kubernetes.io/component': 'operator' } },
        namespaceSelector: { matchNames: [OPERATOR_NAMESPACE] },
        endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scheme: 'http' }],
      },
    });
  }
}
