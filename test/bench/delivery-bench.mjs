// `npm run bench:delivery`: the progressive-delivery scenarios of the monitoring suite
// (test/e2e-monitoring/delivery.ts) on the real cluster under the real Prometheus Operator, plus
// DELIVERY_BENCH_RELEASES (default 10) good releases with 0.5% background errors for the false-abort
// count, then their measurements as a table beside issue 28's targets.
// `node test/bench/delivery-bench.mjs --from results.json` prints the table of an earlier run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const from = process.argv.indexOf('--from');
let results;
let status = 0;
let wall;
if (from > 0) {
  results = JSON.parse(fs.readFileSync(process.argv[from + 1], 'utf8'));
} else {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-bench-')), 'results.json');
  const started = Date.now();
  const run = spawnSync('npx', ['jest', 'test/e2e-monitoring/prometheus-operator.test.ts', '--runInBand', '-t', 'delivery'], {
    stdio: 'inherit',
    env: { ...process.env, JEST_TIER: 'cluster', DELIVERY_RESULTS: file, DELIVERY_BENCH_RELEASES: process.env.DELIVERY_BENCH_RELEASES ?? '10' },
  });
  wall = (Date.now() - started) / 1000;
  status = run.status ?? 1;
  if (!fs.existsSync(file)) {
    console.error(`bench:delivery: the suite wrote no results (exit ${status})`);
    process.exit(1);
  }
  results = JSON.parse(fs.readFileSync(file, 'utf8'));
  console.log(`results: ${file}`);
}

const r = results;
const s = (v) => (v === undefined ? 'n/a' : `${v} s`);
const n = (v) => (v === undefined ? 'n/a' : String(v));
const rows = [
  ['good Canary release (20% -> 60%, 10 s pauses)', 'tag change -> Promoted', s(r.good?.tagChangeToPromotedS), ''],
  ['', 'failed requests', n(r.good?.failed), '0'],
  ['5xx release (20% errors)', 'first canary pod Ready -> abort decided (Aborting)', s(r.bad?.canaryReadyToAbortDecisionS), '<= 45 s'],
  ['', 'first canary pod Ready -> Aborted (stable full size, canary at 0)', s(r.bad?.canaryReadyToAbortedS), ''],
  ['', 'share of all requests served by the bad version, 5 min from the tag change', r.badShare ? `${r.badShare.percent}% (${r.badShare.badRequests} of ${r.badShare.requests})` : 'n/a', '<= 3%'],
  ['', 'failed requests not answered by the bad version', n(r.bad?.failedNotBad), '0'],
  ['', 'tag change -> SLO page alert firing (real Prometheus)', s(r.bad?.pageAlertAfterTagChangeS), 'fires'],
  ['slow release (+300 ms)', 'first canary pod Ready -> abort decided (p99)', s(r.slow?.canaryReadyToAbortDecisionS), '<= 60 s'],
  ['', 'failed requests', n(r.slow?.failed), '0'],
  ['migration breaking the old code', 'tag change -> Halted (MigrationBrokeStable), canary pods started', r.migrationBrokeStable ? `${r.migrationBrokeStable.tagChangeToHaltedS} s, 0` : 'n/a', 'before any canary pod'],
  ['low traffic', 'phase after the pause step', r.lowTraffic ? `${r.lowTraffic.phase} (inconclusive)` : 'n/a', 'Paused, not promoted'],
  ['BlueGreen', 'tag change -> Promoted', s(r.blueGreen?.tagChangeToPromotedS), ''],
  ['', 'failed requests (promotion / rollback)', r.blueGreen ? `${r.blueGreen.failedDuringPromotion} / ${r.blueGreen.failedDuringRollback}` : 'n/a', '0 / 0'],
  ['', 'abort -> Service selects stable again', s(r.blueGreen?.abortToServiceBackS), `< scale-down delay (${r.blueGreen?.scaleDownDelayS ?? 30} s)`],
  ['10 good releases, 0.5% background errors', 'false aborts', r.falseAborts ? `${r.falseAborts.aborted} of ${r.falseAborts.releases}` : 'n/a', '0'],
  ['', 'tag change -> Promoted (median, max)', r.falseAborts ? medianMax(r.falseAborts.runs.map((x) => x.tagChangeToEndS)) : 'n/a', ''],
];
console.log(`\nrun of ${r.date}: ${r.replicas} replicas, ${r.requestsPerSecond} requests/s (keep-alive + new connection)` +
  `${r.traffic ? `, ${r.traffic.sent} sent, ${r.traffic.perSecond}/s measured` : ''}${wall ? `, wall ${wall.toFixed(0)} s` : ''}`);
console.log('\n| scenario | measure | value | target |\n|---|---|---|---|');
for (const [a, b, c, d] of rows) console.log(`| ${a} | ${b} | ${c} | ${d} |`);
process.exit(status);

function medianMax(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? `${sorted[Math.floor(sorted.length / 2)]} s, ${sorted.at(-1)} s` : 'n/a';
}
