// The FastApiApp API (platform.fastapiapp.io/v1alpha1): TypeScript types the operator uses.
// The OpenAPI schema in ./schema.ts is the source the CRD YAML is generated from; keep both in step
// (test/api checks that a spec filled by the API server's defaults equals desired/withDefaults).

export const GROUP = 'platform.fastapiapp.io';
export const VERSION = 'v1alpha1';
export const KIND = 'FastApiApp';
export const PLURAL = 'fastapiapps';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface SecretKeyRef {
  name: string;
  /** default DATABASE_URL */
  key?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

/** A Kubernetes quantity: '250m', '256Mi', or a plain number. */
export type Quantity = string | number;

export interface ResourceRequirements {
  requests?: { cpu?: Quantity; memory?: Quantity };
  limits?: { cpu?: Quantity; memory?: Quantity };
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface TopologySpread {
  topologyKey: string;
  maxSkew?: number;
  whenUnsatisfiable?: 'DoNotSchedule' | 'ScheduleAnyway';
}

/** Pod-level settings of the app (and, where they matter to it, the migration Job). */
export interface PodSpecOptions {
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  /** default: spread across zones and nodes (ScheduleAnyway) */
  topologySpreadConstraints?: TopologySpread[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A percentage as a string, e.g. "99.9" (the API avoids floats, as Kubernetes APIs do). */
export type Percent = string;

/**
 * Service level objectives over the app's own request metrics. When set (and monitoring is
 * enabled), the operator generates a PrometheusRule with recording rules and burn-rate alerts.
 */
export interface SloSpec {
  /** share of requests answered without a 5xx */
  availability?: { objective: Percent };
  /** share of requests answered within threshold (seconds, a bucket boundary of http_request_duration_seconds) */
  latency?: { threshold: string; objective: Percent };
  /** SLO period, in days (e.g. 30d); default 30d */
  window?: string;
}

/** Ingress to the app port and, once a database is named, egress of the app pods. */
export interface NetworkPolicyOptions {
  /** default true */
  enabled?: boolean;
  /** namespaces (by name) whose pods may reach the app port; the app's own namespace always may */
  allowedNamespaces?: string[];
  /** labels of the pods of the app's namespace that may reach the app port; default: every pod there */
  allowedPodLabels?: Record<string, string>;
  /** source CIDRs (e.g. load balancer subnets) that may reach the app port */
  allowedCIDRs?: string[];
  /** namespace of the Prometheus that scrapes the metrics port; default monitoring */
  monitoringNamespace?: string;
  /** the database: when set, egress is limited to it, cluster DNS and the issuer */
  database?: { cidr?: string; podLabels?: Record<string, string>; port?: number };
  /** the auth issuer (JWKS): CIDRs and port the pods may reach when egress is limited */
  issuer?: { cidrs?: string[]; port?: number };
}

export interface FastApiAppSpec {
  image: string;
  tag: string;
  replicas?: number;
  port?: number;
  databaseSecretRef: SecretKeyRef;
  env?: EnvVar[];
  resources?: ResourceRequirements;
  service?: { type?: ServiceType; port?: number };
  migration?: { enabled?: boolean; command?: string[]; backoffLimit?: number; activeDeadlineSeconds?: number; jobsHistoryLimit?: number };
  monitoring?: { enabled?: boolean; path?: string; interval?: string; labels?: Record<string, string> };
  paused?: boolean;
  pod?: PodSpecOptions;
  /** seconds without rollout progress before RolloutStuck (Deployment progressDeadlineSeconds) */
  progressDeadlineSeconds?: number;
  /** PodDisruptionBudget while replicas > 1 */
  disruptionBudget?: { enabled?: boolean; maxUnavailable?: number | string };
  slo?: SloSpec;
  networkPolicy?: NetworkPolicyOptions;
}

export type ConditionType = 'Ready' | 'Available' | 'Migrated' | 'Progressing' | 'Degraded' | 'Paused' | 'MonitoringAvailable';

export interface Condition {
  type: ConditionType | string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface FastApiAppStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** image reference (image:tag) the Deployment runs */
  image?: string;
  /** last image reference whose migration Job succeeded */
  migratedImage?: string;
  /** registry digest (sha256:...) the migration of migratedImage ran; the Deployment runs image:tag@digest */
  imageDigest?: string;
  replicas?: number;
  readyReplicas?: number;
  /** hash of the Deployment pod template last seen rolled out (a replica change keeps Ready) */
  templateHash?: string;
  /** label selector string, for the scale subresource */
  selector?: string;
}

export interface FastApiApp {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: FastApiAppSpec;
  status?: FastApiAppStatus;
}
