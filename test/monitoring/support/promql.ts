// PromQL helpers for the dashboard tests: Grafana variable substitution and metric-name extraction.

/** Grafana's built-in interval variables and the window each stands for in the tests. */
export interface Substitutions {
  /** Values of the dashboard's own variables (namespace, job, ...), as regex-safe strings. */
  vars: Record<string, string>;
  /** Concrete window for $__rate_interval / $__interval / $__range, e.g. `1m`. */
  window: string;
}

export class UnknownVariableError extends Error {
  override name = 'UnknownVariableError';
}

/** Replaces $var, ${var}, ${var:fmt} and [[var]]; throws on a variable it does not know. */
export function substitute(expr: string, { vars, window }: Substitutions): string {
  const builtins: Record<string, string> = { __rate_interval: window, __interval: window, __range: window };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (_m, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    const value = builtins[name] ?? vars[name];
    if (value === undefined) throw new UnknownVariableError(`unknown variable $${name} in: ${expr}`);
    return value;
  });
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless',
  'offset', 'inf', 'nan', 'atan2']);

/**
 * Metric names a PromQL expression selects. Not a full parser: enough for the expressions we
 * write (no __name__ matchers). Strings, label matchers, ranges and grouping clauses are removed
 * first; identifiers followed by "(" are functions or aggregations.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const token = m[0];
    const start = m.index ?? 0;
    const before = stripped[start - 1] ?? ' ';
    const after = stripped.slice(start + token.length);
    if (/[0-9.]/.test(before)) continue; // 5m, 1e3
    if (/^\s*\(/.test(after)) continue; // function or aggregation
    if (KEYWORDS.has(token.toLowerCase())) continue;
    names.add(token);
  }
  return [...names].sort();
}

/** Sample names in a Prometheus text exposition (histograms appear as _bucket/_sum/_count). */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

/** Series Prometheus itself attaches to every scrape. */
export const SCRAPE_SERIES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'];

/**
 * An alert expression with its numeric thresholds removed, e.g. `x > 0.05 and on (a) y > 0.1`
 * -> `x and on (a) y`: what the alert watches, which must exist while nothing is wrong.
 */
export function withoutThresholds(expr: string): string {
  return expr.replace(/\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?-?[0-9.]+(?:e-?[0-9]+)?(?![0-9a-zA-Z_:])/g, '');
}

/**
 * What an alert watches, as an expression that has series while nothing is wrong: its thresholds
 * removed, and for an absence alert the series whose absence it reports (`absent(x)` -> `x`,
 * `a unless on (...) b` -> `a`).
 */
export function watchedSeries(expr: string): string {
  const absent = /^\s*absent\((.*)\)\s*$/s.exec(expr);
  if (absent) return withoutThresholds(absent[1] as string);
  return withoutThresholds(beforeTopLevelUnless(expr));
}

/** The expression up to its first `unless` outside any parentheses (all of it when there is none). */
function beforeTopLevelUnless(expr: string): string {
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /\sunless\b/.test(expr.slice(i, i + 8))) return expr.slice(0, i);
  }
  return expr;
}
