// The FastApiApp API (platform.fastapiapp.io/v1alpha1), defined once in TypeBox. From this file come
// the CRD's openAPIV3Schema with its defaults, CEL rules and descriptions (crds/fastapiapp.yaml,
// `npm run synth`), the TypeScript Spec/Status types (types.ts: Static<>), the defaulting the
// operator applies (desired/defaults.ts walks fastApiAppSchema as the API server does) and the field
// reference docs/operator/api-fields.md. Every field has a description so `kubectl explain
// fastapiapp.spec.migration` is useful. How to add a field: docs/development/api-schema.md.
import { Type } from '@sinclair/typebox';
import { AUTH_ENV_NAMES, BUILTIN_CHECKS, DEFAULT_DATABASE_PORT, DEFAULT_SLO_WINDOW, LATENCY_BUCKETS, QUERY_PLACEHOLDERS, RESERVED_ENV_NAMES } from './defaults';
import { crdSchema, Defaulted, IntOrString, OpaqueObject, StringEnum, StringMap, TypedString, WrittenWhole, type KubeOptions, type SchemaProps, type ValidationRule } from './schema-kit';

export type { SchemaProps, ValidationRule } from './schema-kit';

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

const quantity = (what: string) => IntOrString({
  description: `${what}, as a Kubernetes quantity (e.g. 250m, 0.5, 256Mi).`,
  pattern: QUANTITY,
});

const cpuMemory = (what: string) => Type.Object(
  { cpu: Type.Optional(quantity(`CPU ${what.toLowerCase()}`)), memory: Type.Optional(quantity(`Memory ${what.toLowerCase()}`)) },
  { description: `${what} per container.` },
);

export const ResourceRequirementsSchema = Type.Object(
  { requests: Type.Optional(cpuMemory('Requests')), limits: Type.Optional(cpuMemory('Limits')) },
  {
    description: 'CPU and memory requests and limits of the app container (and the migration Job). ' +
      'Default: requests 250m CPU / 256Mi memory, limits 500m CPU / 512Mi memory.',
  },
);

const keySelector = (source: 'Secret' | 'ConfigMap') => Type.Object(
  {
    name: Type.String({ description: `Name of the ${source}.`, maxLength: 253, pattern: DNS1123_SUBDOMAIN }),
    key: Type.String({ description: `Key within the ${source}.`, maxLength: 253, pattern: CONFIG_KEY }),
    optional: Type.Optional(Type.Boolean({ description: `Whether the ${source} or its key may be missing.` })),
  },
  { description: `Selects a key of a ${source} in the FastApiApp's namespace.` },
);

export const EnvVarSchema = Type.Object(
  {
    name: Type.String({ description: 'Variable name.', minLength: 1, maxLength: 256, pattern: ENV_NAME }),
    value: Type.Optional(Type.String({ description: 'Literal value. Mutually exclusive with valueFrom.', maxLength: 32768 })),
    valueFrom: Type.Optional(Type.Object(
      {
        secretKeyRef: Type.Optional(keySelector('Secret')),
        configMapKeyRef: Type.Optional(keySelector('ConfigMap')),
        fieldRef: Type.Optional(Type.Object(
          {
            apiVersion: Type.Optional(Type.String({ description: 'Version of the schema fieldPath is written in (default v1).' })),
            fieldPath: Type.String({ description: 'Path of the field to select.', minLength: 1 }),
          },
          { description: 'A field of the pod, e.g. metadata.name or status.podIP.' },
        )),
        resourceFieldRef: Type.Optional(Type.Object(
          {
            containerName: Type.Optional(Type.String({ description: 'Container name (optional for env vars).' })),
            divisor: Type.Optional(quantity('Output divisor')),
            resource: Type.String({ description: 'Resource to select, e.g. limits.cpu.', minLength: 1 }),
          },
          { description: 'A resource of the container, e.g. limits.memory.' },
        )),
      },
      {
        description: 'Source for the value: exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef.',
        'x-kubernetes-validations': [
          {
            rule: '(has(self.secretKeyRef) ? 1 : 0) + (has(self.configMapKeyRef) ? 1 : 0) + (has(self.fieldRef) ? 1 : 0) + (has(self.resourceFieldRef) ? 1 : 0) == 1',
            message: 'valueFrom must set exactly one of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef',
          },
        ],
      },
    )),
  },
  {
    description: 'An environment variable for the app container (and the migration Job).',
    'x-kubernetes-validations': [
      { rule: '!(has(self.value) && has(self.valueFrom))', message: 'value and valueFrom are mutually exclusive' },
    ],
  },
);

/** Label / annotation key: optional DNS prefix, '/', name (as metav1 validates). */
const QUALIFIED_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
/** Label value. */
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$';
/** Labels the operator sets on app pods and selects them by; pod.labels may not set them. */
const OWN_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component',
  'app.kubernetes.io/managed-by', 'app.kubernetes.io/version'];

const QUALIFIED_KEYS: ValidationRule = {
  rule: `self.all(k, size(k) <= 253 && k.matches('${QUALIFIED_KEY.replace(/\\/g, '\\\\')}'))`,
  message: 'keys must be qualified names (optional DNS prefix and /, then at most 63 alphanumerics, -, _ or .)',
};

/** Labels or annotations: qualified keys (plus `rules`), bounded values. */
const stringMap = (description: string, maxProperties: number, valueMaxLength: number, valuePattern?: string, rules: ValidationRule[] = []) =>
  StringMap(
    { maxLength: valueMaxLength, ...(valuePattern ? { pattern: valuePattern } : {}) },
    { description, maxProperties, 'x-kubernetes-validations': [QUALIFIED_KEYS, ...rules] },
  );
/** A string map that is {} when absent. */
const defaultedMap = (...args: Parameters<typeof stringMap>) => Defaulted(stringMap(...args), {});

const dnsName = (description: string, options: KubeOptions = {}) =>
  Type.String({ description, minLength: 1, maxLength: 253, pattern: DNS1123_SUBDOMAIN, ...options });

