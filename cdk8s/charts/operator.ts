// The operator's install manifests: namespace, identity and least-privilege RBAC, the
// Deployment (2 replicas, leader election), metrics Service, PodDisruptionBudget, built with
// cdk8s-plus-28 constructs (its typed k8s object for the PodDisruptionBudget, which has no
// construct). Every namespaced object names its namespace explicitly because the chart also holds
// cluster-scoped RBAC.
import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { GROUP, PLURAL } from '../../operator/src/api/types';
import { containerSecurityContext, podSecurityContext } from '../../operator/src/desired/pod';
import { SECRET_READER_ROLE } from '../../operator/src/desired/secret-hash';
import { ServiceMonitor, ServiceMonitorSpecEndpointsScheme } from '../imports/monitoring.coreos.com';

export const OPERATOR_NAMESPACE = 'fastapiapp-system';
export const OPERATOR_NAME = 'fastapiapp-operator';
/** Placeholder the deploy workflow replaces with the pushed image (e.g. an ECR reference). */
export const OPERATOR_IMAGE_PLACEHOLDER = 'fastapiapp-operator:dev';
/** /metrics over HTTPS, for callers the API server authorises (TokenReview + SubjectAccessReview). */
export const METRICS_PORT = 8443;
/** /healthz and /readyz, plain HTTP for the kubelet. */
export const PROBE_PORT = 8080;
/** The non-resource URL a scraper needs `get` on; METRICS_READER_ROLE grants it. */
export const METRICS_READER_ROLE = 'fastapiapp-operator-metrics-reader';
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
  // No get: whether a child's name is taken by an object the app does not control comes from a
  // metadata-only watch of every object of the kind (list/watch).
  // delete: a strategy's children once the spec no longer wants them (<name>-canary and <name>-preview
  // after the strategy changed and they run no pod; the Service <name>-preview).
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['services'], verbs: ['list', 'watch', 'create', 'patch', 'delete'] },
  // delete: a migration Job superseded while it runs, and finished ones beyond the history limit.
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['list', 'watch', 'create', 'patch', 'delete'] },
  // list/watch, label-selected (component=migration): why a migration pod cannot start
  // (ImagePullFailed, MigrationPodFailed), the digest it ran (its imageID, pinned by the Deployment)
  // and the migrate CLI's result (its termination message).
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
  // delete: the budget goes when replicas drop to 1 or it is disabled.
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['list', 'watch', 'create', 'patch', 'delete'] },
  // delete: the policy goes when spec.networkPolicy.enabled turns false.
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list', 'watch', 'create', 'patch', 'delete'] },
  // delete: the ServiceMonitor goes when spec.monitoring.enabled turns false, the PrometheusRule
  // when spec.slo is removed. The operator notices these CRDs being installed by retrying the
  // list, so it needs no CRD access.
  {
    apiGroups: ['monitoring.coreos.com'],
    resources: ['servicemonitors'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
  },
  {
    apiGroups: ['monitoring.coreos.com'],
    resources: ['prometheusrules'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
  },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  // who may read /metrics: the bearer token's user (TokenReview), then its right to get /metrics (SubjectAccessReview)
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
];

/**
 * Secret read is not cluster-wide: this ClusterRole is bound per namespace by a RoleBinding
 * (SecretReaderBinding; the example app ships one), and the operator lists only Secrets labelled
 * platform.fastapiapp.io/secret=true there, keeping a hash per key, never the values. A change of
 * an app's database Secret rolls its pods.
 */
export const SECRET_READER_RULES = [{ apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] }];

