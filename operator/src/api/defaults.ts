// Constants of the FastApiApp API that are not schema defaults. The defaults of spec fields live in
// the schema itself (schema.ts, `Defaulted(...)`): the CRD carries them and desired/withDefaults
// applies them from there. What is here is either enforced by a schema rule or defaulted by a
// builder because the field's parent must stay absent when unset (slo, networkPolicy.database).

/** Revisions kept in status.history (rollback without a Job is possible to these). */
export const REVISION_HISTORY_LIMIT = 10;

/** Env var names the operator sets itself; spec.env may not override them. */
export const RESERVED_ENV_NAMES: readonly string[] = ['DATABASE_URL', 'PORT', 'METRICS_PORT'];
/** Env vars the operator sets from spec.auth; spec.env may not set them while spec.auth is set. */
export const AUTH_ENV_NAMES: readonly string[] = ['AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_JWKS_URI', 'AUTH_READS', 'AUTH_PREDICT', 'AUTH_AUDIENCE_CLAIM', 'AUTH_SCOPE_PREFIX'];

/** Default SLO period (builder): the SRE workbook's burn rates (14.4x, 6x, 3x, 1x) are those of a 30-day window. */
export const DEFAULT_SLO_WINDOW = '30d';
/**
 * Bucket boundaries (seconds) of the app's http_request_duration_seconds histogram
 * (app/src/observability/metrics.ts): an SLO latency threshold must be one of them.
 */
export const LATENCY_BUCKETS: readonly string[] = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5'];

/** networkPolicy.database.port when unset (builder). */
export const DEFAULT_DATABASE_PORT = 5432;

/** Names of the built-in analysis checks; a custom metric may not take one (status and metrics name checks by it). */
export const BUILTIN_CHECKS = ['minRequests', 'errorRatio', 'errorRatioIncrease', 'p99', 'p99Factor'] as const;
/** Placeholders a custom analysis metric's query may use (schema rule); the operator fills them in per measurement. */
export const QUERY_PLACEHOLDERS = ['namespace', 'app', 'version', 'track', 'window'] as const;
