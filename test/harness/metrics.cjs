// The one reader of the Prometheus text exposition format for tests and benchmarks (the app's and
// the operator's /metrics, as prom-client writes them). CommonJS, so .mjs benchmarks load it too.
'use strict';

const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?$/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;
const unescape = (v) => v.replace(/\\(["\\n])/g, (_, c) => (c === 'n' ? '\n' : c));
const number = (v) => (v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));

/** Every sample line: name, labels, value (comments and # HELP / # TYPE skipped). */
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = unescape(l[2]);
    out.push({ name: m[1], labels, value: number(m[3]) });
  }
  return out;
}

const matches = (series, name, labels, exact) => series.name === name
  && Object.entries(labels).every(([k, v]) => series.labels[k] === v)
  && (!exact || Object.keys(series.labels).length === Object.keys(labels).length);

/** The value of the first series `name` carrying these labels (exact: and no others); undefined if none. */
function metricValue(text, name, labels = {}, { exact = false } = {}) {
  return parseMetrics(text).find((s) => matches(s, name, labels, exact))?.value;
}

/** The sum over every series `name` carrying these labels (0 if none). */
function metricSum(text, name, labels = {}) {
  return parseMetrics(text).filter((s) => matches(s, name, labels, false)).reduce((n, s) => n + s.value, 0);
}

module.exports = { parseMetrics, metricValue, metricSum };
