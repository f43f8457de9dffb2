// The app's service level indicators as PromQL, from its own request metrics. One definition
// shared by the SLO recording rules (prometheus-rule.ts) and the release analysis gates
// (analysis/), so a gate and an alert never measure "5xx ratio" or "p99" differently.
import type { FastApiApp } from '../api/types';
import { APP_NAME, TRACK_LABEL, VERSION_LABEL } from './labels';

/** A Kubernetes label as Prometheus names it (prometheus-operator's podTargetLabels/targetLabels). */
export const promLabel = (k8sLabel: string): string => k8sLabel.replace(/[^a-zA-Z0-9_]/g, '_');

/** Per-version labels on every app series (from the pod labels, through the ServiceMonitor's podTargetLabels). */
export const VERSION_PROM_LABEL = promLabel(VERSION_LABEL);
export const TRACK_PROM_LABEL = promLabel(TRACK_LABEL);
/** The app's series carry namespace and job (= the FastApiApp's name, the ServiceMonitor's jobLabel). */
export const APP_GROUPING = ['namespace', 'job'] as const;
export const VERSION_GROUPING = [...APP_GROUPING, VERSION_PROM_LABEL, TRACK_PROM_LABEL] as const;

const quote = (v: string): string => JSON.stringify(v);

/** Label matchers selecting one app's series. */
export function appMatchers(app: FastApiApp): string {
  return `${promLabel('app.kubernetes.io/name')}=${quote(APP_NAME)}, namespace=${quote(app.metadata.namespace)}, job=${quote(app.metadata.name)}`;
}

/**
 * Matcher of one `le` bucket. Prometheus 3 writes integral boundaries as "1.0" where
 * prom-client and Prometheus 2 write "1": both are matched.
 */
export function leMatcher(threshold: string): string {
  return /^[0-9]+$/.test(threshold) ? `le=~"${threshold}|${threshold}\\\\.0"` : `le=${quote(threshold)}`;
}

const by = (grouping: readonly string[]): string => `sum by (${grouping.join(', ')})`;

/** Requests per second over `window`. */
export function requestRate(matchers: string, window: string, grouping: readonly string[]): string {
  return `${by(grouping)} (rate(http_requests_total{${matchers}}[${window}]))`;
}

/** 5xx answers per second over `window` (0, not absent, while there is traffic but no 5xx). */
export function errorRate(matchers: string, window: string, grouping: readonly string[]): string {
  return `${by(grouping)} (rate(http_requests_total{${matchers}, status_code=~"5.."}[${window}]))` +
    ` or ${requestRate(matchers, window, grouping)} * 0`;
}

/** Requests per second slower than `threshold` seconds (a bucket boundary) over `window`. */
export function latencyMissRate(matchers: string, threshold: string, window: string, grouping: readonly string[]): string {
  return `${by(grouping)} (rate(http_request_duration_seconds_count{${matchers}}[${window}]))` +
    ` - ${by(grouping)} (rate(http_request_duration_seconds_bucket{${matchers}, ${leMatcher(threshold)}}[${window}]))`;
}

/** The q-quantile of request duration over `window`. */
export function latencyQuantile(q: number, matchers: string, window: string, grouping: readonly string[]): string {
  return `histogram_quantile(${q}, ${by([...grouping, 'le'])} (rate(http_request_duration_seconds_bucket{${matchers}}[${window}])))`;
}

/** numerator / denominator, absent (not NaN) when the denominator is 0: idle apps raise no ratio. */
export function ratio(numerator: string, denominator: string): string {
  return `(${numerator}) / (${denominator} > 0)`;
}
