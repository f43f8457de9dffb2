// The FastApiApp OpenAPI v3 structural schema: the single source of truth for the CRD
// (crds/fastapiapp.yaml is generated from it by `npm run synth`). Every field has a description so
// `kubectl explain fastapiapp.spec.migration` is useful; defaults come from ./defaults.ts.
import {
  DEFAULT_DATABASE_PORT,
  DEFAULT_DATABASE_SECRET_KEY,
  DEFAULT_ISSUER_PORT,
  DEFAULT_MIGRATION_BACKOFF_LIMIT,
  DEFAULT_MIGRATION_COMMAND,
  DEFAULT_MIGRATION_DEADLINE_SECONDS,
  DEFAULT_MIGRATION_JOBS_HISTORY_LIMIT,
  DEFAULT_MONITORING_INTERVAL,
  DEFAULT_MONITORING_NAMESPACE,
  DEFAULT_MONITORING_PATH,
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
          message: `env must not set ${RESERVED_ENV_NAMES.join(' or ')}: the operator sets them from databaseSecretRef and port`,
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
      description: 'Database migration run as a Job before each new image is rolled out. The Deployment keeps ' +
        'the previous image until the Job for the new one succeeds, then runs image:tag@digest with the digest the ' +
        'migration pod ran. A failed Job is kept for its logs and not rerun; a new Job runs when the tag or the ' +
        "Job's inputs (command, env, Secret reference) change, or when the annotation " +
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
    pod,
    disruptionBudget,
    slo,
    networkPolicy,
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
    migratedImage: { description: 'Last image reference whose migration Job succeeded.', type: 'string' },
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
  ],
};
