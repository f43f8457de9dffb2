// Logistic regression over the sentiment features (wink score, lexicon, missed negation and
// negation-marked unigrams), shared by the trainer (train-sentiment.mjs) and the neutral tuner
// (tune-neutral.mjs). Features come from the compiled app (.cache/app-build), as at runtime.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { extractFeatures } = require(path.join(root, '.cache/app-build/app/src/domain/sentiment/features.js'));
const { denseInputs, termScale } = require(path.join(root, '.cache/app-build/app/src/domain/sentiment/vectorize.js'));

const MIN_COUNT = 2;
const EPOCHS = 400;

export function featurize(rows) {
  return rows.map((r) => {
    const f = extractFeatures(r.text);
    const d = denseInputs(f);
    return { y: r.label, weight: r.weight, dense: [d.wink, d.lexicon, d.missedNegation], terms: f.terms, scale: termScale(f) };
  });
}

export function vocabulary(samples) {
  const counts = new Map();
  for (const s of samples) for (const t of new Set(s.terms)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].filter(([, c]) => c >= MIN_COUNT).map(([t]) => t);
}

/** Full-batch Adam on the L2-regularised log loss; a sample's `weight` (default 1) scales its loss. */
export function fit(samples, vocab, lambda) {
  const index = new Map(vocab.map((t, i) => [t, i]));
  const nDense = 3;
  const n = 1 + nDense + vocab.length; // bias, dense, terms
  const w = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const rows = samples.map((s) => ({ ...s, idx: s.terms.map((t) => index.get(t)).filter((i) => i !== undefined) }));
  const totalWeight = rows.reduce((n, r) => n + (r.weight ?? 1), 0);
  const lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (let epoch = 1; epoch <= EPOCHS; epoch += 1) {
    const g = new Float64Array(n);
    for (const r of rows) {
      let z = w[0];
      for (let k = 0; k < nDense; k += 1) z += w[1 + k] * r.dense[k];
      for (const i of r.idx) z += w[1 + nDense + i] * r.scale;
      const err = (1 / (1 + Math.exp(-z)) - r.y) * (r.weight ?? 1);
      g[0] += err;
      for (let k = 0; k < nDense; k += 1) g[1 + k] += err * r.dense[k];
      for (const i of r.idx) g[1 + nDense + i] += err * r.scale;
    }
    for (let j = 0; j < n; j += 1) {
      let gj = g[j] / totalWeight;
      if (j > nDense) gj += lambda * w[j]; // regularise term weights only
      m[j] = b1 * m[j] + (1 - b1) * gj;
      v[j] = b2 * v[j] + (1 - b2) * gj * gj;
      w[j] -= (lr * (m[j] / (1 - b1 ** epoch))) / (Math.sqrt(v[j] / (1 - b2 ** epoch)) + eps);
    }
  }
  return { w, index, nDense };
}

export function accuracy(model, samples) {
  let ok = 0;
  for (const s of samples) if ((logitOf(model, s) >= 0 ? 1 : 0) === s.y) ok += 1;
  return ok / samples.length;
}

/** The logit of a fitted model for one featurized sample. */
export function logitOf(model, s) {
  let z = model.w[0];
  for (let k = 0; k < model.nDense; k += 1) z += model.w[1 + k] * s.dense[k];
  for (const t of s.terms) {
    const i = model.index.get(t);
    if (i !== undefined) z += model.w[1 + model.nDense + i] * s.scale;
  }
  return z;
}

/** A fitted model as weights.json stores it: bias, dense weights, terms with |w| >= 0.01 (rounded). */
export function exportModel(model) {
  const r4 = (x) => Math.round(x * 1e4) / 1e4;
  const terms = {};
  for (const [t, i] of model.index) {
    const wt = model.w[1 + model.nDense + i];
    if (Math.abs(wt) >= 0.01) terms[t] = r4(wt);
  }
  return {
    bias: r4(model.w[0]),
    wink: r4(model.w[1]),
    lexicon: r4(model.w[2]),
    missedNegation: r4(model.w[3]),
    terms: Object.fromEntries(Object.entries(terms).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