export const TolerationSchema = Type.Object(
  {
    key: Type.Optional(Type.String({ description: 'Taint key; empty with operator Exists matches every taint.', maxLength: 316 })),
    operator: Type.Optional(StringEnum(['Exists', 'Equal'], { description: 'Exists or Equal (default Equal).' })),
    value: Type.Optional(Type.String({ description: 'Taint value (Equal only).', maxLength: 63 })),
    effect: Type.Optional(StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], { description: 'Taint effect to match; empty matches all.' })),
    tolerationSeconds: Type.Optional(Type.Integer({ description: 'For NoExecute: seconds the pod stays bound after the taint appears.', format: 'int64', minimum: 0 })),
  },
  {
    'x-kubernetes-validations': [
      { rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''", message: 'a toleration with operator Exists must not set value', fieldPath: '.value' },
      { rule: "has(self.key) && self.key != '' || (has(self.operator) && self.operator == 'Exists')", message: 'a toleration without key must use operator Exists', fieldPath: '.key' },
      { rule: "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')", message: 'tolerationSeconds needs effect NoExecute', fieldPath: '.tolerationSeconds' },
    ],
  },
);

export const TopologySpreadSchema = Type.Object({
  topologyKey: Type.String({ description: 'Node label naming the domain, e.g. topology.kubernetes.io/zone.', minLength: 1, maxLength: 316 }),
  maxSkew: Defaulted(Type.Integer({ description: 'Largest allowed difference of pod counts between domains.', format: 'int32', minimum: 1, maximum: 100 }), 1),
  whenUnsatisfiable: Defaulted(StringEnum(['DoNotSchedule', 'ScheduleAnyway'], { description: 'DoNotSchedule or ScheduleAnyway.' }), 'ScheduleAnyway'),
});

