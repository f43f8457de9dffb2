#!/usr/bin/env node
// Micro-benchmark of request validation: this checkout's app/src/http/validation.ts against the
// same file at a base revision (default HEAD), interleaved in one process so other load on the
// machine hits both alike. Both trees are transpiled with swc into a temporary directory.
//   node test/bench/validation-bench.mjs [--base <git-rev>] [--rounds 5] [--ms 300]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const swc = require('@swc/core');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const base = arg('base', 'HEAD');
const rounds = Number(arg('rounds', '5'));
const ms = Number(arg('ms', '300'));

function transpileTree(src, out) {
  for (const name of readdirSync(src)) {
    const from = path.join(src, name);
    const to = path.join(out, name);
    if (statSync(from).isDirectory()) {
      mkdirSync(to, { recursive: true });
      transpileTree(from, to);
    } else if (name.endsWith('.ts')) {
      const { code } = swc.transformSync(readFileSync(from, 'utf8'), {
        filename: from,
        jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
        module: { type: 'commonjs' },
      });
      writeFileSync(to.replace(/\.ts$/, '.js'), code);
    } else cpSync(from, to);
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'validation-bench-'));
// Resolve node_modules from the checkout: the temporary trees live under it.
const work = path.join(root, '.cache', path.basename(tmp));
try {
  mkdirSync(path.join(work, 'base'), { recursive: true });
  mkdirSync(path.join(work, 'head/src'), { recursive: true });
  execFileSync('bash', ['-c', `git -C "${root}" archive ${base} app/src | tar -x -C "${tmp}"`]);
  transpileTree(path.join(tmp, 'app/src'), path.join(work, 'base'));
  transpileTree(path.join(root, 'app/src'), path.join(work, 'head/src'));
  const impls = { base: require(path.join(work, 'base/http/validation.js')), head: require(path.join(work, 'head/src/http/validation.js')) };

  const item = { name: 'Stainless steel water bottle', description: 'Keeps drinks cold for a day; the lid leaks a little.', price: 1999 };
  const long = 'The battery lasts all day and the screen is bright. '.repeat(190).slice(0, 9999);
  const cases = {
    'POST /items body': (v) => v.parseNewItem({ ...item }),
    'PATCH body': (v) => v.parseItemChanges({ price: 5 }),
    'path id': (v) => v.parseItemId('12345'),
    'list query': (v) => v.parseListQuery({ limit: '50', offset: '100', sentiment: 'positive' }),
    'predict (short)': (v) => v.parsePredict({ text: 'I love this phone' }),
    'predict/batch 5 x 10k': (v) => v.parsePredictBatch({ texts: [long, long, long, long, long] }),
    'invalid POST (3 issues)': (v) => {
      try {
        v.parseNewItem({ name: '', description: 5, price: -1 });
      } catch {
        return;
      }
      throw new Error('expected a validation error');
    },
  };
  const rate = (fn, v) => {
    let n = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) for (let i = 0; i < 200; i++, n++) fn(v);
    return (n / ms) * 1000;
  };
  console.log(`| case | base (${base}) ops/s | this checkout ops/s | ratio |\n|---|---:|---:|---:|`);
  for (const [label, fn] of Object.entries(cases)) {
    for (const v of Object.values(impls)) rate(fn, v); // warm up both
    const best = { base: 0, head: 0 };
    for (let r = 0; r < rounds; r++) for (const [k, v] of Object.entries(impls)) best[k] = Math.max(best[k], rate(fn, v));
    const f = (x) => Math.round(x).toLocaleString('en-US');
    console.log(`| ${label} | ${f(best.base)} | ${f(best.head)} | ${(best.head / best.base).toFixed(2)} |`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
