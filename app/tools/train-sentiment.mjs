// Fits app/src/domain/sentiment/weights.json on the TUNE split only (see sentiment-data.cjs).
// Regularisation strength is chosen by 3-fold cross-validation inside the tune split.
// Run: npm run train:sentiment (builds the app into .cache/app-build, trains, writes weights.json)
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { accuracy, exportModel, featurize, fit, vocabulary } from './logistic.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { loadSplit } = require('./sentiment-data.cjs');

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
const weightsFile = path.join(root, 'app/src/domain/sentiment/weights.json');
// The neutral settings (tune-neutral.mjs) are chosen separately and kept; they depend on these
// weights (evidence is measured with them), so rerun `npm run tune:neutral -- --write` after this.
const { evidenceMin, neutral } = JSON.parse(readFileSync(weightsFile, 'utf8'));
const weights = { version: `1.0.0+uci-tune-${tune.length}`, ...exportModel(model), ...(neutral ? { evidenceMin, neutral } : {}) };
writeFileSync(weightsFile, JSON.stringify(weights) + '\n');
console.log(`chosen lambda=${best.lambda}; tune accuracy=${accuracy(model, tune).toFixed(4)}; ${Object.keys(weights.terms).length} terms written`);
console.log('next: npm run tune:neutral -- --write (the neutral settings were chosen with the previous weights)');
