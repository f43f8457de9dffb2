// `npm run bench:e2e`: runs the end-to-end suite (test/e2e) on the real cluster and prints its
// measurements as a table: cluster start with cached binaries, first deploy and tag change to
// Ready, requests sent/failed during each rollout, cluster memory, operator failover, teardown.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-bench-')), 'report.json');
const started = Date.now();
const run = spawnSync('npx', ['jest', 'test/e2e', '--runInBand'], { stdio: 'inherit', env: { ...process.env, E2E_REPORT_FILE: report } });
const wall = (Date.now() - started) / 1000;
if (!fs.existsSync(report)) {
  console.error(`bench:e2e: the suite wrote no report (exit ${run.status})`);
  process.exit(1);
}
const { timings: t, rollouts } = JSON.parse(fs.readFileSync(report, 'utf8'));
const s = (v) => (v === undefined ? 'n/a' : `${Number(v).toFixed(1)} s`);
const rows = [
  ['cluster start, cached binaries (target <= 15 s)', s(t.clusterStartSeconds)],
  ['image builds (app, operator, 5 variants)', s(t.buildImagesSeconds)],
  ['images pushed to the cluster registry (operator, 6 app images)', s(t.pushImagesSeconds)],
  ['first deploy: apply -> Ready (target <= 30 s)', s(t.firstDeployReadySeconds)],
  ['tag change -> Ready, with a migration (target <= 30 s)', s(t.tagChangeReadySeconds)],
  ['operator failover: leader deleted -> new leader', s(t.failoverSeconds)],
  ['cluster memory after first deploy (PSS)', t.clusterMemoryMb === undefined ? 'n/a' : `${t.clusterMemoryMb} MB`],
  ['queries held behind a lock: held / requests / reads answered 503 by the app / slowest read (none refused)',
    t.heldLockSeconds === undefined ? 'n/a' : `${s(t.heldLockSeconds)} / ${t.heldLockRequests} / ${t.heldLockSlow503} / ${(t.heldLockSlowestMs / 1000).toFixed(1)} s`],
  ['teardown', s(t.teardownSeconds)],
  ['whole suite, wall time', `${wall.toFixed(1)} s`],
];
for (const [name, r] of Object.entries(rollouts)) rows.push([`rollout ${name}: requests sent / failed (target 0 failed)`, `${r.sent} / ${r.failed} in ${r.seconds.toFixed(0)} s`]);
console.log('\n| measurement | value |\n|---|---|');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
process.exit(run.status ?? 1);
