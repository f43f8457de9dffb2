// Custom analysis checks (spec.strategy.canary.analysis.metrics), pure: the query with its
// placeholders filled in for the measured release, and the verdict on the value Prometheus gave.
// No value (an error, an empty result, more than one series, NaN) is inconclusive, never a pass.
import { QUERY_PLACEHOLDERS } from '../api/defaults';
import type { Check } from './gates';

export interface CustomMetric {
  name: string;
  query: string;
  min?: number;
  max?: number;
}

/** What the placeholders stand for in one measurement. */
export type QueryVars = Record<(typeof QUERY_PLACEHOLDERS)[number], string>;

const PLACEHOLDER = /\{\{ *([A-Za-z]*) *\}\}/g;

export class QueryTemplateError extends Error {
  override readonly name = 'QueryTemplateError';
}

/** The query with every placeholder replaced; QueryTemplateError on one the API does not define. */
export function renderQuery(query: string, vars: QueryVars): string {
  return query.replace(PLACEHOLDER, (whole, key: string) => {
    if (!(QUERY_PLACEHOLDERS as readonly string[]).includes(key)) throw new QueryTemplateError(`unknown placeholder ${whole}`);
    return vars[key as keyof QueryVars];
  });
}

/** The check of a custom metric: within [min, max] passes, outside fails, no value is inconclusive (`problem` says why). */
export function judgeMetric(metric: CustomMetric, value: number | undefined, problem = 'no data'): Check {
  const bounds = { ...(metric.min !== undefined ? { min: metric.min } : {}), ...(metric.max !== undefined ? { limit: metric.max } : {}) };
  if (value === undefined || !Number.isFinite(value)) {
    return { name: metric.name, verdict: 'inconclusive', ...bounds, custom: true, note: value === undefined ? problem : `not a number (${value})` };
  }
  const inside = (metric.min === undefined || value >= metric.min) && (metric.max === undefined || value <= metric.max);
  return { name: metric.name, verdict: inside ? 'pass' : 'fail', value, ...bounds, custom: true };
}
