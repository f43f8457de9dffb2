// The FastApiApp OpenAPI v3 structural schema: the single source of truth for the CRD
// (crds/fastapiapp.yaml is generated from it by `npm run synth`). Every field has a description so
// `kubectl explain fastapiapp.spec.migration` is useful; defaults come from ./defaults.ts.
import {
  AUTH_ENV_NAMES,
  DEFAULT_DATABASE_PORT,
  DEFAULT_DATABASE_SECRET_KEY,
  DEFAULT_ISSUER_PORT,
  DEFAULT_MIGRATION_BACKOFF_LIMIT,
  DEFAULT_MIGRATION_COMMAND,
  DEFAULT_POST_DEPLOY_COMMAND,
  DEFAULT_POST_DEPLOY_DELAY_SECONDS,
  DEFAULT_MIGRATION_DEADLINE_SECONDS,
  DEFAULT_MIGRATION_JOBS_HISTORY_LIMIT,
  DEFAULT_MONITORING_INTERVAL,
  DEFAULT_MONITORING_NAMESPACE,
  DEFAULT_MONITORING_PATH,
  DEFAULT_METRICS_PORT,
  DEFAULT_PDB_MAX_UNAVAILABLE,
  DEFAULT_PROGRESS_DEADLINE_SECONDS,
  DEFAULT_TOPOLOGY_SPREAD,
  DEFAULT_PORT,
  DEFAULT_REPLICAS,
  DEFAULT_RESOURCES,
  DEFAULT_SERVICE_PORT,
  DEFAULT_SERVICE_TYPE,
  DEFAULT_SLO_WINDOW,
  LATENCY_BUCKETS,
  RESERVED_ENV_NAMES,
  DEFAULT_ANALYSIS,
  DEFAULT_CANARY_STEPS,
  DEFAULT_MIGRATION_CHECK_SECONDS,
  DEFAULT_STRATEGY_TYPE,
} from './defaults';

export interface ValidationRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps this CRD uses. */
export interface SchemaProps {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  properties?: Record<string, SchemaProps>;
  additionalProperties?: SchemaProps | boolean;
  items?: SchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  anyOf?: SchemaProps[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}

/** DNS-1123 subdomain (Secret and ConfigMap names). */
const DNS1123_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** Secret / ConfigMap data keys. */
const CONFIG_KEY = '^[-._a-zA-Z0-9]+$';
/** Resource quantity, as in core/v1 (kubebuilder's pattern). */
const QUANTITY =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
/** Image repository without tag or digest: optional registry host[:port], lowercase path components. */
const IMAGE_REPOSITORY = '^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$';
/** Docker tag grammar. */
const IMAGE_TAG = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';
/** Prometheus duration, e.g. 30s, 1m30s. */
const PROM_DURATION = '^(([0-9]+)(ms|s|m|h|d|w|y))+$';
/** Env var names accepted by the kubelet (C identifier). */
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

const quantity = (what: string): SchemaProps => ({
  description: `${what}, as a Kubernetes quantity (e.g. 250m, 0.5, 256Mi).`,
  // Structural int-or-string: anyOf holds only the two types; constraints sit beside it.
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  pattern: QUANTITY,
  'x-kubernetes-int-or-string': true,
});

const cpuMemory = (what: string): SchemaProps => ({
  description: `${what} per container.`,
  type: 'object',
  properties: { cpu: quantity(`CPU ${what.toLowerCase()}`), memory: quantity(`Memory ${what.toLowerCase()}`) },
});

const keySelector = (source: 'Secret' | 'ConfigMap'): SchemaProps => ({
  description: `Selects a key of a ${source} in the FastApiApp's namespace.`,
  type: 'object',
  required: ['name', 'key'],
  properties: {
    name: { description: `Name of the ${source}.`, type: 'string', maxLength: 253, pattern: DNS1123_SUBDOMAIN },
    key: { description: `Key within the ${source}.`, type: 'string', maxLength: 253, pattern: CONFIG_KEY },
    optional: { description: `Whether the ${source} or its key may be missing.`, type: 'boolean' },
  },
});

const envVar: SchemaProps = {
  description: 'An environment variable for the app container (and the migration Job).',
  type: 'object',
  required: ['name'],
  properties: {
    name: { description: 'Variable name.', type: 'string', minLength: 1, maxLength: 256, pattern: ENV_NAME },
    value: { description: 'Literal value. Mutually exclusive with valueFrom.', type: 'string', maxLength: 32768 },
    valueFrom: {
      description: 'Source for the value: exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef.',
      type: 'object',
      properties: {
        secretKeyRef: keySelector('Secret'),
        configMapKeyRef: keySelector('ConfigMap'),
        fieldRef: {
          description: 'A field of the pod, e.g. metadata.name or status.podIP.',
          type: 'object',
          required: ['fieldPath'],
          properties: {
            apiVersion: { description: 'Version of the schema fieldPath is written in (default v1).', type: 'string' },
            fieldPath: { description: 'Path of the field to select.', type: 'string', minLength: 1 },
          },
        },
        resourceFieldRef: {
          description: 'A resource of the container, e.g. limits.memory.',
          type: 'object',
          required: ['resource'],
          properties: {
            containerName: { description: 'Container name (optional for env vars).', type: 'string' },
            divisor: quantity('Output divisor'),
            resource: { description: 'Resource to select, e.g. limits.cpu.', type: 'string', minLength: 1 },
          },
        },
      },
      'x-kubernetes-validations': [
        {
          rule: "(has(self.secretKeyRef) ? 1 : 0) + (has(self.configMapKeyRef) ? 1 : 0) + (has(self.fieldRef) ? 1 : 0) + (has(self.resourceFieldRef) ? 1 : 0) == 1",
          message: 'valueFrom must set exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef',
        },
      ],
    },
  },
  'x-kubernetes-validations': [
    { rule: '!(has(self.value) && has(self.valueFrom))', message: 'value and valueFrom are mutually exclusive' },
  ],
};

/** Label / annotation key: optional DNS prefix, '/', name (as metav1 validates). */
const QUALIFIED_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
/** Label value. */
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$';
/** Labels the operator sets on app pods and selects them by; pod.labels may not set them. */
const OWN_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component',
  'app.kubernetes.io/managed-by', 'app.kubernetes.io/version'];

