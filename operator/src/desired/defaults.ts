// Spec defaults applied in code, mirroring what the API server fills in from the CRD schema
// (both read operator/src/api/defaults.ts). Builders call this, so they also work on specs
// that never went through the API server (unit tests, dry runs).
import {
  DEFAULT_DATABASE_SECRET_KEY,
  DEFAULT_ISSUER_PORT,
  DEFAULT_MIGRATION_BACKOFF_LIMIT,
  DEFAULT_MIGRATION_COMMAND,
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
  DEFAULT_POST_DEPLOY_COMMAND,
  DEFAULT_POST_DEPLOY_DELAY_SECONDS,
  DEFAULT_REPLICAS,
  DEFAULT_RESOURCES,
  DEFAULT_SERVICE_PORT,
  DEFAULT_SERVICE_TYPE,
  DEFAULT_ANALYSIS,
  DEFAULT_CANARY_STEPS,
  DEFAULT_MIGRATION_CHECK_SECONDS,
  DEFAULT_STRATEGY_TYPE,
} from '../api/defaults';
import type { CanaryAnalysisSpec, CanaryStep, StrategySpec, StrategyType } from '../api/types';
import type { AuthSpec, EnvVar, FastApiAppSpec, PodSpecOptions, ResourceRequirements, ServiceType, SloSpec, TopologySpread } from '../api/types';

/** A spec with every defaulted field filled in. */
export interface DefaultedSpec {
  image: string;
  tag: string;
  replicas: number;
  port: number;
  databaseSecretRef: { name: string; key: string };
  env: EnvVar[];
  resources: ResourceRequirements;
  service: { type: ServiceType; port: number };
  migration: {
    enabled: boolean; command: string[]; postDeployCommand: string[]; postDeployDelaySeconds: number;
    backoffLimit: number; activeDeadlineSeconds: number; jobsHistoryLimit: number;
  };
  monitoring: { enabled: boolean; path: string; interval: string; labels: Record<string, string>; port: number };
  /** absent: the app runs open (and logs so). No defaults inside: an unset requirement is the app's "open". */
  auth?: AuthSpec;
  paused: boolean;
  pod: Required<Omit<PodSpecOptions, 'serviceAccountName' | 'topologySpreadConstraints'>> & { serviceAccountName?: string; topologySpreadConstraints: Required<TopologySpread>[] };
  disruptionBudget: { enabled: boolean; maxUnavailable: number | string };
  progressDeadlineSeconds: number;
  /** absent: no SLO (no PrometheusRule); the window is defaulted by the builder, not the schema (slo has no {} default) */
  slo?: SloSpec;
  networkPolicy: {
    enabled: boolean; allowedNamespaces: string[]; allowedPodLabels?: Record<string, string>; allowedCIDRs: string[]; monitoringNamespace: string;
    /** port has no schema default (an absent database stays absent): the builder defaults it */
    database?: { cidr?: string; podLabels?: Record<string, string>; port?: number };
    issuer: { cidrs: string[]; port: number };
  };
  strategy: DefaultedStrategy;
}

// --- spec.strategy (issue 28) ---
export interface DefaultedStrategy {
  type: StrategyType;
  canary: { steps: CanaryStep[]; analysis: Required<CanaryAnalysisSpec>; migrationCheck: { windowSeconds: number } };
}

export function strategyDefaults(strategy: StrategySpec | undefined): DefaultedStrategy {
  const canary = strategy?.canary ?? {};
  return {
    type: strategy?.type ?? DEFAULT_STRATEGY_TYPE,
    canary: {
      steps: structuredClone(canary.steps ?? DEFAULT_CANARY_STEPS) as CanaryStep[],
      analysis: { ...DEFAULT_ANALYSIS, ...(canary.analysis ?? {}) },
      migrationCheck: { windowSeconds: canary.migrationCheck?.windowSeconds ?? DEFAULT_MIGRATION_CHECK_SECONDS },
    },
  };
}
// --- end spec.strategy ---

const copy = <T>(value: T): T => structuredClone(value);

/**
 * The spec with schema defaults applied. Like the API server, a default for an object applies
 * only when the object is absent (a user-supplied `resources` is taken as it is).
 */
