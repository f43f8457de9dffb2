// Default values of the FastApiApp spec. schema.ts writes them into the CRD and
// desired/defaults.ts applies them in code, so the API server and the builders agree.

export const DEFAULT_REPLICAS = 2;
export const DEFAULT_PORT = 8000;
export const DEFAULT_DATABASE_SECRET_KEY = 'DATABASE_URL';
/** The lab's container resources. */
export const DEFAULT_RESOURCES = {
  requests: { cpu: '250m', memory: '256Mi' },
  limits: { cpu: '500m', memory: '512Mi' },
} as const;
export const DEFAULT_SERVICE_TYPE = 'ClusterIP';
export const DEFAULT_SERVICE_PORT = 80;
/** The app image's migrate command (WORKDIR /app). */
export const DEFAULT_MIGRATION_COMMAND: readonly string[] = ['node', 'dist/app/src/migrate.js', 'latest'];
export const DEFAULT_MIGRATION_BACKOFF_LIMIT = 2;
export const DEFAULT_MIGRATION_DEADLINE_SECONDS = 600;
/** Finished migration Jobs kept per app (the Job of the current spec always is). */
export const DEFAULT_MIGRATION_JOBS_HISTORY_LIMIT = 3;
export const DEFAULT_MONITORING_PATH = '/metrics';
/** Spread app pods across zones, then nodes, without blocking scheduling when it cannot. */
export const DEFAULT_TOPOLOGY_SPREAD = [
  { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' },
  { topologyKey: 'kubernetes.io/hostname', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' },
] as const;
export const DEFAULT_PDB_MAX_UNAVAILABLE = 1;
/** The Deployment controller's default: a rollout without progress for this long is RolloutStuck. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const DEFAULT_MONITORING_INTERVAL = '30s';

/** Env var names the operator sets itself; spec.env may not override them. */
export const RESERVED_ENV_NAMES: readonly string[] = ['DATABASE_URL', 'PORT'];

/** Default SLO period: the SRE workbook's burn rates (14.4x, 6x, 3x, 1x) are those of a 30-day window. */
export const DEFAULT_SLO_WINDOW = '30d';
/**
 * Bucket boundaries (seconds) of the app's http_request_duration_seconds histogram
 * (app/src/observability/metrics.ts): an SLO latency threshold must be one of them.
 */
export const LATENCY_BUCKETS: readonly string[] = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5'];

/** Where Prometheus runs (the namespace the NetworkPolicy lets reach the metrics port). */
export const DEFAULT_MONITORING_NAMESPACE = 'monitoring';
export const DEFAULT_DATABASE_PORT = 5432;
export const DEFAULT_ISSUER_PORT = 443;