const stringMap = (description: string, maxProperties: number, valueMaxLength: number, valuePattern?: string): SchemaProps => ({
  description,
  type: 'object',
  maxProperties,
  additionalProperties: { type: 'string', maxLength: valueMaxLength, ...(valuePattern ? { pattern: valuePattern } : {}) },
  'x-kubernetes-validations': [
    { rule: `self.all(k, size(k) <= 253 && k.matches('${QUALIFIED_KEY.replace(/\\/g, '\\\\')}'))`, message: 'keys must be qualified names (optional DNS prefix and /, then at most 63 alphanumerics, -, _ or .)' },
  ],
  default: {},
});

const pod: SchemaProps = {
  description: 'Pod settings of the app (serviceAccountName, imagePullSecrets, nodeSelector and tolerations also apply to the migration Job).',
  type: 'object',
  default: {},
  properties: {
    serviceAccountName: {
      description: 'ServiceAccount the pods run as, e.g. one annotated for IRSA (eks.amazonaws.com/role-arn). Default: the namespace default.',
      type: 'string', minLength: 1, maxLength: 253, pattern: DNS1123_SUBDOMAIN,
    },
    imagePullSecrets: {
      description: 'Secrets with registry credentials for pulling the image.',
      type: 'array', maxItems: 16, default: [],
      items: {
        type: 'object', required: ['name'],
        properties: { name: { description: 'Name of a kubernetes.io/dockerconfigjson Secret in the namespace.', type: 'string', minLength: 1, maxLength: 253, pattern: DNS1123_SUBDOMAIN } },
      },
      'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
    },
    nodeSelector: stringMap('Node labels the pods must be scheduled on.', 32, 63, LABEL_VALUE),
    tolerations: {
      description: 'Taints the pods tolerate.',
      type: 'array', maxItems: 32, default: [],
      items: {
        type: 'object',
        properties: {
          key: { description: 'Taint key; empty with operator Exists matches every taint.', type: 'string', maxLength: 316 },
          operator: { description: 'Exists or Equal (default Equal).', type: 'string', enum: ['Exists', 'Equal'] },
          value: { description: 'Taint value (Equal only).', type: 'string', maxLength: 63 },
          effect: { description: 'Taint effect to match; empty matches all.', type: 'string', enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
          tolerationSeconds: { description: 'For NoExecute: seconds the pod stays bound after the taint appears.', type: 'integer', format: 'int64', minimum: 0 },
        },
        'x-kubernetes-validations': [
          { rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''", message: 'a toleration with operator Exists must not set value', fieldPath: '.value' },
          { rule: "has(self.key) && self.key != '' || (has(self.operator) && self.operator == 'Exists')", message: 'a toleration without key must use operator Exists', fieldPath: '.key' },
          { rule: "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')", message: 'tolerationSeconds needs effect NoExecute', fieldPath: '.tolerationSeconds' },
        ],
      },
      'x-kubernetes-list-type': 'atomic',
    },
    topologySpreadConstraints: {
      description: 'How the app pods spread over topology domains; the operator selects its own pods. ' +
        'Default: across zones and across nodes, maxSkew 1, ScheduleAnyway. An empty list turns spreading off.',
      type: 'array', maxItems: 8,
      default: DEFAULT_TOPOLOGY_SPREAD.map((t) => ({ ...t })),
      items: {
        type: 'object', required: ['topologyKey'],
        properties: {
          topologyKey: { description: 'Node label naming the domain, e.g. topology.kubernetes.io/zone.', type: 'string', minLength: 1, maxLength: 316 },
          maxSkew: { description: 'Largest allowed difference of pod counts between domains.', type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 1 },
          whenUnsatisfiable: { description: 'DoNotSchedule or ScheduleAnyway.', type: 'string', enum: ['DoNotSchedule', 'ScheduleAnyway'], default: 'ScheduleAnyway' },
        },
      },
      'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['topologyKey'],
    },
    labels: {
      ...stringMap('Extra labels on the app pods.', 32, 63, LABEL_VALUE),
      'x-kubernetes-validations': [
        ...stringMap('', 1, 1)['x-kubernetes-validations']!,
        { rule: `self.all(k, !(k in [${OWN_LABELS.map((l) => `'${l}'`).join(', ')}]))`, message: `pod.labels must not set ${OWN_LABELS.join(', ')}: the operator sets them and selects its pods by them` },
      ],
    },
    annotations: {
      ...stringMap('Extra annotations on the app pods (e.g. for a service mesh or log shipper).', 64, 4096),
      'x-kubernetes-validations': [
        ...stringMap('', 1, 1)['x-kubernetes-validations']!,
        { rule: "self.all(k, !k.startsWith('fastapiapp.io/'))", message: 'pod.annotations must not set fastapiapp.io/ keys: the operator sets them' },
      ],
    },
  },
};

const disruptionBudget: SchemaProps = {
  description: 'A PodDisruptionBudget for the app pods, created while replicas > 1 (node drains then evict at most maxUnavailable at a time).',
  type: 'object',
  default: {},
  properties: {
    enabled: { description: 'Create the PodDisruptionBudget (while replicas > 1).', type: 'boolean', default: true },
    maxUnavailable: {
      description: 'Pods a voluntary disruption may take down at once: a number >= 1 or a percentage such as 25%.',
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
      default: DEFAULT_PDB_MAX_UNAVAILABLE,
      'x-kubernetes-validations': [
        { rule: "type(self) == int ? self >= 1 : self.matches('^([1-9][0-9]?|100)%$')", message: 'disruptionBudget.maxUnavailable must be an integer >= 1 or a percentage from 1% to 100%' },
      ],
    },
  },
};

/** https, or http to localhost only (the app refuses anything else). */
const ISSUER_URL = '^(https://[^\\s]+|http://(localhost|127\\.0\\.0\\.1)(:[0-9]+)?(/[^\\s]*)?)$';
// No schema default: an absent auth must stay absent (auth: {} would be invalid), and the app
// itself treats an unset requirement as open.
const requirement = (what: string): SchemaProps => ({
  description: `"required": ${what} need a token with the scope; "open" (the default): they do not.`,
  type: 'string',
  enum: ['open', 'required'],
});

const auth: SchemaProps = {
  description: 'OAuth2 bearer tokens (RFC 6750) for the app, verified against the issuer\'s JWKS (its AUTH_* settings). ' +
    'Once set, item writes need scope items:write. Absent: the API is open (the app logs a warning).',
  type: 'object',
  required: ['issuer', 'audience'],
  properties: {
    issuer: { description: 'Token issuer (the `iss` claim); its OIDC discovery document names the JWKS unless jwksUri is set.', type: 'string', maxLength: 2048, pattern: ISSUER_URL },
    audience: { description: 'Accepted audience (the `aud` claim).', type: 'string', minLength: 1, maxLength: 512 },
    jwksUri: { description: 'JWKS URL; default: from the issuer\'s discovery document.', type: 'string', maxLength: 2048, pattern: ISSUER_URL },
    reads: requirement('item reads (GET /items, GET /items/{id})'),
    predict: requirement('predictions (/predict, /predict/batch)'),
  },
};

// A percentage from 50 to 99.999 as a string ("99.9"): Kubernetes APIs avoid floats.
const objective = (what: string): SchemaProps => ({
  description: `Target share of requests, in percent (50 to 99.999), that ${what} over the window, e.g. "99.9". ` +
    'The error budget is 100 minus this. The fast-burn page (14.4x over 1h) can only fire when the budget is ' +
    'under 1/14.4 (objective above 93.06).',
  type: 'string',
  maxLength: 6,
  pattern: '^[0-9]{2}(\\.[0-9]{1,3})?$',
  'x-kubernetes-validations': [{ rule: 'double(self) >= 50.0 && double(self) < 100.0', message: 'an SLO objective must be at least 50 and below 100 (percent)' }],
});

const slo: SchemaProps = {
  description: 'Service level objectives over the app\'s request metrics. When set (and monitoring is enabled), the ' +
    'operator creates a PrometheusRule (monitoring.coreos.com/v1, when its CRD is installed) with error and ' +
    'latency-miss ratio recording rules per version and the SRE workbook\'s multi-window, multi-burn-rate alerts: ' +
    'page at 14.4x over 1h and 5m or 6x over 6h and 30m, ticket at 3x over 1d and 2h or 1x over 3d and 6h ' +
    '(rates for a 30d window; scaled to the window). Removing it deletes the PrometheusRule.',
  type: 'object',
  properties: {
    availability: {
      description: 'Availability SLO: the share of requests answered without a 5xx status.',
      type: 'object',
      required: ['objective'],
      properties: { objective: objective('are answered without a 5xx status') },
    },
    latency: {
      description: 'Latency SLO: the share of requests answered within threshold seconds (all statuses).',
      type: 'object',
      required: ['threshold', 'objective'],
      properties: {
        threshold: {
          description: 'Latency threshold in seconds; one of the bucket boundaries of the app\'s ' +
            `http_request_duration_seconds histogram (${LATENCY_BUCKETS.join(', ')}), so it is measured exactly.`,
          type: 'string',
          enum: [...LATENCY_BUCKETS],
        },
        objective: objective('are answered within the threshold'),
      },
    },
    window: {
      description: `SLO period in days, from 7d to 90d (e.g. 28d); ${DEFAULT_SLO_WINDOW} when unset. The alerts keep the workbook's share of ` +
        'the budget per alert window (2% in 1h, 5% in 6h, 10% in 1d and in 3d), so their burn rates scale with it.',
      type: 'string',
      pattern: '^([7-9]|[1-8][0-9]|90)d$',
    },
  },
  'x-kubernetes-validations': [
    { rule: 'has(self.availability) || has(self.latency)', message: 'slo needs availability, latency or both' },
  ],
};

/** DNS-1123 label (namespace names). */
const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const cidrList = (description: string): SchemaProps => ({
  description, type: 'array', maxItems: 32, default: [],
  items: { type: 'string', maxLength: 43 },
  'x-kubernetes-list-type': 'set',
  'x-kubernetes-validations': [{ rule: 'self.all(c, isCIDR(c))', message: 'must be CIDRs such as 10.0.0.0/16 or fd00::/64' }],
});
const portNumber = (description: string, dflt: number): SchemaProps =>
  ({ description, type: 'integer', format: 'int32', minimum: 1, maximum: 65535, default: dflt });
const labelSelector = (description: string): SchemaProps => {
  const { default: _none, ...map } = stringMap(description, 16, 63, LABEL_VALUE);
  return map;
};

const networkPolicy: SchemaProps = {
  description: 'A NetworkPolicy for the app pods: ingress to the app port only from the app\'s namespace (or the pods ' +
    'allowedPodLabels picks), allowedNamespaces, allowedCIDRs and the monitoring namespace; once database is set, egress only ' +
    'to the database, cluster DNS and the issuer. Enforced only where the CNI implements NetworkPolicy.',
  type: 'object',
  default: {},
  properties: {
    enabled: { description: 'Create the NetworkPolicy.', type: 'boolean', default: true },
    allowedNamespaces: {
      description: 'Namespaces (by name) whose pods may reach the app port, e.g. an ingress controller\'s.',
      type: 'array', maxItems: 32, default: [],
      items: { type: 'string', minLength: 1, maxLength: 63, pattern: DNS1123_LABEL },
      'x-kubernetes-list-type': 'set',
    },
    allowedPodLabels: labelSelector('Labels of the pods of the app\'s namespace that may reach the app port. Default: every pod of the namespace.'),
    allowedCIDRs: cidrList('Source CIDRs that may reach the app port, e.g. the load balancer subnets of a LoadBalancer Service.'),
    monitoringNamespace: {
      description: 'Namespace of the Prometheus that scrapes the app; its pods may reach the metrics port.',
      type: 'string', minLength: 1, maxLength: 63, pattern: DNS1123_LABEL, default: DEFAULT_MONITORING_NAMESPACE,
    },
    database: {
      description: 'The database the app connects to. When set, egress of the app pods is limited to it, cluster DNS and the issuer.',
      type: 'object',
      properties: {
        cidr: { description: 'Database address range, e.g. the RDS subnets.', type: 'string', maxLength: 43, 'x-kubernetes-validations': [{ rule: 'isCIDR(self)', message: 'database.cidr must be a CIDR' }] },
        podLabels: labelSelector('Labels of database pods in the app\'s namespace.'),
        // no schema default: an absent database must stay absent (it is what turns egress rules on)
        port: { description: `Database port (default ${DEFAULT_DATABASE_PORT}).`, type: 'integer', format: 'int32', minimum: 1, maximum: 65535 },
      },
      'x-kubernetes-validations': [{ rule: 'has(self.cidr) != has(self.podLabels)', message: 'networkPolicy.database must set exactly one of cidr and podLabels' }],
    },
    issuer: {
      description: 'The auth issuer the app fetches its JWKS from (when egress is limited).',
      type: 'object',
      default: {},
      properties: { cidrs: cidrList('Issuer address ranges.'), port: portNumber('Issuer port.', DEFAULT_ISSUER_PORT) },
    },
  },
};

// --- spec.strategy (issue 28: progressive delivery) -------------------------------------------
const DECIMAL = '^[0-9]{1,4}(\\.[0-9]{1,6})?$';
const decimal = (description: string, dflt: string, max: number): SchemaProps => ({
  description: `${description} A decimal as a string (Kubernetes APIs avoid floats); default "${dflt}".`,
  type: 'string', maxLength: 11, pattern: DECIMAL, default: dflt,
  'x-kubernetes-validations': [{ rule: `double(self) <= ${max.toFixed(1)}`, message: `must be at most ${max}` }],
});
const seconds = (description: string, dflt: number, min: number, max: number): SchemaProps =>
  ({ description: `${description} Default ${dflt}.`, type: 'integer', format: 'int32', minimum: min, maximum: max, default: dflt });

const canaryAnalysis: SchemaProps = {
  description: "Analysis of the canary, generated from the app's own http_requests_total and http_request_duration_seconds " +
    '(per version, through the ServiceMonitor): 5xx ratio and p99, absolute and relative to stable. Too few canary requests ' +
    'is inconclusive: the rollout pauses, it never passes. Prometheus is the operator\'s PROMETHEUS_URL.',
  type: 'object',
  default: {},
  properties: {
    intervalSeconds: seconds('Seconds between measurements.', DEFAULT_ANALYSIS.intervalSeconds, 2, 600),
    initialDelaySeconds: seconds('Seconds after the canary pods are ready before the first measurement.', DEFAULT_ANALYSIS.initialDelaySeconds, 0, 3600),
    windowSeconds: seconds('Seconds of traffic each measurement covers (a PromQL range).', DEFAULT_ANALYSIS.windowSeconds, 10, 3600),
    failureLimit: seconds('Failed measurements that abort the release.', DEFAULT_ANALYSIS.failureLimit, 1, 100),
    minRequests: seconds('Canary requests a measurement needs in its window; fewer is inconclusive.', DEFAULT_ANALYSIS.minRequests, 1, 1_000_000),
    maxErrorRatio: decimal('Share of canary requests (0 to 1) that may answer 5xx.', DEFAULT_ANALYSIS.maxErrorRatio, 1),
    maxErrorRatioIncrease: decimal("How far the canary's 5xx ratio may exceed stable's, in ratio points (0.02 = 2 points).", DEFAULT_ANALYSIS.maxErrorRatioIncrease, 1),
    maxP99Seconds: decimal('p99 latency the canary may have, in seconds.', DEFAULT_ANALYSIS.maxP99Seconds, 600),
    maxP99Factor: decimal("How many times stable's p99 the canary's p99 may be.", DEFAULT_ANALYSIS.maxP99Factor, 1000),
  },
};

const canaryStep: SchemaProps = {
  description: 'One step: weight (percent of pods on the new version) or pause.',
  type: 'object',
  properties: {
    weight: {
      description: "Percent of the app's pods that run the new version, 1-99, rounded to whole pods (at least one canary and " +
        'one stable pod); status.rollout.canaryWeight reports the share actually run. The step is done once those pods are ready.',
      type: 'integer', format: 'int32', minimum: 1, maximum: 99,
    },
    pause: {
      description: 'Wait at the current weight. With durationSeconds the step ends when it passed and the latest analysis ' +
        'passed (an inconclusive one keeps it paused); without, until promoted (annotation platform.fastapiapp.io/promote).',
      type: 'object',
      properties: { durationSeconds: { description: 'Seconds to wait.', type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 } },
    },
  },
  'x-kubernetes-validations': [{ rule: 'has(self.weight) != has(self.pause)', message: 'a canary step sets exactly one of weight and pause' }],
};

const strategy: SchemaProps = {
  description: 'How a new pod template (image, env, database Secret) reaches the pods. RollingUpdate: the Deployment\'s ' +
    `rolling update. Canary: a second Deployment <name>-canary (label ${'fastapiapp.io/track'}=canary) behind the same Service runs the new ` +
    'version on a share of the pods, step by step, while its 5xx ratio and p99 are compared with stable; a failed analysis ' +
    'aborts (stable back to full size first, then the canary scaled to zero); after the last step stable takes the new ' +
    'template by a rolling update and the post-deploy migration may run. See docs/operations/progressive-delivery.md.',
  type: 'object',
  default: {},
  properties: {
    type: { description: 'RollingUpdate or Canary. Default RollingUpdate.', type: 'string', enum: ['RollingUpdate', 'Canary'], default: DEFAULT_STRATEGY_TYPE },
    canary: {
      description: 'Settings of the Canary strategy (used when type is Canary).',
      type: 'object',
      default: {},
      properties: {
        steps: {
          description: 'Steps, in order; after the last one the release is promoted. Default: 20% for 60 s, 50% for 60 s.',
          type: 'array', maxItems: 20, items: canaryStep, default: DEFAULT_CANARY_STEPS.map((st) => structuredClone(st)),
          'x-kubernetes-validations': [{ rule: 'self.exists(st, has(st.weight))', message: 'canary steps need at least one weight step' }],
        },
        analysis: canaryAnalysis,
        migrationCheck: {
          description: "Between the pre-deploy migration and the first canary pod, stable's 5xx ratio and p99 (over this window, " +
            'against the same window before) are checked with the analysis thresholds; a regression halts the release ' +
            '(Degraded=True MigrationBrokeStable) before any canary pod starts.',
          type: 'object',
          default: {},
          properties: { windowSeconds: seconds('Seconds to watch stable after the migration; 0 turns the check off.', DEFAULT_MIGRATION_CHECK_SECONDS, 0, 3600) },
        },
      },
    },
  },
};
// --- end spec.strategy ----------------------------------------------------------------------------

const reservedList = RESERVED_ENV_NAMES.map((n) => `'${n}'`).join(', ');

const spec: SchemaProps = {
  description: 'Desired state of the app: which image to run, how many replicas, and how to migrate and monitor it.',
  type: 'object',
  required: ['image', 'tag', 'databaseSecretRef'],
  properties: {
    image: {
      description:
        'Image repository without tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/items-app. ' +
        'The operator runs image:tag.',
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: IMAGE_REPOSITORY,
    },
    tag: {
      description:
        'Image tag to run, e.g. a release version or git SHA. Changing it first runs the migration Job for the new ' +
        "image, then rolls the Deployment out. 'latest' is rejected: a mutable tag defeats migrate-then-rollout.",
      type: 'string',
      minLength: 1,
      maxLength: 128,
      pattern: IMAGE_TAG,
      'x-kubernetes-validations': [
        {
          rule: "self.lowerAscii() != 'latest'",
          message:
            "tag must not be 'latest': a mutable tag defeats migrate-then-rollout (the image the migration ran " +
            'against could differ from the one rolled out); use an immutable tag such as a version or git SHA',
        },
      ],
    },
    replicas: {
      description: 'Number of app pods. Also the scale subresource, so kubectl scale and HPAs can set it.',
      type: 'integer',
      format: 'int32',
      minimum: 0,
      maximum: 100,
      default: DEFAULT_REPLICAS,
    },
    port: {
      description: 'Port the app listens on inside the container; passed to it as the PORT env var.',
      type: 'integer',
      format: 'int32',
      minimum: 1,
      maximum: 65535,
      default: DEFAULT_PORT,
    },
    databaseSecretRef: {
      description: "Secret holding the app's database URL; the app and the migration Job read DATABASE_URL from it. " +
        'The URL never appears in the spec.',
      type: 'object',
      required: ['name'],
      properties: {
        name: {
          description: "Name of the Secret in the FastApiApp's namespace.",
          type: 'string',
          minLength: 1,
          maxLength: 253,
          pattern: DNS1123_SUBDOMAIN,
        },
        key: {
          description: 'Key within the Secret whose value is the database URL.',
          type: 'string',
          minLength: 1,
          maxLength: 253,
          pattern: CONFIG_KEY,
          default: DEFAULT_DATABASE_SECRET_KEY,
        },
      },
    },
    env: {
      description: `Extra environment variables for the app and the migration Job. ${RESERVED_ENV_NAMES.join(' and ')} ` +
        'are set by the operator and may not appear here.',
      type: 'array',
      maxItems: 100,
      items: envVar,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-validations': [
        {
          rule: `self.all(e, !(e.name in [${reservedList}]))`,
          message: `env must not set ${RESERVED_ENV_NAMES.join(' or ')}: the operator sets them from databaseSecretRef, port and monitoring.port`,
        },
      ],
    },
    resources: {
      description: 'CPU and memory requests and limits of the app container (and the migration Job). ' +
        'Default: requests 250m CPU / 256Mi memory, limits 500m CPU / 512Mi memory.',
      type: 'object',
      properties: { requests: cpuMemory('Requests'), limits: cpuMemory('Limits') },
      default: DEFAULT_RESOURCES,
    },
    service: {
      description: 'The Service in front of the app pods.',
      type: 'object',
      default: {},
      properties: {
        type: {
          description: 'Service type.',
          type: 'string',
          enum: ['ClusterIP', 'NodePort', 'LoadBalancer'],
          default: DEFAULT_SERVICE_TYPE,
        },
        port: {
          description: 'Port the Service exposes; it forwards to the container port.',
          type: 'integer',
          format: 'int32',
          minimum: 1,
          maximum: 65535,
          default: DEFAULT_SERVICE_PORT,
        },
      },
    },
    migration: {
      description: 'Database migration run as a Job before each new image is rolled out (pre-deploy, expand), and ' +
        'a post-deploy (contract) Job after it. The Deployment keeps its pod template until the pre-deploy Job for ' +
        'the new inputs succeeds, then runs image:tag@digest with the digest the migration pod ran. A failed Job is ' +
        "kept for its logs and not rerun; a new Job runs when the Job's inputs (image, command, env, database Secret " +
        'reference or the value of its key) change, or when the annotation ' +
        'platform.fastapiapp.io/retry-migration on the FastApiApp is set to a new value. A Job superseded by a newer ' +
        'spec while it runs is deleted before the next one starts.',
      type: 'object',
      default: {},
      properties: {
        enabled: {
          description: 'Run a migration Job for every new image before rolling it out.',
          type: 'boolean',
          default: true,
        },
        command: {
          description: 'Command the migration Job runs in the app image (working directory as the image sets it). ' +
            'Must not be empty while enabled.',
          type: 'array',
          maxItems: 32,
          items: { type: 'string', minLength: 1, maxLength: 1024 },
          default: [...DEFAULT_MIGRATION_COMMAND],
        },
        postDeployCommand: {
          description: 'Command of the post-deploy (contract) migration Job: drops, renames, NOT NULL, type changes. It ' +
            'runs once the new release is fully rolled out (no pod of the old template left) and ' +
            'postDeployDelaySeconds have passed, and only when the pre-deploy run reported pending post-deploy ' +
            'migrations (or could not say). A failure is Degraded=True PostDeployMigrationFailed; the app keeps serving.',
          type: 'array',
          maxItems: 32,
          items: { type: 'string', minLength: 1, maxLength: 1024 },
          default: [...DEFAULT_POST_DEPLOY_COMMAND],
        },
        postDeployDelaySeconds: {
          description: 'Bake time: seconds between the rollout completing and the post-deploy migration Job starting, ' +
            'so a rollback before it stays possible without crossing a contract migration.',
          type: 'integer',
          format: 'int32',
          minimum: 0,
          maximum: 604800,
          default: DEFAULT_POST_DEPLOY_DELAY_SECONDS,
        },
        backoffLimit: {
          description: 'Retries of the migration Job before it is marked failed.',
          type: 'integer',
          format: 'int32',
          minimum: 0,
          maximum: 10,
          default: DEFAULT_MIGRATION_BACKOFF_LIMIT,
        },
        activeDeadlineSeconds: {
          description: 'Seconds the migration Job may run in total before it is marked failed.',
          type: 'integer',
          format: 'int64',
          minimum: 1,
          maximum: 86400,
          default: DEFAULT_MIGRATION_DEADLINE_SECONDS,
        },
        jobsHistoryLimit: {
          description: 'Finished (succeeded or failed) migration Jobs kept per app, newest first, for their logs; older ' +
            'ones are deleted. The Job of the current spec is always kept and counts toward the limit. Like ' +
            "a CronJob's successfulJobsHistoryLimit/failedJobsHistoryLimit.",
          type: 'integer',
          format: 'int32',
          minimum: 1,
          maximum: 20,
          default: DEFAULT_MIGRATION_JOBS_HISTORY_LIMIT,
        },
      },
      'x-kubernetes-validations': [
        {
          // The API server also checks `default: {}` against this rule, before nested defaults: an
          // absent command is fine (its default fills it in).
          rule: '(has(self.enabled) && !self.enabled) || !has(self.command) || size(self.command) > 0',
          message: 'migration.command must not be empty when migration.enabled is true',
          fieldPath: '.command',
        },
      ],
    },
    monitoring: {
      description: 'Prometheus scraping through a prometheus-operator ServiceMonitor (created when its CRD exists).',
      type: 'object',
      default: {},
      properties: {
        enabled: { description: 'Create a ServiceMonitor for the app.', type: 'boolean', default: true },
        path: {
          description: 'HTTP path of the metrics endpoint.',
          type: 'string',
          minLength: 1,
          maxLength: 256,
          pattern: '^/[^\\s]*$',
          default: DEFAULT_MONITORING_PATH,
        },
        port: {
          description: 'Container port the app serves /metrics on (its METRICS_PORT), named `metrics`. The Service does ' +
            'not expose it: the ServiceMonitor scrapes it on each pod. Must differ from port.',
          type: 'integer',
          format: 'int32',
          minimum: 1,
          maximum: 65535,
          default: DEFAULT_METRICS_PORT,
        },
        interval: {
          description: 'Scrape interval, as a Prometheus duration (e.g. 30s, 1m).',
          type: 'string',
          maxLength: 32,
          pattern: PROM_DURATION,
          default: DEFAULT_MONITORING_INTERVAL,
        },
        labels: {
          ...stringMap('Extra labels on the ServiceMonitor, for a Prometheus whose serviceMonitorSelector selects by them ' +
            '(kube-prometheus-stack: release: <helm release name>).', 16, 63, LABEL_VALUE),
          'x-kubernetes-validations': [
            ...stringMap('', 1, 1)['x-kubernetes-validations']!,
            { rule: "self.all(k, !k.startsWith('app.kubernetes.io/') && !k.startsWith('fastapiapp.io/'))", message: 'monitoring.labels must not set app.kubernetes.io/ or fastapiapp.io/ keys: the operator sets them and finds its ServiceMonitors by them' },
          ],
        },
      },
    },
    auth,
    pod,
    disruptionBudget,
    slo,
    networkPolicy,
    strategy,
    progressDeadlineSeconds: {
      description: 'Seconds a rollout may go without progress (new pods becoming ready) before the Deployment reports ' +
        'ProgressDeadlineExceeded and the FastApiApp Degraded=True reason RolloutStuck.',
      type: 'integer',
      format: 'int32',
      minimum: 10,
      maximum: 3600,
      default: DEFAULT_PROGRESS_DEADLINE_SECONDS,
    },
    paused: {
      description: 'Stop reconciling this FastApiApp: the operator writes nothing to its children (what exists ' +
        'is kept) and reports a Paused condition. Set back to false to resume.',
      type: 'boolean',
      default: false,
    },
  },
  'x-kubernetes-validations': [
    {
      rule: '!has(self.monitoring) || !has(self.monitoring.port) || !has(self.port) || self.monitoring.port != self.port',
      message: 'monitoring.port must differ from port: /metrics is not served on the app port',
    },
    {
      rule: `!has(self.auth) || !has(self.env) || self.env.all(e, !(e.name in [${AUTH_ENV_NAMES.map((n) => `'${n}'`).join(', ')}]))`,
      message: `env must not set ${AUTH_ENV_NAMES.join(', ')} while auth is set: the operator sets them from auth`,
    },
  ],
};

const condition: SchemaProps = {
  description: 'One aspect of the current state (Ready, Migrated, Progressing, Degraded, ...).',
  type: 'object',
  required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
  properties: {
    type: { description: 'Condition type, e.g. Ready.', type: 'string', minLength: 1, maxLength: 316 },
    status: { description: 'True, False or Unknown.', type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: {
      description: 'CamelCase reason for the last transition, e.g. MigrationFailed.',
      type: 'string',
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    },
    message: { description: 'Human-readable details.', type: 'string', maxLength: 32768 },
    observedGeneration: {
      description: 'metadata.generation the condition was set for; older than the current generation means stale.',
      type: 'integer',
      format: 'int64',
      minimum: 0,
    },
    lastTransitionTime: {
      description: 'When the status last changed.',
      type: 'string',
      format: 'date-time',
    },
  },
};

const status: SchemaProps = {
  description: 'Observed state, written by the operator.',
  type: 'object',
  properties: {
    observedGeneration: {
      description: 'metadata.generation the operator last reconciled.',
      type: 'integer',
      format: 'int64',
    },
    conditions: {
      description: 'Ready (the spec is fully rolled out; Unknown while paused), Available (pods serve, whatever ' +
        'image they run), Migrated, Progressing, Degraded (MigrationFailed, RolloutStuck, ReconcileError) and related conditions.',
      type: 'array',
      items: condition,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
    image: { description: 'Image reference the Deployment runs: image:tag, or image:tag@sha256:... once pinned.', type: 'string' },
    migratedImage: { description: 'Last image reference whose migration succeeded (informational: migratedInputs decides).', type: 'string' },
    migratedInputs: {
      description: "Hash of the pre-deploy migration Job's inputs (image, command, env, database Secret reference and " +
        "the hash of its value, retry annotation) that last succeeded. Any change of them runs a new Job before pods use them.",
      type: 'string',
    },
    history: {
      description: 'Revisions migrated, newest first (at most 10). Setting the tag back to one of them with unchanged ' +
        'Job inputs rolls the Deployment at once without a Job, unless a contract migration was applied since ' +
        '(then Degraded=True RollbackBlocked and the running pods keep serving).',
      type: 'array',
      maxItems: 10,
      items: {
        type: 'object',
        required: ['image', 'inputs', 'migratedAt'],
        properties: {
          image: { description: 'image:tag of the revision.', type: 'string' },
          digest: { description: 'Registry digest its migration pod ran, when known.', type: 'string' },
          inputs: { description: "Hash of its pre-deploy migration Job's inputs.", type: 'string' },
          migratedAt: { description: 'When its pre-deploy migration succeeded.', type: 'string', format: 'date-time' },
          schemaHead: { description: 'Last applied migration after its migration ran (from the migration pod).', type: 'string' },
          pendingPost: { description: 'Post-deploy migrations its pre-deploy run reported pending.', type: 'array', items: { type: 'string' } },
          postMigrated: { description: 'Whether its post-deploy migration succeeded or had nothing to do.', type: 'boolean' },
          postInterrupted: {
            description: 'Its post-deploy Job was stopped while it ran (superseded): what it applied is unknown, so a ' +
              'rollback past it runs a migration Job, which refuses a contract migration it does not ship.',
            type: 'boolean',
          },
          contract: { description: 'Contract migrations its post-deploy Job applied.', type: 'array', items: { type: 'string' } },
          firstServed: { description: 'When its rollout first completed.', type: 'string', format: 'date-time' },
          lastServed: { description: "When another revision's rollout replaced it.", type: 'string', format: 'date-time' },
        },
      },
    },
    imageDigest: {
      description: 'Registry digest (sha256:...) of the image the last successful migration pod ran, read from its ' +
        'imageID; the Deployment runs image:tag@digest so migration and serving run the same bytes. Absent when ' +
        'unknown (migrations disabled, or a locally loaded image): the tag is used.',
      type: 'string',
      pattern: '^sha256:[0-9a-f]{64}$',
    },
    replicas: { description: 'Pods of the Deployment (for the scale subresource).', type: 'integer', format: 'int32' },
    readyReplicas: { description: 'Ready pods of the Deployment.', type: 'integer', format: 'int32' },
    templateHash: {
      description: 'Hash of the Deployment pod template last seen fully rolled out; a Deployment change with the ' +
        'same template (replicas only, e.g. an HPA) is not a rollout and keeps Ready.',
      type: 'string',
    },
    selector: {
      description: 'Label selector of the app pods, as a string (for the scale subresource and HPAs).',
      type: 'string',
    },
    rollout: {
      description: 'The progressive rollout (spec.strategy.type Canary) of the newest pod template.',
      type: 'object',
      properties: {
        revision: { description: 'Hash of the pod template being rolled out.', type: 'string' },
        image: { description: 'Image the canary runs.', type: 'string' },
        stableImage: { description: 'Image stable ran when the rollout began.', type: 'string' },
        phase: {
          description: 'MigrationCheck (watching stable after the migration), Progressing, Paused (by annotation, an inconclusive ' +
            'analysis, or a pause step without duration), Promoting, Promoted, Aborting, Aborted, Halted (MigrationBrokeStable).',
          type: 'string',
        },
        step: { description: 'Index of the current canary step.', type: 'integer', format: 'int32' },
        stepStartedAt: { description: 'When the current step began.', type: 'string', format: 'date-time' },
        startedAt: { description: 'When this rollout began.', type: 'string', format: 'date-time' },
        canaryReadyAt: { description: 'When the canary pods of the current weight were all ready.', type: 'string', format: 'date-time' },
        stableReplicas: { description: 'Pods stable runs for this step.', type: 'integer', format: 'int32' },
        canaryReplicas: { description: 'Pods the canary runs for this step.', type: 'integer', format: 'int32' },
        canaryWeight: { description: 'Canary pods / all pods, percent.', type: 'integer', format: 'int32' },
        measuredCanaryShare: { description: "The canary's share of the app's requests over the analysis window, percent (request counters).", type: 'string' },
        failures: { description: 'Failed measurements so far.', type: 'integer', format: 'int32' },
        lastAnalysis: {
          description: 'The latest measurement.',
          type: 'object',
          properties: {
            time: { description: 'When it was taken.', type: 'string', format: 'date-time' },
            verdict: { description: 'pass, fail or inconclusive.', type: 'string' },
            subject: { description: 'canary, or stable (the migration check).', type: 'string' },
            requests: { description: 'Requests in the window.', type: 'integer', format: 'int64' },
            errorRatio: { description: '5xx ratio.', type: 'string' },
            p99Seconds: { description: 'p99 latency, seconds.', type: 'string' },
            message: { description: 'The checks and their limits.', type: 'string' },
          },
        },
        handled: {
          description: 'Control annotation values already acted on.',
          type: 'object',
          properties: {
            promote: { description: 'Value of platform.fastapiapp.io/promote acted on.', type: 'string' },
            abort: { description: 'Value of platform.fastapiapp.io/abort acted on.', type: 'string' },
            retry: { description: 'Value of platform.fastapiapp.io/retry-rollout acted on.', type: 'string' },
          },
        },
        message: { description: 'Human-readable state.', type: 'string' },
      },
    },
  },
};

/** openAPIV3Schema of FastApiApp v1alpha1. */
export const fastApiAppSchema: SchemaProps = {
  description:
    'FastApiApp runs the items API: a Deployment and Service for an image, a migration Job run before each new ' +
    'image is rolled out, and a ServiceMonitor for Prometheus.',
  type: 'object',
  required: ['spec'],
  properties: {
    apiVersion: {
      description: 'Versioned schema of this object: platform.fastapiapp.io/v1alpha1.',
      type: 'string',
    },
    kind: { description: 'Kind of this object: FastApiApp.', type: 'string' },
    metadata: { type: 'object' },
    spec,
    status,
  },
  'x-kubernetes-validations': [
    {
      // The name becomes the Service name, which must be a DNS-1035 label.
      rule: "size(self.metadata.name) <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
      message: 'metadata.name must be a DNS-1035 label (lowercase letters, digits and -, starting with a letter, ' +
        'at most 63 characters): it names the Service',
    },
    {
      rule: "!has(self.spec.strategy) || !has(self.spec.strategy.type) || self.spec.strategy.type != 'Canary' || size(self.metadata.name) <= 56",
      message: 'with strategy Canary, metadata.name must be at most 56 characters: it also names the Deployment <name>-canary',
    },
  ],
};
