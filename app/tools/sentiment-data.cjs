// Labelled sentences for the sentiment model: the UCI "Sentiment Labelled Sentences" data set
// (Kotzias et al., KDD 2015: 1,000 Amazon, 1,000 IMDB, 1,000 Yelp sentences, label 1 = positive)
// as shipped in the `sentiment` npm package's test fixtures (devDependency; nothing is committed).
//
// Split deterministically by a hash of the text: 60% "tune" (training and any choice of settings),
// 40% "eval" (only ever scored, never used to fit or choose anything).
'use strict';
const path = require('node:path');

const SOURCES = ['amazon', 'imdb', 'yelp'];

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function loadAll() {
  const dir = path.join(path.dirname(require.resolve('sentiment/package.json')), 'test', 'fixtures');
  const seen = new Set();
  const out = [];
  for (const source of SOURCES) {
    for (const row of require(path.join(dir, `${source}.json`))) {
      const text = String(row.text).trim();
      if (!text || seen.has(text)) continue; // duplicates would leak between splits
      seen.add(text);
      out.push({ text, label: row.class === 1 ? 1 : 0, source });
    }
  }
  return out;
}

/** @param {'tune'|'eval'} split */
function loadSplit(split) {
  return loadAll().filter((s) => ((fnv1a(s.text) % 10) < 6 ? 'tune' : 'eval') === split);
}

module.exports = { loadSplit, loadAll, SOURCES };