/** Leader election on one Lease in the operator's namespace. */
export const LEASE_RULES = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/** The operator's configuration (operator/src/config.ts reads these). */
export const OPERATOR_ENV: Record<string, kplus.EnvValue> = {
  WATCH_NAMESPACES: kplus.EnvValue.fromValue(''),
  LEADER_ELECT: kplus.EnvValue.fromValue('true'),
  LEADER_ELECTION_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
  LEADER_ELECTION_ID: kplus.EnvValue.fromValue(LEASE_NAME),
  POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
  METRICS_ADDR: kplus.EnvValue.fromValue(`:${PROBE_PORT}`),
  METRICS_SECURE_ADDR: kplus.EnvValue.fromValue(`:${METRICS_PORT}`),
  LOG_LEVEL: kplus.EnvValue.fromValue('info'),
};

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** A rule's resources as cdk8s-plus API resources (which render one rule per resource, verbs as given). */
function apiResources(rule: Rule): kplus.ApiResource[] {
  return rule.apiGroups.flatMap((apiGroup) => rule.resources.map((resourceType) => kplus.ApiResource.custom({ apiGroup, resourceType })));
}

/** The restricted container profile the app's pods use (operator/src/desired/pod.ts), in cdk8s-plus terms. */
function restrictedContainer(sc = containerSecurityContext()): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: sc.runAsNonRoot,
    privileged: sc.privileged,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
    allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
    capabilities: { drop: sc.capabilities?.drop as kplus.Capability[] | undefined },
    seccompProfile: sc.seccompProfile && { type: sc.seccompProfile.type as kplus.SeccompProfileType },
  };
}

/** A JSON Pointer reference token (RFC 6901): `~` and `/` escaped. */
const jsonPointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

export class OperatorChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);

    new kplus.Namespace(this, 'namespace', {
      metadata: {
        name: OPERATOR_NAMESPACE,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });
    const serviceAccount = new kplus.ServiceAccount(this, 'service-account', { metadata: meta(OPERATOR_NAME), automountToken: true });

    const clusterRole = new kplus.ClusterRole(this, 'cluster-role', { metadata: { name: OPERATOR_NAME, labels } });
    for (const rule of CLUSTER_RULES) clusterRole.allow(rule.verbs, ...apiResources(rule));
    new kplus.ClusterRoleBinding(this, 'cluster-role-binding', { metadata: { name: OPERATOR_NAME, labels }, role: clusterRole })
      .addSubjects(serviceAccount);
    // For the scraper's ServiceAccount (bound by whoever runs Prometheus; kube-prometheus-stack's role already has it).
    new kplus.ClusterRole(this, 'metrics-reader-role', { metadata: { name: METRICS_READER_ROLE, labels } })
      .allow(['get'], kplus.NonApiResource.of('/metrics'));
    const secretReader = new kplus.ClusterRole(this, 'secret-reader-role', { metadata: { name: SECRET_READER_ROLE, labels } });
    for (const rule of SECRET_READER_RULES) secretReader.allow(rule.verbs, ...apiResources(rule));
    const leaseRole = new kplus.Role(this, 'leader-election-role', { metadata: meta(`${OPERATOR_NAME}-leader-election`) });
    for (const rule of LEASE_RULES) leaseRole.allow(rule.verbs, ...apiResources(rule));
    new kplus.RoleBinding(this, 'leader-election-role-binding', { metadata: meta(`${OPERATOR_NAME}-leader-election`), role: leaseRole })
      .addSubjects(serviceAccount);

    const probe = (path: string) =>
      kplus.Probe.fromHttpGet(path, {
        port: PROBE_PORT,
        scheme: kplus.ConnectionScheme.HTTP,
        periodSeconds: Duration.seconds(10),
        timeoutSeconds: Duration.seconds(2),
        failureThreshold: 3,
      });
    const pod = podSecurityContext();
    const operatorPods = kplus.Pods.select(this, 'operator-pods', { labels: selector });
    const deployment = new kplus.Deployment(this, 'deployment', {
      metadata: meta(OPERATOR_NAME),
      replicas: 2,
      // Select by the app.kubernetes.io labels below, not by cdk8s-plus's generated address label.
      select: false,
      podMetadata: { labels, annotations: { 'kubectl.kubernetes.io/default-container': 'operator' } },
      serviceAccount,
      // The operator talks to the API server with its ServiceAccount's token.
      automountServiceAccountToken: true,
      securityContext: { ensureNonRoot: pod.runAsNonRoot, user: pod.runAsUser, group: pod.runAsGroup, fsGroup: pod.fsGroup },
      terminationGracePeriod: Duration.seconds(30),
      containers: [
        {
          name: 'operator',
          image: OPERATOR_IMAGE_PLACEHOLDER,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          envVariables: OPERATOR_ENV,
          // `ports`, not `portNumber`: the latter also adds a default TCP startup probe.
          ports: [
            { name: 'metrics', number: METRICS_PORT, protocol: kplus.Protocol.TCP },
            { name: 'probes', number: PROBE_PORT, protocol: kplus.Protocol.TCP },
          ],
          liveness: probe('/healthz'),
          readiness: probe('/readyz'),
          resources: {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
            memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
          },
          securityContext: restrictedContainer(),
          volumeMounts: [{ path: '/tmp', volume: kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(16) }) }],
        },
      ],
    });
    deployment.select(kplus.LabelSelector.of({ labels: selector }));
    // Spread the two replicas so one node going away leaves a standby.
    deployment.scheduling.separate(operatorPods, { weight: 100, topology: kplus.Topology.HOSTNAME });
    // What cdk8s-plus-28 has no option for.
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/revisionHistoryLimit', 5),
      // Workloads always label their pods with a construct address; nothing selects on it here.
      JsonPatch.remove(`/spec/template/metadata/labels/${jsonPointer(kplus.Pod.ADDRESS_LABEL)}`),
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', pod.seccompProfile),
      JsonPatch.add('/spec/template/spec/containers/0/terminationMessagePolicy', 'FallbackToLogsOnError'),
    );

    new kplus.Service(this, 'metrics-service', {
      metadata: meta(`${OPERATOR_NAME}-metrics`),
      type: kplus.ServiceType.CLUSTER_IP,
      selector: operatorPods,
      ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: METRICS_PORT, protocol: kplus.Protocol.TCP }],
    });
    // cdk8s-plus-28 has no PodDisruptionBudget construct: its typed policy/v1 object.
    new kplus.k8s.KubePodDisruptionBudget(this, 'pod-disruption-budget', {
      metadata: meta(OPERATOR_NAME),
      spec: { minAvailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
    });
  }
}

