// Sentiment accuracy on the held-out EVAL split (never used for training or choosing settings):
// the plain wink-nlp baseline (document score >= 0 -> positive) against our model.
// Run: npm run eval:sentiment
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { loadSplit, SOURCES } = require(path.join(root, 'app/tools/sentiment-data.cjs'));
const { createSentimentModel, logit } = require(path.join(root, '.cache/app-build/app/src/domain/sentiment/model.js'));
const { winkScore } = require(path.join(root, '.cache/app-build/app/src/domain/sentiment/features.js'));
const weights = require(path.join(root, '.cache/app-build/app/src/domain/sentiment/weights.json'));

const evalSet = loadSplit('eval');
const model = createSentimentModel();
const rows = [];
let neutral = 0;
const readLines = (file) => readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
const LABEL = { positive: 1, negative: 0 };
for (const source of [...SOURCES, 'all']) {
  const set = source === 'all' ? evalSet : evalSet.filter((s) => s.source === source);
  let base = 0;
  let ours = 0;
  let answered = 0; // what /predict answers, neutral counted wrong
  for (const s of set) {
    if ((winkScore(s.text) >= 0 ? 1 : 0) === s.label) base += 1;
    if ((logit(weights, s.text) >= 0 ? 1 : 0) === s.label) ours += 1;
    if (LABEL[model.predict(s.text).sentiment] === s.label) answered += 1;
    if (source === 'all' && model.predict(s.text).sentiment === 'neutral') neutral += 1;
  }
  rows.push({ source, n: set.length, baseline: base / set.length, ours: ours / set.length, answered: answered / set.length });
}

// Speed: the full predict() per sentence, after warm-up.
for (const s of evalSet.slice(0, 200)) model.predict(s.text);
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
for (const s of evalSet) model.predict(s.text);
const usPerSentence = Number(process.hrtime.bigint() - t0) / evalSet.length / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuUsPerSentence = (cpu.user + cpu.system) / evalSet.length;

console.log('Sentiment accuracy on the held-out eval split (UCI labelled sentences, binary)');
console.log('| source | sentences | wink-nlp baseline | this model (sign of the logit) | /predict answers (neutral counted wrong) |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.source} | ${r.n} | ${r.baseline.toFixed(4)} | ${r.ours.toFixed(4)} | ${r.answered.toFixed(4)} |`);

// Factual sentences (no sentiment evidence): the tuning set chose the neutral settings; the report set did not.
console.log('\nFactual sentences answered neutral');
console.log('| set | sentences | neutral | positive | negative |');
console.log('|---|---:|---:|---:|---:|');
for (const set of ['tune', 'report']) {
  const texts = readLines(path.join(root, `app/tools/data/factual-${set}.txt`));
  const counts = { neutral: 0, positive: 0, negative: 0 };
  for (const t of texts) counts[model.predict(t).sentiment] += 1;
  const pct = (n) => `${((100 * n) / texts.length).toFixed(1)}%`;
  console.log(`| ${set === 'tune' ? 'tuning (used to fit and choose the neutral settings)' : 'report (never used for choices)'} | ${texts.length} | ${pct(counts.neutral)} | ${pct(counts.positive)} | ${pct(counts.negative)} |`);
}
console.log(`\nneutral band: ${(100 * neutral / evalSet.length).toFixed(1)}% of eval sentences answered "neutral" by /predict`);
console.log(`speed: ${cpuUsPerSentence.toFixed(1)} µs CPU (${usPerSentence.toFixed(1)} µs wall) per sentence, predict(), Node ${process.version}`);
for (const t of ['Nothing works.', 'Not good at all.', 'No complaints, it works great!', 'Never again.', 'I love it', 'The box is blue.']) {
  const p = model.predict(t);
  console.log(`  ${JSON.stringify(t)} -> ${p.sentiment} (score ${p.score}, wink ${winkScore(t)})`);
}
