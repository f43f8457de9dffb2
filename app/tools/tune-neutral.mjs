// Chooses `evidenceMin` (weights.json): below it a text is answered neutral. Uses only tuning
// data: the UCI tune split and app/tools/data/factual-tune.txt (sentences with no sentiment). The
// rule: the smallest threshold at which >= 80% of the tuning factual sentences are neutral.
// Run: npm run tune:neutral (prints the table; --write stores the choice in weights.json).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { loadSplit } = require(path.join(root, 'app/tools/sentiment-data.cjs'));
const { evaluate } = require(path.join(root, '.cache/app-build/app/src/domain/sentiment/model.js'));
const weightsFile = path.join(root, 'app/src/domain/sentiment/weights.json');
const weights = JSON.parse(readFileSync(weightsFile, 'utf8'));

export const readLines = (file) => readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
const tune = loadSplit('tune').map((s) => ({ ...evaluate(weights, s.text), label: s.label }));
const factual = readLines(path.join(root, 'app/tools/data/factual-tune.txt')).map((t) => evaluate(weights, t));

const TARGET = 0.8;
let chosen;
console.log('| evidenceMin | tune accuracy (neutral counted wrong) | tuning factual sentences neutral |');
console.log('|---:|---:|---:|');
for (let tau = 0; tau <= 3.0001; tau += 0.1) {
  const label = (e) => (e.evidence < tau ? 'neutral' : e.z >= 0 ? 1 : 0);
  const acc = tune.filter((e) => label(e) === e.label).length / tune.length;
  const neutral = factual.filter((e) => label(e) === 'neutral').length / factual.length;
  if (chosen === undefined && neutral >= TARGET) chosen = Math.round(tau * 10) / 10;
  console.log(`| ${tau.toFixed(1)} | ${acc.toFixed(4)} | ${(100 * neutral).toFixed(1)}% |`);
}
console.log(`\nchosen: evidenceMin = ${chosen} (smallest with >= ${100 * TARGET}% of the tuning factual sentences neutral)`);
if (process.argv.includes('--write') && chosen !== undefined) {
  writeFileSync(weightsFile, JSON.stringify({ ...weights, neutralBand: 0, evidenceMin: chosen }));
  console.log(`written to ${path.relative(root, weightsFile)}`);
}
