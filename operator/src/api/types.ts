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

export type AuthRequirement = 'open' | 'required';

/** OAuth2 bearer tokens for the app (its AUTH_* settings): writes need items:write once set. */
export interface AuthSpec {
  issuer: string;
  audience: string;
  /** default: from the issuer's OIDC discovery document */
  jwksUri?: string;
  /** default open */
  reads?: AuthRequirement;
  /** default open */
  predict?: AuthRequirement;
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

// --- spec.strategy and status.rollout (issue 28: progressive delivery) -----------------------
export type StrategyType = 'RollingUpdate' | 'Canary';

/** One canary step: set a weight (share of pods), or pause (for a duration, or until promoted). */
export interface CanaryStep {
  /** percent of the app's pods that run the new version (1-99), rounded to whole pods */
  weight?: number;
  /** wait; without durationSeconds, until promoted by annotation */
  pause?: { durationSeconds?: number };
}

/** Analysis of the canary against stable, from the app's own request metrics (decimals as strings). */
export interface CanaryAnalysisSpec {
  /** seconds between measurements; default 10 */
  intervalSeconds?: number;
  /** seconds after the canary pods are ready before the first measurement; default 10 */
  initialDelaySeconds?: number;
  /** seconds of traffic each measurement covers; default 60 */
  windowSeconds?: number;
  /** failed measurements that abort the release; default 2 */
  failureLimit?: number;
  /** fewer canary requests than this in the window is inconclusive (never a pass); default 20 */
  minRequests?: number;
  /** 5xx ratio the canary may have, 0-1; default "0.05" */
  maxErrorRatio?: string;
  /** how much the canary's 5xx ratio may exceed stable's (ratio points); default "0.02" */
  maxErrorRatioIncrease?: string;
  /** p99 latency the canary may have, seconds; default "2.5" */
  maxP99Seconds?: string;
  /** the canary's p99 may be at most this many times stable's; default "2" */
  maxP99Factor?: string;
}

export interface CanaryStrategy {
  steps?: CanaryStep[];
  analysis?: CanaryAnalysisSpec;
  /** watch stable between the pre-deploy migration and the first canary pod; 0 = off (default 30) */
  migrationCheck?: { windowSeconds?: number };
}

export interface StrategySpec {
  /** default RollingUpdate */
  type?: StrategyType;
  canary?: CanaryStrategy;
}

export type RolloutPhase = 'MigrationCheck' | 'Progressing' | 'Paused' | 'Promoting' | 'Promoted' | 'Aborting' | 'Aborted' | 'Halted';

/** One analysis measurement of a rollout as status keeps it (decimals as strings). */
export interface AnalysisRecord {
  time: string;
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** what was measured: the canary, or stable after the migration */
  subject: 'canary' | 'stable';
  requests: number;
  errorRatio?: string;
  p99Seconds?: string;
  message: string;
}

/** The progressive rollout of one revision (the new pod template's hash). */
export interface RolloutStatus {
  revision: string;
  image: string;
  stableImage?: string;
  phase: RolloutPhase;
  /** index of the current canary step (= number of steps once all are done) */
  step: number;
  stepStartedAt: string;
  startedAt: string;
  /** when the canary pods of the current weight were first all ready */
  canaryReadyAt?: string;
  stableReplicas: number;
  canaryReplicas: number;
  /** canary pods / all pods, percent (whole pods) */
  canaryWeight: number;
  /** canary share of the app's requests over the analysis window, percent, from the request counters */
  measuredCanaryShare?: string;
  failures: number;
  lastAnalysis?: AnalysisRecord;
  /** control annotation values already acted on (or present when the rollout began) */
  handled?: { promote?: string; abort?: string; retry?: string };
  message: string;
}
// --- end spec.strategy ------------------------------------------------------------------------

export interface FastApiAppSpec {
  image: string;
  tag: string;
  replicas?: number;
  port?: number;
  databaseSecretRef: SecretKeyRef;
  env?: EnvVar[];
  resources?: ResourceRequirements;
  service?: { type?: ServiceType; port?: number };
  migration?: {
    enabled?: boolean;
    /** pre-deploy (expand) command, run before the rollout */
    command?: string[];
    /** post-deploy (contract) command, run once the release is fully rolled out and the delay passed */
    postDeployCommand?: string[];
    postDeployDelaySeconds?: number;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    jobsHistoryLimit?: number;
  };
  monitoring?: { enabled?: boolean; path?: string; interval?: string; labels?: Record<string, string>; port?: number };
  auth?: AuthSpec;
  paused?: boolean;
  pod?: PodSpecOptions;
  /** seconds without rollout progress before RolloutStuck (Deployment progressDeadlineSeconds) */
  progressDeadlineSeconds?: number;
  /** PodDisruptionBudget while replicas > 1 */
  disruptionBudget?: { enabled?: boolean; maxUnavailable?: number | string };
  slo?: SloSpec;
  networkPolicy?: NetworkPolicyOptions;
  /** how a new pod template reaches the pods; default RollingUpdate */
  strategy?: StrategySpec;
}

export type ConditionType = 'Ready' | 'Available' | 'Migrated' | 'PostMigrated' | 'Progressing' | 'Degraded' | 'Paused' | 'MonitoringAvailable';

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
  /** last image reference whose migration succeeded (informational; migratedInputs decides) */
  migratedImage?: string;
  /** hash of the pre-deploy migration Job's inputs that last succeeded (or came back from history) */
  migratedInputs?: string;
  /** registry digest (sha256:...) the migration of migratedImage ran; the Deployment runs image:tag@digest */
  imageDigest?: string;
  /** revisions migrated, newest first (bounded): what a rollback without a Job may return to */
  history?: Revision[];
  replicas?: number;
  readyReplicas?: number;
  /** hash of the Deployment pod template last seen rolled out (a replica change keeps Ready) */
  templateHash?: string;
  /** label selector string, for the scale subresource */
  selector?: string;
  /** the progressive rollout (spec.strategy Canary) of the newest revision */
  rollout?: RolloutStatus;
}

/** One release as the operator recorded it in status.history. */
export interface Revision {
  /** image:tag */
  image: string;
  /** registry digest its migration pod ran, when known */
  digest?: string;
  /** hash of its pre-deploy migration Job's inputs (image, command, env, Secret reference and value hash, retry) */
  inputs: string;
  /** when its pre-deploy migration succeeded */
  migratedAt: string;
  /** last applied migration after it ran (from the migration pod's termination message), when known */
  schemaHead?: string;
  /** post-deploy migrations its pre-deploy run reported pending; absent = unknown */
  pendingPost?: string[];
  /** whether its post-deploy migration succeeded (or had nothing to do) */
  postMigrated?: boolean;
  /** its post-deploy Job was stopped while it ran: what it applied is unknown (a rollback past it runs a Job) */
  postInterrupted?: boolean;
  /** contract migrations its post-deploy Job applied: rolling back past them is refused */
  contract?: string[];
  /** when its rollout first completed, and when another revision's rollout replaced it */
  firstServed?: string;
  lastServed?: string;
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
