// Fits app/src/domain/sentiment/weights.json on the TUNE split only (see sentiment-data.cjs).
// Regularisation strength is chosen by 3-fold cross-validation inside the tune split.
// Run: npm run train:sentiment (builds the app into .cache/app-build, trains, writes weights.json)
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { loadSplit } = require('./sentiment-data.cjs');
const { extractFeatures } = require(path.join(root, '.cache/app-build/app/src/domain/sentiment/features.js'));
const { denseInputs, termScale } = require(path.join(root, '.cache/app-build/app/src/domain/sentiment/vectorize.js'));

const MIN_COUNT = 2;
const EPOCHS = 400;

function featurize(rows) {
  return rows.map((r) => {
    const f = extractFeatures(r.text);
    const d = denseInputs(f);
    return { y: r.label, dense: [d.wink, d.lexicon, d.missedNegation], terms: f.terms, scale: termScale(f) };
  });
}

function vocabulary(samples) {
  const counts = new Map();
  for (const s of samples) for (const t of new Set(s.terms)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].filter(([, c]) => c >= MIN_COUNT).map(([t]) => t);
}

/** Full-batch Adam on the L2-regularised log loss. */
function fit(samples, vocab, lambda) {
  const index = new Map(vocab.map((t, i) => [t, i]));
  const nDense = 3;
  const n = 1 + nDense + vocab.length; // bias, dense, terms
  const w = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const rows = samples.map((s) => ({ ...s, idx: s.terms.map((t) => index.get(t)).filter((i) => i !== undefined) }));
  const lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (let epoch = 1; epoch <= EPOCHS; epoch += 1) {
    const g = new Float64Array(n);
    for (const r of rows) {
      let z = w[0];
      for (let k = 0; k < nDense; k += 1) z += w[1 + k] * r.dense[k];
      for (const i of r.idx) z += w[1 + nDense + i] * r.scale;
      const err = 1 / (1 + Math.exp(-z)) - r.y;
      g[0] += err;
      for (let k = 0; k < nDense; k += 1) g[1 + k] += err * r.dense[k];
      for (const i of r.idx) g[1 + nDense + i] += err * r.scale;
    }
    for (let j = 0; j < n; j += 1) {
      let gj = g[j] / rows.length;
      if (j > nDense) gj += lambda * w[j]; // regularise term weights only
      m[j] = b1 * m[j] + (1 - b1) * gj;
      v[j] = b2 * v[j] + (1 - b2) * gj * gj;
      w[j] -= (lr * (m[j] / (1 - b1 ** epoch))) / (Math.sqrt(v[j] / (1 - b2 ** epoch)) + eps);
    }
  }
  return { w, index, nDense };
}

function accuracy(model, samples) {
  let ok = 0;
  for (const s of samples) {
    let z = model.w[0];
    for (let k = 0; k < model.nDense; k += 1) z += model.w[1 + k] * s.dense[k];
    for (const t of s.terms) {
      const i = model.index.get(t);
      if (i !== undefined) z += model.w[1 + model.nDense + i] * s.scale;
    }
    if ((z >= 0 ? 1 : 0) === s.y) ok += 1;
  }
  return ok / samples.length;
}

const tune = featurize(loadSplit('tune'));
let best = { lambda: 0, acc: -1 };
for (const lambda of [0.0003, 0.001, 0.003, 0.01, 0.03]) {
  let acc = 0;
  for (let fold = 0; fold < 3; fold += 1) {
    const train = tune.filter((_, i) => i % 3 !== fold);
    const held = tune.filter((_, i) => i % 3 === fold);
    acc += accuracy(fit(train, vocabulary(train), lambda), held) / 3;
  }
  console.log(`lambda=${lambda} cv-accuracy=${acc.toFixed(4)}`);
  if (acc > best.acc) best = { lambda, acc };
}
const model = fit(tune, vocabulary(tune), best.lambda);
const terms = {};
for (const [t, i] of model.index) {
  const wt = model.w[1 + model.nDense + i];
  if (Math.abs(wt) >= 0.01) terms[t] = Math.round(wt * 1e4) / 1e4;
}
const r4 = (x) => Math.round(x * 1e4) / 1e4;
const weights = {
  version: `1.0.0+uci-tune-${tune.length}`,
  bias: r4(model.w[0]),
  wink: r4(model.w[1]),
  lexicon: r4(model.w[2]),
  missedNegation: r4(model.w[3]),
  neutralBand: 0.1,
  terms: Object.fromEntries(Object.entries(terms).sort(([a], [b]) => (a < b ? -1 : 1))),
};
writeFileSync(path.join(root, 'app/src/domain/sentiment/weights.json'), JSON.stringify(weights, null, 0) + '\n');
console.log(`chosen lambda=${best.lambda}; tune accuracy=${accuracy(model, tune).toFixed(4)}; ${Object.keys(terms).length} terms written`);
