// One analysis run: measure a version (and stable) through Prometheus and judge it by the gate.
import type { FastApiApp } from '../api/types';
import { evaluate, versionQueries, type Analysis, type Check, type GateSpec, type Measurement } from './gates';
import { judgeMetric, renderQuery, type CustomMetric, type QueryVars } from './custom-metrics';
import type { PrometheusClient } from './prometheus';

export async function measure(prom: PrometheusClient, app: FastApiApp, version: string, window: string, time?: Date, track?: string): Promise<Measurement> {
  const q = versionQueries(app, version, window, track);
  const [requests, errorRatio, p99] = await Promise.all([prom.value(q.requests, time), prom.value(q.errorRatio, time), prom.value(q.p99, time)]);
  return {
    requests: requests ?? 0,
    ...(errorRatio !== undefined ? { errorRatio } : {}),
    ...(p99 !== undefined && Number.isFinite(p99) ? { p99 } : {}),
  };
}

export interface AnalysisResult extends Analysis {
  version: Measurement;
  stable?: Measurement;
}

/** Release tracks of the two sides (pod label fastapiapp.io/track; '' = none), when they are told apart by it. */
export interface Tracks { version?: string; stable?: string }

/** A custom metric's check: its query for these vars; a query Prometheus cannot answer with one number is inconclusive. */
export async function checkMetric(prom: PrometheusClient, metric: CustomMetric, vars: QueryVars, time?: Date): Promise<Check> {
  try {
    return judgeMetric(metric, await prom.value(renderQuery(metric.query, vars), time));
  } catch (err) {
    const message = (err as Error).message;
    return judgeMetric(metric, undefined, message.length > 200 ? `${message.slice(0, 200)}...` : message);
  }
}

/**
 * Measures `version` (and `stable`, when given) and evaluates the gate, custom metrics included;
 * PrometheusError when Prometheus fails the built-in queries.
 */
export async function analyze(prom: PrometheusClient, app: FastApiApp, gate: GateSpec, version: string, stable?: string, time?: Date, tracks: Tracks = {}): Promise<AnalysisResult> {
  const vars: QueryVars = { namespace: app.metadata.namespace, app: app.metadata.name, version, track: tracks.version ?? '', window: gate.window };
  const [v, s, custom] = await Promise.all([
    measure(prom, app, version, gate.window, time, tracks.version),
    stable !== undefined ? measure(prom, app, stable, gate.window, time, tracks.stable) : Promise.resolve(undefined),
    Promise.all((gate.metrics ?? []).map((m) => checkMetric(prom, m, vars, time))),
  ]);
  return { ...evaluate(gate, v, s, custom), version: v, ...(s ? { stable: s } : {}) };
}
