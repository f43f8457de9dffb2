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
/** The app image's pre-deploy (expand) migrate command (WORKDIR /app); see docs/app/migrations.md. */
export const DEFAULT_MIGRATION_COMMAND: readonly string[] = ['node', 'dist/app/src/migrate.js', 'pre'];
/** The post-deploy (contract) migrate command, run once the release is fully rolled out. */
export const DEFAULT_POST_DEPLOY_COMMAND: readonly string[] = ['node', 'dist/app/src/migrate.js', 'post'];
export const DEFAULT_POST_DEPLOY_DELAY_SECONDS = 0;
/** Revisions kept in status.history (rollback without a Job is possible to these). */
export const REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_MIGRATION_BACKOFF_LIMIT = 2;
export const DEFAULT_MIGRATION_DEADLINE_SECONDS = 600;
/** Finished migration Jobs kept per app (the Job of the current spec always is). */
export const DEFAULT_MIGRATION_JOBS_HISTORY_LIMIT = 3;
export const DEFAULT_MONITORING_PATH = '/metrics';
/** The app's METRICS_PORT: /metrics is served there only, never on the Service's port. */
export const DEFAULT_METRICS_PORT = 9464;
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
export const RESERVED_ENV_NAMES: readonly string[] = ['DATABASE_URL', 'PORT', 'METRICS_PORT'];
/** Env vars the operator sets from spec.auth; spec.env may not set them while spec.auth is set. */
export const AUTH_ENV_NAMES: readonly string[] = ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URI', 'AUTH_READS', 'AUTH_PREDICT'];

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

// --- spec.strategy (issue 28) ---
export const DEFAULT_STRATEGY_TYPE = 'RollingUpdate';
/** 20% for 60 s, 50% for 60 s, then promotion. */
export const DEFAULT_CANARY_STEPS = [
  { weight: 20 }, { pause: { durationSeconds: 60 } }, { weight: 50 }, { pause: { durationSeconds: 60 } },
] as const;
export const DEFAULT_ANALYSIS = {
  intervalSeconds: 10, initialDelaySeconds: 10, windowSeconds: 60, failureLimit: 2, minRequests: 20,
  maxErrorRatio: '0.05', maxErrorRatioIncrease: '0.02', maxP99Seconds: '2.5', maxP99Factor: '2',
} as const;
export const DEFAULT_MIGRATION_CHECK_SECONDS = 30;
