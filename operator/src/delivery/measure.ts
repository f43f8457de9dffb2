// The measurements of a rollout, through Prometheus: the canary against stable (the analysis
// gate), stable after the migration against stable before it (the migration check), and the
// canary's share of the app's requests. A Prometheus that cannot answer gives an inconclusive
// measurement, never a pass.
import type { AnalysisRecord, FastApiApp } from '../api/types';
import { analyze, measure } from '../analysis/analyze';
import { evaluate, type Analysis, type Check, type GateSpec, type Measurement } from '../analysis/gates';
import type { PrometheusClient } from '../analysis/prometheus';
import type { DefaultedStrategy } from '../desired/defaults';
import { appMatchers, requestRate, TRACK_PROM_LABEL, VERSION_PROM_LABEL } from '../desired/sli';
import { CANARY_TRACK } from '../desired/canary-deployment';

export function gateOf(strategy: DefaultedStrategy): GateSpec {
  const a = strategy.canary.analysis;
  return {
    window: `${a.windowSeconds}s`, minRequests: a.minRequests,
    maxErrorRatio: Number(a.maxErrorRatio), maxErrorRatioIncrease: Number(a.maxErrorRatioIncrease),
    maxP99Seconds: Number(a.maxP99Seconds), maxP99Factor: Number(a.maxP99Factor),
    ...(a.metrics?.length ? {
      metrics: a.metrics.map((m) => ({
        name: m.name, query: m.query,
        ...(m.thresholdRange.min !== undefined ? { min: Number(m.thresholdRange.min) } : {}),
        ...(m.thresholdRange.max !== undefined ? { max: Number(m.thresholdRange.max) } : {}),
      })),
    } : {}),
  };
}

const fmt = (n: number | undefined): string | undefined => (n === undefined || !Number.isFinite(n) ? undefined : String(Number(n.toPrecision(4))));

/** A custom metric's range: "in [0, 0.1]", ">= 5", "<= 0.1". */
const range = (c: Check): string =>
  (c.min !== undefined && c.limit !== undefined ? `in [${fmt(c.min)}, ${fmt(c.limit)}]` : c.min !== undefined ? `>= ${fmt(c.min)}` : `<= ${fmt(c.limit)}`);

/** "errorRatio 0.31 > 0.05 (fail), p99 0.12 <= 2.5 (pass), db-errors 3 not <= 1 (fail)": each check with its limit. */
export function describe(analysis: Analysis): string {
  return analysis.checks.map((c) => (c.custom
    ? `${c.name} ${fmt(c.value) ?? 'n/a'} ${c.verdict === 'fail' ? 'not ' : ''}${range(c)} (${c.verdict}${c.note ? `: ${c.note}` : ''})`
    : `${c.name} ${fmt(c.value) ?? 'n/a'} ${c.verdict === 'fail' ? '>' : c.verdict === 'pass' ? '<=' : 'vs'} ${fmt(c.limit)} (${c.verdict})`)).join(', ');
}

export function record(subject: AnalysisRecord['subject'], analysis: Analysis, m: Measurement, now: Date, note = ''): AnalysisRecord {
  const errorRatio = fmt(m.errorRatio);
  const p99Seconds = fmt(m.p99);
  const checks = analysis.checks.map((c) => { const value = fmt(c.value); return { name: c.name, verdict: c.verdict, ...(value !== undefined ? { value } : {}) }; });
  return {
    time: now.toISOString(), verdict: analysis.verdict, subject, requests: Math.round(m.requests),
    ...(errorRatio !== undefined ? { errorRatio } : {}), ...(p99Seconds !== undefined ? { p99Seconds } : {}),
    checks, message: `${note}${describe(analysis)}`,
  };
}

const unreachable = (subject: AnalysisRecord['subject'], err: unknown, now: Date): AnalysisRecord =>
  ({ time: now.toISOString(), verdict: 'inconclusive', subject, requests: 0, message: `no measurement: ${(err as Error).message}` });

export async function measureCanary(prom: PrometheusClient | undefined, app: FastApiApp, strategy: DefaultedStrategy,
  canaryVersion: string, stableVersion: string | undefined, now: Date, track = CANARY_TRACK): Promise<AnalysisRecord> {
  if (!prom) return unreachable('canary', new Error('the operator has no PROMETHEUS_URL'), now);
  try {
    // by track as well as version: a release under the same tag (env or Secret only) is still told apart
    const r = await analyze(prom, app, gateOf(strategy), canaryVersion, stableVersion, undefined, { version: track, stable: '' });
    return record('canary', r, r.version, now);
  } catch (err) {
    return unreachable('canary', err, now);
  }
}

/** Stable over the window since `since` (the migration) against the same length of time before it. */
export async function measureStableAfterMigration(prom: PrometheusClient | undefined, app: FastApiApp, strategy: DefaultedStrategy,
  stableVersion: string, since: Date, now: Date): Promise<AnalysisRecord> {
  if (!prom) return unreachable('stable', new Error('the operator has no PROMETHEUS_URL'), now);
  const seconds = Math.max(10, Math.round((now.getTime() - since.getTime()) / 1000));
  const gate = { ...gateOf(strategy), window: `${seconds}s` };
  try {
    const [after, before] = await Promise.all([measure(prom, app, stableVersion, gate.window, now, ''), measure(prom, app, stableVersion, gate.window, since, '')]);
    return record('stable', evaluate(gate, after, before), after, now, `stable ${stableVersion} over ${seconds}s after the migration: `);
  } catch (err) {
    return unreachable('stable', err, now);
  }
}

/** The canary's (or preview's, by `track`) share of the app's requests over the window, percent; undefined without traffic or Prometheus. */
export async function canaryShare(prom: PrometheusClient | undefined, app: FastApiApp, strategy: DefaultedStrategy, canaryVersion: string,
  track = CANARY_TRACK): Promise<string | undefined> {
  if (!prom) return undefined;
  const window = `${strategy.canary.analysis.windowSeconds}s`;
  const all = appMatchers(app);
  const canary = `${all}, ${VERSION_PROM_LABEL}=${JSON.stringify(canaryVersion)}, ${TRACK_PROM_LABEL}=${JSON.stringify(track)}`;
  const q = `100 * (${requestRate(canary, window, [])} or vector(0)) / (${requestRate(all, window, [])} > 0)`;
  try {
    return fmt(await prom.value(q));
  } catch {
    return undefined;
  }
}
