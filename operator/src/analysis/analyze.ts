// One analysis run: measure a version (and stable) through Prometheus and judge it by the gate.
import type { FastApiApp } from '../api/types';
import { evaluate, versionQueries, type Analysis, type GateSpec, type Measurement } from './gates';
import type { PrometheusClient } from './prometheus';

export async function measure(prom: PrometheusClient, app: FastApiApp, version: string, window: string, time?: Date): Promise<Measurement> {
  const q = versionQueries(app, version, window);
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

/** Measures `version` (and `stable`, when given) and evaluates the gate; PrometheusError when Prometheus fails. */
export async function analyze(prom: PrometheusClient, app: FastApiApp, gate: GateSpec, version: string, stable?: string, time?: Date): Promise<AnalysisResult> {
  const [v, s] = await Promise.all([
    measure(prom, app, version, gate.window, time),
    stable !== undefined ? measure(prom, app, stable, gate.window, time) : Promise.resolve(undefined),
  ]);
  return { ...evaluate(gate, v, s), version: v, ...(s ? { stable: s } : {}) };
}