export const PodSpecOptionsSchema = Type.Object(
  {
    serviceAccountName: Type.Optional(dnsName('ServiceAccount the pods run as, e.g. one annotated for IRSA (eks.amazonaws.com/role-arn). Default: the namespace default.')),
    imagePullSecrets: Defaulted(Type.Array(
      Type.Object({ name: dnsName('Name of a kubernetes.io/dockerconfigjson Secret in the namespace.') }),
      { description: 'Secrets with registry credentials for pulling the image.', maxItems: 16, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    ), []),
    nodeSelector: defaultedMap('Node labels the pods must be scheduled on.', 32, 63, LABEL_VALUE),
    tolerations: Defaulted(Type.Array(TolerationSchema, { description: 'Taints the pods tolerate.', maxItems: 32, 'x-kubernetes-list-type': 'atomic' }), []),
    topologySpreadConstraints: Defaulted(Type.Array(TopologySpreadSchema, {
      description: 'How the app pods spread over topology domains; the operator selects its own pods. ' +
        'Default: across zones and across nodes, maxSkew 1, ScheduleAnyway. An empty list turns spreading off.',
      maxItems: 8, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['topologyKey'],
    }), [
      // Spread app pods across zones, then nodes, without blocking scheduling when it cannot.
      { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' },
      { topologyKey: 'kubernetes.io/hostname', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' },
    ]),
    labels: defaultedMap('Extra labels on the app pods.', 32, 63, LABEL_VALUE, [
      { rule: `self.all(k, !(k in [${OWN_LABELS.map((l) => `'${l}'`).join(', ')}]))`, message: `pod.labels must not set ${OWN_LABELS.join(', ')}: the operator sets them and selects its pods by them` },
    ]),
    annotations: defaultedMap('Extra annotations on the app pods (e.g. for a service mesh or log shipper).', 64, 4096, undefined, [
      { rule: "self.all(k, !k.startsWith('fastapiapp.io/'))", message: 'pod.annotations must not set fastapiapp.io/ keys: the operator sets them' },
    ]),
  },
  { description: 'Pod settings of the app (serviceAccountName, imagePullSecrets, nodeSelector and tolerations also apply to the migration Job).' },
);

const DisruptionBudgetSchema = Type.Object(
  {
    enabled: Defaulted(Type.Boolean({ description: 'Create the PodDisruptionBudget (while replicas > 1).' }), true),
    maxUnavailable: Defaulted(IntOrString({
      description: 'Pods a voluntary disruption may take down at once: a number >= 1 or a percentage such as 25%.',
      'x-kubernetes-validations': [
        { rule: "type(self) == int ? self >= 1 : self.matches('^([1-9][0-9]?|100)%$')", message: 'disruptionBudget.maxUnavailable must be an integer >= 1 or a percentage from 1% to 100%' },
      ],
    }), 1),
  },
  { description: 'A PodDisruptionBudget for the app pods, created while replicas > 1 (node drains then evict at most maxUnavailable at a time).' },
);

/** https, or http to localhost only (the app refuses anything else). */
const ISSUER_URL = '^(https://[^\\s]+|http://(localhost|127\\.0\\.0\\.1)(:[0-9]+)?(/[^\\s]*)?)$';
// No schema default: an absent auth must stay absent (auth: {} would be invalid), and the app
// itself treats an unset requirement as open.
const requirement = (what: string) => StringEnum(['open', 'required'], {
  description: `"required": ${what} need a token with the scope; "open" (the default): they do not.`,
});

export const AuthSpecSchema = Type.Object(
  {
    issuer: Type.String({ description: 'Token issuer (the `iss` claim); its OIDC discovery document names the JWKS unless jwksUri is set.', maxLength: 2048, pattern: ISSUER_URL }),
    audience: Type.String({ description: 'Accepted audience (the `aud` claim).', minLength: 1, maxLength: 512 }),
    jwksUri: Type.Optional(Type.String({ description: 'JWKS URL; default: from the issuer\'s discovery document.', maxLength: 2048, pattern: ISSUER_URL })),
    reads: Type.Optional(requirement('item reads (GET /items, GET /items/{id})')),
    predict: Type.Optional(requirement('predictions (/predict, /predict/batch)')),
    audienceClaim: Type.Optional(StringEnum(['aud', 'client_id'], {
      description: 'Claim the audience is matched against: aud (default), or client_id for issuers whose access tokens carry no aud ' +
        '(Amazon Cognito); then a token must carry no aud and, if it has token_use, token_use access.',
    })),
    scopePrefix: Type.Optional(Type.String({ description: 'Prepended to the scope names (a Cognito resource server fastapiapp issues fastapiapp/items:write).', maxLength: 256, pattern: '^[A-Za-z0-9._:/-]*$' })),
  },
  {
    description: 'OAuth2 bearer tokens (RFC 6750) for the app, verified against the issuer\'s JWKS (its AUTH_* settings). ' +
      'Once set, item writes need scope items:write. Absent: the API is open (the app logs a warning).',
  },
);

// A percentage from 50 to 99.999 as a string ("99.9"): Kubernetes APIs avoid floats.
const objective = (what: string) => Type.String({
  description: `Target share of requests, in percent (50 to 99.999), that ${what} over the window, e.g. "99.9". ` +
    'The error budget is 100 minus this. The fast-burn page (14.4x over 1h) can only fire when the budget is ' +
    'under 1/14.4 (objective above 93.06).',
  maxLength: 6,
  pattern: '^[0-9]{2}(\\.[0-9]{1,3})?$',
  'x-kubernetes-validations': [{ rule: 'double(self) >= 50.0 && double(self) < 100.0', message: 'an SLO objective must be at least 50 and below 100 (percent)' }],
});

export const SloSpecSchema = Type.Object(
  {
    availability: Type.Optional(Type.Object(
      { objective: objective('are answered without a 5xx status') },
      { description: 'Availability SLO: the share of requests answered without a 5xx status.' },
    )),
    latency: Type.Optional(Type.Object(
      {
        threshold: StringEnum(LATENCY_BUCKETS, {
          description: 'Latency threshold in seconds; one of the bucket boundaries of the app\'s ' +
            `http_request_duration_seconds histogram (${LATENCY_BUCKETS.join(', ')}), so it is measured exactly.`,
        }),
        objective: objective('are answered within the threshold'),
      },
      { description: 'Latency SLO: the share of requests answered within threshold seconds (all statuses).' },
    )),
    // No schema default: the builder defaults the window (an absent slo must stay absent).
    window: Type.Optional(Type.String({
      description: `SLO period in days, from 7d to 90d (e.g. 28d); ${DEFAULT_SLO_WINDOW} when unset. The alerts keep the workbook's share of ` +
        'the budget per alert window (2% in 1h, 5% in 6h, 10% in 1d and in 3d), so their burn rates scale with it.',
      pattern: '^([7-9]|[1-8][0-9]|90)d$',
    })),
  },
  {
    description: 'Service level objectives over the app\'s request metrics. When set (and monitoring is enabled), the ' +
      'operator creates a PrometheusRule (monitoring.coreos.com/v1, when its CRD is installed) with error and ' +
      'latency-miss ratio recording rules per version and the SRE workbook\'s multi-window, multi-burn-rate alerts: ' +
      'page at 14.4x over 1h and 5m or 6x over 6h and 30m, ticket at 3x over 1d and 2h or 1x over 3d and 6h ' +
      '(rates for a 30d window; scaled to the window). Removing it deletes the PrometheusRule.',
    'x-kubernetes-validations': [
      { rule: 'has(self.availability) || has(self.latency)', message: 'slo needs availability, latency or both' },
    ],
  },
);

/** DNS-1123 label (namespace names). */
const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const cidrList = (description: string) => Defaulted(Type.Array(Type.String({ maxLength: 43 }), {
  description, maxItems: 32, 'x-kubernetes-list-type': 'set',
  'x-kubernetes-validations': [{ rule: 'self.all(c, isCIDR(c))', message: 'must be CIDRs such as 10.0.0.0/16 or fd00::/64' }],
}), []);
const portNumber = (description: string) => Type.Integer({ description, format: 'int32', minimum: 1, maximum: 65535 });
/** Labels to select pods by; no default (absent means "not by labels"). */
const labelSelector = (description: string) => stringMap(description, 16, 63, LABEL_VALUE);

export const NetworkPolicyOptionsSchema = Type.Object(
  {
    enabled: Defaulted(Type.Boolean({ description: 'Create the NetworkPolicy.' }), true),
    allowedNamespaces: Defaulted(Type.Array(
      Type.String({ minLength: 1, maxLength: 63, pattern: DNS1123_LABEL }),
      { description: 'Namespaces (by name) whose pods may reach the app port, e.g. an ingress controller\'s.', maxItems: 32, 'x-kubernetes-list-type': 'set' },
    ), []),
    allowedPodLabels: Type.Optional(labelSelector('Labels of the pods of the app\'s namespace that may reach the app port. Default: every pod of the namespace.')),
    allowedCIDRs: cidrList('Source CIDRs that may reach the app port, e.g. the load balancer subnets of a LoadBalancer Service.'),
    monitoringNamespace: Defaulted(Type.String({
      description: 'Namespace of the Prometheus that scrapes the app; its pods may reach the metrics port.',
      minLength: 1, maxLength: 63, pattern: DNS1123_LABEL,
    }), 'monitoring'),
    database: Type.Optional(Type.Object(
      {
        cidr: Type.Optional(Type.String({ description: 'Database address range, e.g. the RDS subnets.', maxLength: 43, 'x-kubernetes-validations': [{ rule: 'isCIDR(self)', message: 'database.cidr must be a CIDR' }] })),
        podLabels: Type.Optional(labelSelector('Labels of database pods in the app\'s namespace.')),
        // no schema default: an absent database must stay absent (it is what turns egress rules on)
        port: Type.Optional(portNumber(`Database port (default ${DEFAULT_DATABASE_PORT}).`)),
      },
      {
        description: 'The database the app connects to. When set, egress of the app pods is limited to it, cluster DNS and the issuer.',
        'x-kubernetes-validations': [{ rule: 'has(self.cidr) != has(self.podLabels)', message: 'networkPolicy.database must set exactly one of cidr and podLabels' }],
      },
    )),
    issuer: Defaulted(Type.Object(
      { cidrs: cidrList('Issuer address ranges.'), port: Defaulted(portNumber('Issuer port.'), 443) },
      { description: 'The auth issuer the app fetches its JWKS from (when egress is limited).' },
    ), {}),
  },
  {
    description: 'A NetworkPolicy for the app pods: ingress to the app port only from the app\'s namespace (or the pods ' +
      'allowedPodLabels picks), allowedNamespaces, allowedCIDRs and the monitoring namespace; once database is set, egress only ' +
      'to the database, cluster DNS and the issuer. Enforced only where the CNI implements NetworkPolicy.',
  },
);

// --- spec.strategy (issue 28: progressive delivery) -------------------------------------------
const DECIMAL = '^[0-9]{1,4}(\\.[0-9]{1,6})?$';
const decimal = (description: string, dflt: string, max: number) => Defaulted(Type.String({
  description: `${description} A decimal as a string (Kubernetes APIs avoid floats); default "${dflt}".`,
  maxLength: 11, pattern: DECIMAL,
  'x-kubernetes-validations': [{ rule: `double(self) <= ${max.toFixed(1)}`, message: `must be at most ${max}` }],
}), dflt);
const seconds = (description: string, dflt: number, min: number, max: number) =>
  Defaulted(Type.Integer({ description: `${description} Default ${dflt}.`, format: 'int32', minimum: min, maximum: max }), dflt);

const SIGNED_DECIMAL = '^-?[0-9]{1,12}(\\.[0-9]{1,6})?$';
const bound = (description: string) => Type.Optional(Type.String({
  description: `${description} A decimal as a string (Kubernetes APIs avoid floats), e.g. "0.01".`, maxLength: 20, pattern: SIGNED_DECIMAL,
}));

export const AnalysisMetricSchema = Type.Object(
  {
    name: Type.String({
      description: `Name of the check, in status.rollout.lastAnalysis.checks and the metric fastapiapp_rollout_checks_total; not one of the built-in ${BUILTIN_CHECKS.join(', ')}.`,
      minLength: 1, maxLength: 63, pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$',
      'x-kubernetes-validations': [{
        rule: `!(self in [${BUILTIN_CHECKS.map((c) => `'${c.toLowerCase()}'`).join(', ')}])`,
        message: `a metric name must not be a built-in check (${BUILTIN_CHECKS.join(', ')})`,
      }],
    }),
    query: Type.String({
      description: 'PromQL instant query that yields one number (a scalar, or a vector with one series). Placeholders, ' +
        `filled in per measurement: ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')} (the namespace, the FastApiApp's name = ` +
        'the job label of its series, the version label of the measured release, its track: canary or preview, and ' +
        'windowSeconds as a PromQL range such as 60s), e.g. ' +
        'sum(rate(db_errors_total{namespace="{{namespace}}", job="{{app}}", fastapiapp_io_track="{{track}}"}[{{window}}])). ' +
        'An error, an empty result or more than one series is inconclusive, never a pass.',
      minLength: 1, maxLength: 4096,
      'x-kubernetes-validations': [{
        // one match over the whole string (findAll's list is too costly for the CEL budget): every {{ opens a known placeholder
        rule: `self.matches('^([^{]|[{]([^{]|$)|[{][{] *(${QUERY_PLACEHOLDERS.join('|')}) *[}][}])*$')`,
        message: `query placeholders must be one of ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      }],
    }),
    thresholdRange: Type.Object(
      { min: bound('Lowest passing value.'), max: bound('Highest passing value.') },
      {
        description: 'The value passes when min <= value <= max (as Flagger\'s thresholdRange); outside it fails.',
        'x-kubernetes-validations': [
          { rule: 'has(self.min) || has(self.max)', message: 'thresholdRange needs min, max or both' },
          { rule: '!has(self.min) || !has(self.max) || double(self.min) <= double(self.max)', message: 'thresholdRange.min must not exceed max' },
        ],
      },
    ),
  },
  { description: 'A custom analysis check: a PromQL query about the measured release and the range its value must stay in.' },
);

const CanaryAnalysisSchema = Type.Object(
  {
    intervalSeconds: seconds('Seconds between measurements.', 10, 2, 600),
    initialDelaySeconds: seconds('Seconds after the canary pods are ready before the first measurement.', 10, 0, 3600),
    windowSeconds: seconds('Seconds of traffic each measurement covers (a PromQL range).', 60, 10, 3600),
    failureLimit: seconds('Failed measurements that abort the release.', 2, 1, 100),
    minRequests: seconds('Canary requests a measurement needs in its window; fewer is inconclusive.', 20, 1, 1_000_000),
    maxErrorRatio: decimal('Share of canary requests (0 to 1) that may answer 5xx.', '0.05', 1),
    maxErrorRatioIncrease: decimal("How far the canary's 5xx ratio may exceed stable's, in ratio points (0.02 = 2 points).", '0.02', 1),
    maxP99Seconds: decimal('p99 latency the canary may have, in seconds.', '2.5', 600),
    maxP99Factor: decimal("How many times stable's p99 the canary's p99 may be.", '2', 1000),
    metrics: Type.Optional(Type.Array(AnalysisMetricSchema, {
      description: 'Custom checks beside the built-in ones (as Argo Rollouts\' AnalysisTemplate metrics or Flagger\'s custom ' +
        'metrics): each measurement also runs every query for the canary (or BlueGreen preview) and judges its value; a ' +
        'value out of range fails the measurement like a built-in check, an unanswered query makes it inconclusive. They ' +
        'do not apply to the migration check.',
      maxItems: 10, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
    })),
  },
  {
    description: "Analysis of the canary, generated from the app's own http_requests_total and http_request_duration_seconds " +
      '(per version, through the ServiceMonitor): 5xx ratio and p99, absolute and relative to stable. Too few canary requests ' +
      'is inconclusive: the rollout pauses, it never passes. Prometheus is the operator\'s PROMETHEUS_URL.',
  },
);

export const CanaryStepSchema = Type.Object(
  {
    weight: Type.Optional(Type.Integer({
      description: "Percent of the app's pods that run the new version, 1-99, rounded to whole pods (at least one canary and " +
        'one stable pod); status.rollout.canaryWeight reports the share actually run. The step is done once those pods are ready.',
      format: 'int32', minimum: 1, maximum: 99,
    })),
    pause: Type.Optional(Type.Object(
      { durationSeconds: Type.Optional(Type.Integer({ description: 'Seconds to wait.', format: 'int32', minimum: 0, maximum: 86_400 })) },
      {
        description: 'Wait at the current weight. With durationSeconds the step ends when it passed and the latest analysis ' +
          'passed (an inconclusive one keeps it paused); without, until promoted (annotation platform.fastapiapp.io/promote).',
      },
    )),
  },
  {
    description: 'One step: weight (percent of pods on the new version) or pause.',
    'x-kubernetes-validations': [{ rule: 'has(self.weight) != has(self.pause)', message: 'a canary step sets exactly one of weight and pause' }],
  },
);

// BlueGreen: a full-size preview Deployment behind <name>-preview, analysed with canary.analysis,
// then the active Service switched to it (issue 28).
const BlueGreenSchema = Type.Object(
  {
    previewService: Defaulted(Type.Boolean({ description: 'Create the Service <name>-preview selecting the preview pods. Default true.' }), true),
    autoPromote: Defaulted(Type.Boolean({
      description: 'Promote once the pre-promotion analysis passed; false waits for the annotation platform.fastapiapp.io/promote. Default true.',
    }), true),
    scaleDownDelaySeconds: seconds('Seconds the old pods keep running after the switch; an abort within them switches the Service back at once.', 30, 0, 3600),
  },
  {
    description: 'Settings of the BlueGreen strategy (used when type is BlueGreen). The new version runs as a full-size Deployment ' +
      '<name>-preview (label fastapiapp.io/track=preview) behind the Service <name>-preview, analysed with canary.analysis ' +
      '(too few preview requests is inconclusive: paused, never promoted); promotion switches the Service <name> to the ' +
      'preview pods, keeps the old pods for scaleDownDelaySeconds (an abort within it switches back at once), then stable ' +
      'takes the new template, the Service selects it again and the preview is scaled to zero.',
  },
);

export const StrategySpecSchema = Type.Object(
  {
    type: Defaulted(StringEnum(['RollingUpdate', 'Canary', 'BlueGreen'], { description: 'RollingUpdate, Canary or BlueGreen. Default RollingUpdate.' }), 'RollingUpdate'),
    blueGreen: Defaulted(BlueGreenSchema, {}),
    canary: Defaulted(Type.Object(
      {
        steps: Defaulted(Type.Array(CanaryStepSchema, {
          description: 'Steps, in order; after the last one the release is promoted. Default: 20% for 60 s, 50% for 60 s.',
          maxItems: 20,
          'x-kubernetes-validations': [{ rule: 'self.exists(st, has(st.weight))', message: 'canary steps need at least one weight step' }],
        }), [{ weight: 20 }, { pause: { durationSeconds: 60 } }, { weight: 50 }, { pause: { durationSeconds: 60 } }]),
        analysis: Defaulted(CanaryAnalysisSchema, {}),
        migrationCheck: Defaulted(Type.Object(
          { windowSeconds: seconds('Seconds to watch stable after the migration; 0 turns the check off.', 30, 0, 3600) },
          {
            description: "Between the pre-deploy migration and the first canary pod, stable's 5xx ratio and p99 (over this window, " +
              'against the same window before) are checked with the analysis thresholds; a regression halts the release ' +
              '(Degraded=True MigrationBrokeStable) before any canary pod starts.',
          },
        ), {}),
      },
      { description: 'Settings of the Canary strategy (used when type is Canary).' },
    ), {}),
  },
  {
    description: 'How a new pod template (image, env, database Secret) reaches the pods. RollingUpdate: the Deployment\'s ' +
      'rolling update. Canary: a second Deployment <name>-canary (label fastapiapp.io/track=canary) behind the same Service runs the new ' +
      'version on a share of the pods, step by step, while its 5xx ratio and p99 are compared with stable; a failed analysis ' +
      'aborts (stable back to full size first, then the canary scaled to zero); after the last step stable takes the new ' +
      'template by a rolling update and the post-deploy migration may run. See docs/operations/progressive-delivery.md.',
  },
);
// --- end spec.strategy ----------------------------------------------------------------------------

const reservedList = RESERVED_ENV_NAMES.map((n) => `'${n}'`).join(', ');
const commandList = (description: string) => Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { description, maxItems: 32 });

export const SecretKeyRefSchema = Type.Object(
  {
    name: dnsName("Name of the Secret in the FastApiApp's namespace."),
    key: Defaulted(Type.String({ description: 'Key within the Secret whose value is the database URL.', minLength: 1, maxLength: 253, pattern: CONFIG_KEY }), 'DATABASE_URL'),
  },
  {
    description: "Secret holding the app's database URL; the app and the migration Job read DATABASE_URL from it. " +
      'The URL never appears in the spec.',
  },
);

const MigrationSchema = Type.Object(
  {
    enabled: Defaulted(Type.Boolean({ description: 'Run a migration Job for every new image before rolling it out.' }), true),
    command: Defaulted(commandList('Command the migration Job runs in the app image (working directory as the image sets it). ' +
      'Must not be empty while enabled.'),
    // The app image's pre-deploy (expand) migrate command (WORKDIR /app); see docs/app/migrations.md.
    ['node', 'dist/app/src/migrate.js', 'pre']),
    postDeployCommand: Defaulted(commandList('Command of the post-deploy (contract) migration Job: drops, renames, NOT NULL, type changes. It ' +
      'runs once the new release is fully rolled out (no pod of the old template left) and ' +
      'postDeployDelaySeconds have passed, and only when the pre-deploy run reported pending post-deploy ' +
      'migrations (or could not say). A failure is Degraded=True PostDeployMigrationFailed; the app keeps serving.'),
    ['node', 'dist/app/src/migrate.js', 'post']),
    postDeployDelaySeconds: Defaulted(Type.Integer({
      description: 'Bake time: seconds between the rollout completing and the post-deploy migration Job starting, ' +
        'so a rollback before it stays possible without crossing a contract migration.',
      format: 'int32', minimum: 0, maximum: 604800,
    }), 0),
    backoffLimit: Defaulted(Type.Integer({ description: 'Retries of the migration Job before it is marked failed.', format: 'int32', minimum: 0, maximum: 10 }), 2),
    activeDeadlineSeconds: Defaulted(Type.Integer({
      description: 'Seconds the migration Job may run in total before it is marked failed.', format: 'int64', minimum: 1, maximum: 86400,
    }), 600),
    jobsHistoryLimit: Defaulted(Type.Integer({
      description: 'Finished (succeeded or failed) migration Jobs kept per app, newest first, for their logs; older ' +
        'ones are deleted. The Job of the current spec is always kept and counts toward the limit. Like ' +
        "a CronJob's successfulJobsHistoryLimit/failedJobsHistoryLimit.",
      format: 'int32', minimum: 1, maximum: 20,
    }), 3),
  },
  {
    description: 'Database migration run as a Job before each new image is rolled out (pre-deploy, expand), and ' +
      'a post-deploy (contract) Job after it. The Deployment keeps its pod template until the pre-deploy Job for ' +
      'the new inputs succeeds, then runs image:tag@digest with the digest the migration pod ran. A failed Job is ' +
      "kept for its logs and not rerun; a new Job runs when the Job's inputs (image, command, env, database Secret " +
      'reference or the value of its key) change, or when the annotation ' +
      'platform.fastapiapp.io/retry-migration on the FastApiApp is set to a new value. A Job superseded by a newer ' +
      'spec while it runs is deleted before the next one starts.',
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
);

const MonitoringSchema = Type.Object(
  {
    enabled: Defaulted(Type.Boolean({ description: 'Create a ServiceMonitor for the app.' }), true),
    path: Defaulted(Type.String({ description: 'HTTP path of the metrics endpoint.', minLength: 1, maxLength: 256, pattern: '^/[^\\s]*$' }), '/metrics'),
    // The app's METRICS_PORT: /metrics is served there only, never on the Service's port.
    port: Defaulted(Type.Integer({
      description: 'Container port the app serves /metrics on (its METRICS_PORT), named `metrics`. The Service does ' +
        'not expose it: the ServiceMonitor scrapes it on each pod. Must differ from port.',
      format: 'int32', minimum: 1, maximum: 65535,
    }), 9464),
    interval: Defaulted(Type.String({ description: 'Scrape interval, as a Prometheus duration (e.g. 30s, 1m).', maxLength: 32, pattern: PROM_DURATION }), '30s'),
    labels: defaultedMap('Extra labels on the ServiceMonitor, for a Prometheus whose serviceMonitorSelector selects by them ' +
      '(kube-prometheus-stack: release: <helm release name>).', 16, 63, LABEL_VALUE, [
      { rule: "self.all(k, !k.startsWith('app.kubernetes.io/') && !k.startsWith('fastapiapp.io/'))", message: 'monitoring.labels must not set app.kubernetes.io/ or fastapiapp.io/ keys: the operator sets them and finds its ServiceMonitors by them' },
    ]),
  },
  { description: 'Prometheus scraping through a prometheus-operator ServiceMonitor (created when its CRD exists).' },
);

export const FastApiAppSpecSchema = Type.Object(
  {
    image: Type.String({
      description:
        'Image repository without tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/items-app. ' +
        'The operator runs image:tag.',
      minLength: 1, maxLength: 255, pattern: IMAGE_REPOSITORY,
    }),
    tag: Type.String({
      description:
        'Image tag to run, e.g. a release version or git SHA. Changing it first runs the migration Job for the new ' +
        "image, then rolls the Deployment out. 'latest' is rejected: a mutable tag defeats migrate-then-rollout.",
      minLength: 1, maxLength: 128, pattern: IMAGE_TAG,
      'x-kubernetes-validations': [
        {
          rule: "self.lowerAscii() != 'latest'",
          message:
            "tag must not be 'latest': a mutable tag defeats migrate-then-rollout (the image the migration ran " +
            'against could differ from the one rolled out); use an immutable tag such as a version or git SHA',
        },
      ],
    }),
    replicas: Defaulted(Type.Integer({
      description: 'Number of app pods. Also the scale subresource, so kubectl scale and HPAs can set it.',
      format: 'int32', minimum: 0, maximum: 100,
    }), 2),
    port: Defaulted(Type.Integer({
      description: 'Port the app listens on inside the container; passed to it as the PORT env var.',
      format: 'int32', minimum: 1, maximum: 65535,
    }), 8000),
    databaseSecretRef: SecretKeyRefSchema,
    env: Type.Optional(Type.Array(EnvVarSchema, {
      description: `Extra environment variables for the app and the migration Job. ${RESERVED_ENV_NAMES.join(' and ')} ` +
        'are set by the operator and may not appear here.',
      maxItems: 100,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-validations': [
        {
          rule: `self.all(e, !(e.name in [${reservedList}]))`,
          message: `env must not set ${RESERVED_ENV_NAMES.join(' or ')}: the operator sets them from databaseSecretRef, port and monitoring.port`,
        },
      ],
    })),
    // The lab's container resources. A given resources object is taken as it is (a default applies
    // only to an absent field): limits alone get no default requests.
    resources: Defaulted(ResourceRequirementsSchema, {
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    }),
    service: Defaulted(Type.Object(
      {
        type: Defaulted(StringEnum(['ClusterIP', 'NodePort', 'LoadBalancer'], { description: 'Service type.' }), 'ClusterIP'),
        port: Defaulted(portNumber('Port the Service exposes; it forwards to the container port.'), 80),
      },
      { description: 'The Service in front of the app pods.' },
    ), {}),
    migration: Defaulted(MigrationSchema, {}),
    monitoring: Defaulted(MonitoringSchema, {}),
    auth: Type.Optional(AuthSpecSchema),
    pod: Defaulted(PodSpecOptionsSchema, {}),
    disruptionBudget: Defaulted(DisruptionBudgetSchema, {}),
    slo: Type.Optional(SloSpecSchema),
    networkPolicy: Defaulted(NetworkPolicyOptionsSchema, {}),
    strategy: Defaulted(StrategySpecSchema, {}),
    progressDeadlineSeconds: Defaulted(Type.Integer({
      description: 'Seconds a rollout may go without progress (new pods becoming ready) before the Deployment reports ' +
        'ProgressDeadlineExceeded and the FastApiApp Degraded=True reason RolloutStuck.',
      format: 'int32', minimum: 10, maximum: 3600,
    }), 600),
    paused: Defaulted(Type.Boolean({
      description: 'Stop reconciling this FastApiApp: the operator writes nothing to its children (what exists ' +
        'is kept) and reports a Paused condition. Set back to false to resume.',
    }), false),
  },
  {
    description: 'Desired state of the app: which image to run, how many replicas, and how to migrate and monitor it.',
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
  },
);

const dateTime = (description: string) => Type.String({ description, format: 'date-time' });

export const ConditionSchema = Type.Object(
  {
    type: Type.String({ description: 'Condition type, e.g. Ready.', minLength: 1, maxLength: 316 }),
    status: StringEnum(['True', 'False', 'Unknown'], { description: 'True, False or Unknown.' }),
    reason: Type.String({
      description: 'CamelCase reason for the last transition, e.g. MigrationFailed.',
      minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: Type.String({ description: 'Human-readable details.', maxLength: 32768 }),
    observedGeneration: Type.Optional(Type.Integer({
      description: 'metadata.generation the condition was set for; older than the current generation means stale.',
      format: 'int64', minimum: 0,
    })),
    lastTransitionTime: dateTime('When the status last changed.'),
  },
  { description: 'One aspect of the current state (Ready, Migrated, Progressing, Degraded, ...).' },
);

/** One release as the operator recorded it in status.history. */
export const RevisionSchema = Type.Object({
  image: Type.String({ description: 'image:tag of the revision.' }),
  digest: Type.Optional(Type.String({ description: 'Registry digest its migration pod ran, when known.' })),
  inputs: Type.String({ description: "Hash of its pre-deploy migration Job's inputs." }),
  migratedAt: dateTime('When its pre-deploy migration succeeded.'),
  schemaHead: Type.Optional(Type.String({ description: 'Last applied migration after its migration ran (from the migration pod).' })),
  pendingPost: Type.Optional(Type.Array(Type.String(), { description: 'Post-deploy migrations its pre-deploy run reported pending.' })),
  postMigrated: Type.Optional(Type.Boolean({ description: 'Whether its post-deploy migration succeeded or had nothing to do.' })),
  postInterrupted: Type.Optional(Type.Boolean({
    description: 'Its post-deploy Job was stopped while it ran (superseded): what it applied is unknown, so a ' +
      'rollback past it runs a migration Job, which refuses a contract migration it does not ship.',
  })),
  contract: Type.Optional(Type.Array(Type.String(), { description: 'Contract migrations its post-deploy Job applied.' })),
  firstServed: Type.Optional(dateTime('When its rollout first completed.')),
  lastServed: Type.Optional(dateTime("When another revision's rollout replaced it.")),
});

export type RolloutPhase = 'MigrationCheck' | 'Progressing' | 'Paused' | 'Promoting' | 'Promoted' | 'Aborting' | 'Aborted' | 'Halted';

/** One analysis measurement of a rollout as status keeps it (decimals as strings). */
export const AnalysisRecordSchema = WrittenWhole(Type.Object(
  {
    time: dateTime('When it was taken.'),
    verdict: TypedString<'pass' | 'fail' | 'inconclusive'>({ description: 'pass, fail or inconclusive.' }),
    subject: TypedString<'canary' | 'stable'>({ description: 'canary, or stable (the migration check).' }),
    requests: Type.Integer({ description: 'Requests in the window.', format: 'int64' }),
    errorRatio: Type.Optional(Type.String({ description: '5xx ratio.' })),
    p99Seconds: Type.Optional(Type.String({ description: 'p99 latency, seconds.' })),
    checks: Type.Optional(Type.Array(WrittenWhole(Type.Object(
      {
        name: Type.String({ description: 'A built-in check (minRequests, errorRatio, errorRatioIncrease, p99, p99Factor) or a custom metric\'s name.' }),
        verdict: TypedString<'pass' | 'fail' | 'inconclusive'>({ description: 'pass, fail or inconclusive.' }),
        value: Type.Optional(Type.String({ description: 'The measured value, when there was one.' })),
      },
      { description: 'One check of the measurement.' },
    )), { description: 'Every check of the measurement, built-in and custom (spec.strategy.canary.analysis.metrics).' })),
    message: Type.String({ description: 'The checks and their limits.' }),
  },
  { description: 'The latest measurement.' },
));

/** The progressive rollout of one revision (the new pod template's hash). */
export const RolloutStatusSchema = WrittenWhole(Type.Object(
  {
    revision: Type.String({ description: 'Hash of the pod template being rolled out.' }),
    image: Type.String({ description: 'Image the canary runs.' }),
    stableImage: Type.Optional(Type.String({ description: 'Image stable ran when the rollout began.' })),
    phase: TypedString<RolloutPhase>({
      description: 'MigrationCheck (watching stable after the migration), Progressing, Paused (by annotation, an inconclusive ' +
        'analysis, or a pause step without duration), Promoting, Promoted, Aborting, Aborted, Halted (MigrationBrokeStable).',
    }),
    step: Type.Integer({ description: 'Index of the current canary step.', format: 'int32' }),
    stepStartedAt: dateTime('When the current step began.'),
    startedAt: dateTime('When this rollout began.'),
    canaryReadyAt: Type.Optional(dateTime('When the canary pods of the current weight were all ready.')),
    stableReplicas: Type.Integer({ description: 'Pods stable runs for this step.', format: 'int32' }),
    canaryReplicas: Type.Integer({ description: 'Pods the canary runs for this step.', format: 'int32' }),
    canaryWeight: Type.Integer({ description: 'Canary pods / all pods, percent.', format: 'int32' }),
    measuredCanaryShare: Type.Optional(Type.String({ description: "The canary's share of the app's requests over the analysis window, percent (request counters)." })),
    failures: Type.Integer({ description: 'Failed measurements so far.', format: 'int32' }),
    lastAnalysis: Type.Optional(AnalysisRecordSchema),
    handled: Type.Optional(Type.Object(
      {
        promote: Type.Optional(Type.String({ description: 'Value of platform.fastapiapp.io/promote acted on.' })),
        abort: Type.Optional(Type.String({ description: 'Value of platform.fastapiapp.io/abort acted on.' })),
        retry: Type.Optional(Type.String({ description: 'Value of platform.fastapiapp.io/retry-rollout acted on.' })),
      },
      { description: 'Control annotation values already acted on.' },
    )),
    switchedAt: Type.Optional(dateTime('BlueGreen: when the Service <name> was switched to the preview pods.')),
    message: Type.String({ description: 'Human-readable state.' }),
  },
  { description: 'The progressive rollout (spec.strategy.type Canary or BlueGreen; for BlueGreen the canary fields describe the preview) of the newest pod template.' },
));

export const FastApiAppStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ description: 'metadata.generation the operator last reconciled.', format: 'int64' })),
    conditions: Type.Optional(Type.Array(ConditionSchema, {
      description: 'Ready (the spec is fully rolled out; Unknown while paused), Available (pods serve, whatever ' +
        'image they run), Migrated, Progressing, Degraded (MigrationFailed, RolloutStuck, ReconcileError) and related conditions.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    })),
    image: Type.Optional(Type.String({ description: 'Image reference the Deployment runs: image:tag, or image:tag@sha256:... once pinned.' })),
    migratedImage: Type.Optional(Type.String({ description: 'Last image reference whose migration succeeded (informational: migratedInputs decides).' })),
    migratedInputs: Type.Optional(Type.String({
      description: "Hash of the pre-deploy migration Job's inputs (image, command, env, database Secret reference and " +
        'the hash of its value, retry annotation) that last succeeded. Any change of them runs a new Job before pods use them.',
    })),
    history: Type.Optional(Type.Array(RevisionSchema, {
      description: 'Revisions migrated, newest first (at most 10). Setting the tag back to one of them with unchanged ' +
        'Job inputs rolls the Deployment at once without a Job, unless a contract migration was applied since ' +
        '(then Degraded=True RollbackBlocked and the running pods keep serving).',
      maxItems: 10,
    })),
    imageDigest: Type.Optional(Type.String({
      description: 'Registry digest (sha256:...) of the image the last successful migration pod ran, read from its ' +
        'imageID; the Deployment runs image:tag@digest so migration and serving run the same bytes. Absent when ' +
        'unknown (migrations disabled, or a locally loaded image): the tag is used.',
      pattern: '^sha256:[0-9a-f]{64}$',
    })),
    replicas: Type.Optional(Type.Integer({
      description: 'Pods serving the app (for the scale subresource, which an HPA reads): those of the Deployment, plus the ' +
        "canary's during a Canary rollout; the preview's while a BlueGreen Service is switched to it.",
      format: 'int32',
    })),
    readyReplicas: Type.Optional(Type.Integer({ description: 'Ready pods among status.replicas.', format: 'int32' })),
    templateHash: Type.Optional(Type.String({
      description: 'Hash of the Deployment pod template last seen fully rolled out; a Deployment change with the ' +
        'same template (replicas only, e.g. an HPA) is not a rollout and keeps Ready.',
    })),
    selector: Type.Optional(Type.String({
      description: 'Label selector of the pods status.replicas counts, as a string (for the scale subresource and HPAs): the ' +
        "app's serving pods (stable and canary), or the preview's while a BlueGreen Service is switched to it.",
    })),
    rollout: Type.Optional(RolloutStatusSchema),
  },
  { description: 'Observed state, written by the operator.' },
);

/** The whole resource as the CRD validates it (metadata is the API server's own). */
export const FastApiAppResourceSchema = Type.Object(
  {
    apiVersion: Type.Optional(Type.String({ description: 'Versioned schema of this object: platform.fastapiapp.io/v1alpha1.' })),
    kind: Type.Optional(Type.String({ description: 'Kind of this object: FastApiApp.' })),
    metadata: Type.Optional(OpaqueObject()),
    spec: FastApiAppSpecSchema,
    status: Type.Optional(FastApiAppStatusSchema),
  },
  {
    description:
      'FastApiApp runs the items API: a Deployment and Service for an image, a migration Job run before each new ' +
      'image is rolled out, and a ServiceMonitor for Prometheus.',
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
      {
        rule: "!has(self.spec.strategy) || !has(self.spec.strategy.type) || self.spec.strategy.type != 'BlueGreen' || size(self.metadata.name) <= 55",
        message: 'with strategy BlueGreen, metadata.name must be at most 55 characters: it also names the Deployment and Service <name>-preview',
      },
    ],
  },
);

/** openAPIV3Schema of FastApiApp v1alpha1: the JSON of FastApiAppResourceSchema. */
export const fastApiAppSchema: SchemaProps = crdSchema(FastApiAppResourceSchema);