/**
 * The RoleBinding that lets the operator watch the marked Secrets of the namespace it is applied
 * in (no namespace of its own: `kubectl apply -n <app namespace>`).
 */
export function secretReaderBinding(scope: Construct, id: string): ApiObject {
  return new ApiObject(scope, id, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: SECRET_READER_ROLE, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: SECRET_READER_ROLE },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace: OPERATOR_NAMESPACE }],
  });
}

export interface OperatorMonitoringChartProps {
  /** Extra labels on the ServiceMonitor, to match a Prometheus `serviceMonitorSelector` (e.g. `release`). Default: none. */
  readonly labels?: Record<string, string>;
}

/** The operator's ServiceMonitor (typed by cdk8s/imports): a separate chart (and file) since it needs the prometheus-operator CRDs. */
export class OperatorMonitoringChart extends Chart {
  constructor(scope: Construct, id: string, props: OperatorMonitoringChartProps = {}) {
    super(scope, id);
    const own = meta(OPERATOR_NAME);
    new ServiceMonitor(this, 'service-monitor', {
      metadata: { ...own, labels: { ...props.labels, ...own.labels } },
      spec: {
        // job="fastapiapp-operator", which the operator alert rules select on.
        jobLabel: 'app.kubernetes.io/name',
        selector: { matchLabels: { ...selector, 'app.kubernetes.io/component': 'operator' } },
        namespaceSelector: { matchNames: [OPERATOR_NAMESPACE] },
        // HTTPS with Prometheus's ServiceAccount token, which the operator reviews with the API server. The
        // certificate is self-signed at start (kubebuilder's default); mount one in METRICS_CERT_DIR to verify it.
        endpoints: [{
          port: 'metrics', path: '/metrics', interval: '30s', scheme: ServiceMonitorSpecEndpointsScheme.HTTPS,
          bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
          tlsConfig: { insecureSkipVerify: true },
        }],
      },
    });
  }
}