export function withDefaults(spec: FastApiAppSpec): DefaultedSpec {
  const service = spec.service ?? {};
  const migration = spec.migration ?? {};
  const monitoring = spec.monitoring ?? {};
  const pod = spec.pod ?? {};
  const np = spec.networkPolicy ?? {};
  return {
    image: spec.image,
    tag: spec.tag,
    replicas: spec.replicas ?? DEFAULT_REPLICAS,
    port: spec.port ?? DEFAULT_PORT,
    databaseSecretRef: {
      name: spec.databaseSecretRef.name,
      key: spec.databaseSecretRef.key ?? DEFAULT_DATABASE_SECRET_KEY,
    },
    env: copy(spec.env ?? []),
    resources: copy(spec.resources ?? DEFAULT_RESOURCES),
    service: {
      type: service.type ?? DEFAULT_SERVICE_TYPE,
      port: service.port ?? DEFAULT_SERVICE_PORT,
    },
    migration: {
      enabled: migration.enabled ?? true,
      command: [...(migration.command ?? DEFAULT_MIGRATION_COMMAND)],
      postDeployCommand: [...(migration.postDeployCommand ?? DEFAULT_POST_DEPLOY_COMMAND)],
      postDeployDelaySeconds: migration.postDeployDelaySeconds ?? DEFAULT_POST_DEPLOY_DELAY_SECONDS,
      backoffLimit: migration.backoffLimit ?? DEFAULT_MIGRATION_BACKOFF_LIMIT,
      activeDeadlineSeconds: migration.activeDeadlineSeconds ?? DEFAULT_MIGRATION_DEADLINE_SECONDS,
      jobsHistoryLimit: migration.jobsHistoryLimit ?? DEFAULT_MIGRATION_JOBS_HISTORY_LIMIT,
    },
    monitoring: {
      enabled: monitoring.enabled ?? true,
      path: monitoring.path ?? DEFAULT_MONITORING_PATH,
      interval: monitoring.interval ?? DEFAULT_MONITORING_INTERVAL,
      labels: { ...(monitoring.labels ?? {}) },
      port: monitoring.port ?? DEFAULT_METRICS_PORT,
    },
    ...(spec.auth ? { auth: copy(spec.auth) } : {}),
    paused: spec.paused ?? false,
    pod: {
      ...(pod.serviceAccountName ? { serviceAccountName: pod.serviceAccountName } : {}),
      imagePullSecrets: copy(pod.imagePullSecrets ?? []),
      nodeSelector: copy(pod.nodeSelector ?? {}),
      tolerations: copy(pod.tolerations ?? []),
      topologySpreadConstraints: (pod.topologySpreadConstraints ?? DEFAULT_TOPOLOGY_SPREAD).map((t) => ({
        topologyKey: t.topologyKey, maxSkew: t.maxSkew ?? 1, whenUnsatisfiable: t.whenUnsatisfiable ?? 'ScheduleAnyway',
      })),
      labels: copy(pod.labels ?? {}),
      annotations: copy(pod.annotations ?? {}),
    },
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
    disruptionBudget: {
      enabled: spec.disruptionBudget?.enabled ?? true,
      maxUnavailable: spec.disruptionBudget?.maxUnavailable ?? DEFAULT_PDB_MAX_UNAVAILABLE,
    },
    ...(spec.slo ? { slo: copy(spec.slo) } : {}),
    networkPolicy: {
      enabled: np.enabled ?? true,
      allowedNamespaces: [...(np.allowedNamespaces ?? [])],
      ...(np.allowedPodLabels ? { allowedPodLabels: { ...np.allowedPodLabels } } : {}),
      allowedCIDRs: [...(np.allowedCIDRs ?? [])],
      monitoringNamespace: np.monitoringNamespace ?? DEFAULT_MONITORING_NAMESPACE,
      ...(np.database ? { database: copy(np.database) } : {}),
      issuer: { cidrs: [...(np.issuer?.cidrs ?? [])], port: np.issuer?.port ?? DEFAULT_ISSUER_PORT },
    },
    strategy: strategyDefaults(spec.strategy),
  };
}
