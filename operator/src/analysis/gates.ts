// Release analysis gates, pure: the PromQL that measures one version of an app (from the same
// SLI definitions as the SLO recording rules, desired/sli.ts) and the verdict on the measurements.
// Too little traffic is inconclusive, never a pass. The Canary strategy (delivery/measure.ts) calls
// analyze() (./analyze.ts) with these.
import type { FastApiApp } from '../api/types';
import { appMatchers, errorRate, latencyQuantile, requestRate, TRACK_PROM_LABEL, VERSION_PROM_LABEL } from '../desired/sli';
import type { BUILTIN_CHECKS } from '../api/defaults';
import type { CustomMetric } from './custom-metrics';

export interface GateSpec {
  /** PromQL range of each measurement, e.g. '1m' */
  window: string;
  /** fewer requests than this in the window (for the version, and for stable when compared) -> inconclusive */
  minRequests: number;
  /** 5xx ratio the version may have, 0..1 */
  maxErrorRatio?: number;
  /** how much the version's 5xx ratio may exceed stable's, in ratio points (0.01 = 1 point) */
  maxErrorRatioIncrease?: number;
  /** p99 latency the version may have, seconds */
  maxP99Seconds?: number;
  /** the version's p99 may be at most this many times stable's */
  maxP99Factor?: number;
  /** custom checks: a PromQL query each and the range its value must stay in */
  metrics?: CustomMetric[];
}

export interface Measurement {
  /** requests in the window */
  requests: number;
  /** 5xx ratio; undefined without requests */
  errorRatio?: number;
  /** p99 latency, seconds; undefined without requests */
  p99?: number;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export type BuiltinCheck = (typeof BUILTIN_CHECKS)[number];

export interface Check {
  /** a built-in check, or a custom metric's name */
  name: BuiltinCheck | (string & {});
  verdict: Verdict;
  value?: number;
  /** highest passing value */
  limit?: number;
  /** lowest passing value (custom metrics) */
  min?: number;
  /** a custom metric (spec.strategy.canary.analysis.metrics) */
  custom?: true;
  /** why there is no value */
  note?: string;
}

export interface Analysis {
  verdict: Verdict;
  checks: Check[];
}

export interface VersionQueries {
  requests: string;
  errorRatio: string;
  p99: string;
}

/**
 * The queries measuring `version` of the app (its app_kubernetes_io_version label) over `window`;
 * with `track`, only the pods of that release track ('' = pods without one: stable beside a canary).
 */
export function versionQueries(app: FastApiApp, version: string, window: string, track?: string): VersionQueries {
  const m = `${appMatchers(app)}, ${VERSION_PROM_LABEL}=${JSON.stringify(version)}${track !== undefined ? `, ${TRACK_PROM_LABEL}=${JSON.stringify(track)}` : ''}`;
  const none: string[] = [];
  return {
    // increase, not rate: the minimum is a count of requests
    requests: `sum(increase(http_requests_total{${m}}[${window}]))`,
    errorRatio: `(${errorRate(m, window, none)}) / (${requestRate(m, window, none)} > 0)`,
    p99: latencyQuantile(0.99, m, window, none),
  };
}

const upTo = (name: BuiltinCheck, value: number | undefined, limit: number): Check =>
  ({ name, verdict: value === undefined || !Number.isFinite(value) ? 'inconclusive' : value <= limit ? 'pass' : 'fail', ...(value !== undefined ? { value } : {}), limit });

/**
 * The verdict on `version` (compared with `stable` when given), with the `custom` checks already
 * judged (custom-metrics.ts): fail if any check fails, else inconclusive if any check could not be
 * made (too few requests, no stable to compare with, a query without a value), else pass.
 */
export function evaluate(gate: GateSpec, version: Measurement, stable?: Measurement, custom: readonly Check[] = []): Analysis {
  const enough = (m: Measurement | undefined) => m !== undefined && m.requests >= gate.minRequests;
  const checks: Check[] = [{ name: 'minRequests', verdict: enough(version) ? 'pass' : 'inconclusive', value: version.requests, limit: gate.minRequests }];
  if (enough(version)) {
    if (gate.maxErrorRatio !== undefined) checks.push(upTo('errorRatio', version.errorRatio, gate.maxErrorRatio));
    if (gate.maxP99Seconds !== undefined) checks.push(upTo('p99', version.p99, gate.maxP99Seconds));
    const base = enough(stable) ? stable : undefined;
    if (gate.maxErrorRatioIncrease !== undefined) {
      const diff = base?.errorRatio !== undefined && version.errorRatio !== undefined ? version.errorRatio - base.errorRatio : undefined;
      checks.push(upTo('errorRatioIncrease', diff, gate.maxErrorRatioIncrease));
    }
    if (gate.maxP99Factor !== undefined) {
      // a stable p99 of 0 (every request in the first bucket) compares as "no slower than the first bucket"
      const factor = base?.p99 !== undefined && version.p99 !== undefined && base.p99 > 0 ? version.p99 / base.p99 : undefined;
      checks.push(upTo('p99Factor', factor, gate.maxP99Factor));
    }
  }
  checks.push(...custom);
  const verdicts = new Set(checks.map((c) => c.verdict));
  return { verdict: verdicts.has('fail') ? 'fail' : verdicts.has('inconclusive') ? 'inconclusive' : 'pass', checks };
}
