// One analysis run: measure a version (and stable) through Prometheus and judge it by the gate.
import type { FastApiApp } from '../api/types';
import { evaluate, versionQueries, type Analysis, type GateSpec, type Measurement } from './gates';
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

/** Measures `version` (and `stable`, when given) and evaluates the gate; PrometheusError when Prometheus fails. */
export async function analyze(prom: PrometheusClient, app: FastApiApp, gate: GateSpec, version: string, stable?: string, time?: Date, tracks: Tracks = {}): Promise<AnalysisResult> {
  const [v, s] = await Promise.all([
    measure(prom, app, version, gate.window, time, tracks.version),
    stable !== undefined ? measure(prom, app, stable, gate.window, time, tracks.stable) : Promise.resolve(undefined),
  ]);
  return { ...evaluate(gate, v, s), version: v, ...(s ? { stable: s } : {}) };
}
