// `npm run bench:operator-auth` — what an exec credential plugin costs the operator in memory.
// The operator process (dist/operator/src/main.js) runs the same workload once per way of
// authenticating, one after another, against one control plane of its own whose kube-apiserver
// also accepts static tokens (--token-auth-file):
//   client cert         the admin kubeconfig (client certificate)
//   exec plugin         kubeconfig user.exec: test/operator/support/exec-plugin.mjs issuing tokens
//                       that expire every --ttl-seconds (refreshed during the run), through
//                       client-node's ExecAuth module only (operator/src/kube/exec-auth.ts)
//   exec, client-node   the same plugin through a whole @kubernetes/client-node KubeConfig as the
//                       operator's auth source (what the exec path loaded before)
// Workload: --apps FastApiApps (no migrations) created; wait until every Deployment exists; then
// --steady-seconds idle (the credential expires and is refreshed in it). RSS is read from /proc
// at the end (VmRSS) with the peak (VmHWM). Prints a Markdown table.
// Flags: --apps=200 --steady-seconds=15 --ttl-seconds=5
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from '../harness/free-port.cjs';
import { numberFlags } from './flags.mjs';
import { operatorCommand, startBenchControlPlane, waitReady } from './control-plane.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { KubeClient } = await import(path.join(root, 'dist/operator/src/kube/client.js'));
const { loadClusterAuth } = await import(path.join(root, 'dist/operator/src/kube/auth.js'));
const R = await import(path.join(root, 'dist/operator/src/kube/resources.js'));

const { apps: APPS, 'steady-seconds': STEADY_S, 'ttl-seconds': TTL_S } = numberFlags({ apps: 200, 'steady-seconds': 15, 'ttl-seconds': 5 });
const PLUGIN = path.join(root, 'test/operator/support/exec-plugin.mjs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'operator-auth-bench-'));

function status(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)[1]) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** The admin kubeconfig's cluster with a user that runs the exec plugin (its own counter directory). */
function execKubeconfig(admin, name) {
  const pluginDir = path.join(work, name);
  fs.mkdirSync(pluginDir);
  const file = path.join(pluginDir, 'kubeconfig');
  fs.writeFileSync(file, stringify({
    'current-context': 'c',
    clusters: [{ name: 'c', cluster: admin.clusters[0].cluster }],
    users: [{ name: 'u', user: { exec: {
      apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', command: process.execPath, args: [PLUGIN],
      env: [{ name: 'PLUGIN_DIR', value: pluginDir }, { name: 'PLUGIN_TTL_MS', value: String(TTL_S * 1000) }],
    } } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }));
  return { file, runs: () => (fs.existsSync(path.join(pluginDir, 'count')) ? Number(fs.readFileSync(path.join(pluginDir, 'count'), 'utf8')) : 0) };
}

// The "before" exec path: startOperator with a whole client-node KubeConfig as its auth source.
const CLIENT_NODE_MAIN = `
const { KubeConfig } = await import('@kubernetes/client-node');
const { loadConfig } = await import(${JSON.stringify(path.join(root, 'dist/operator/src/config.js'))});
const { startOperator } = await import(${JSON.stringify(path.join(root, 'dist/operator/src/operator.js'))});
const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG);
const config = loadConfig(process.env);
const op = await startOperator({ config, kubeConfig: kc });
process.once('SIGTERM', () => { void op.stop().then(() => process.exit(0)); });
`;

function startOperator(variant, kubeconfig, ns, port) {
  const command = operatorCommand(); // the image's node flags, then main.js
  const args = variant.clientNode ? [...command.slice(0, -1), '--input-type=module', '-e', CLIENT_NODE_MAIN] : command;
  return spawn(process.execPath, args, {
    cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, KUBECONFIG: kubeconfig, WATCH_NAMESPACES: ns, LEADER_ELECT: 'false', METRICS_ADDR: `127.0.0.1:${port}`, LOG_LEVEL: 'warn' },
  });
}

async function run(variant, admin) {
  const ns = `auth-${variant.key}`;
  await admin.create({ group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false }, { metadata: { name: ns } });
  const port = await freePort();
  const op = startOperator(variant, variant.kubeconfig, ns, port);
  try {
    await waitReady(op, port, 30_000);
    const idle = status(op.pid);
    const t0 = Date.now();
    const names = Array.from({ length: APPS }, (_, k) => `app-${String(k).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 16) {
      await Promise.all(names.slice(i, i + 16).map((name) => admin.create(R.FASTAPIAPPS, {
        metadata: { name, namespace: ns },
        spec: { image: 'registry.example/items', tag: 'v1', databaseSecretRef: { name: 'db' }, replicas: 1, migration: { enabled: false } },
      })));
    }
    for (;;) {
      const n = (await admin.list(R.DEPLOYMENTS, ns)).items.length;
      if (n === APPS) break;
      if (Date.now() - t0 > 300_000) throw new Error(`${variant.label}: ${n}/${APPS} Deployments after 300 s`);
      await sleep(250);
    }
    const convergeS = (Date.now() - t0) / 1000;
    await sleep(STEADY_S * 1000);
    const end = status(op.pid);
    log(`${variant.label}: idle ${idle.rss.toFixed(1)} MB, after ${APPS} apps ${end.rss.toFixed(1)} MB (peak ${end.hwm.toFixed(1)}), converged in ${convergeS.toFixed(1)} s`);
    return { ...variant, idle: idle.rss, rss: end.rss, hwm: end.hwm, convergeS, runs: variant.runs?.() };
  } finally {
    await new Promise((r) => { if (op.exitCode !== null) r(); else { op.once('exit', r); op.kill('SIGTERM'); } });
  }
}

fs.writeFileSync(path.join(work, 'tokens.csv'), Array.from({ length: 200 }, (_, i) => `tok-${i + 1},bench-${i + 1},uid-${i + 1},"system:masters"`).join('\n'));
const plane = await startBenchControlPlane([`--apiserver-arg=--token-auth-file=${path.join(work, 'tokens.csv')}`]);
process.on('exit', () => plane.child.kill('SIGKILL'));
try {
  log(`control plane up (${plane.kubeconfig})`);
  const adminDoc = JSON.parse(fs.readFileSync(plane.kubeconfig, 'utf8'));
  const admin = new KubeClient(await loadClusterAuth([plane.kubeconfig]));
  const exec = execKubeconfig(adminDoc, 'exec');
  const execClientNode = execKubeconfig(adminDoc, 'exec-client-node');
  const variants = [
    { key: 'cert', label: 'client certificate (static kubeconfig)', kubeconfig: plane.kubeconfig },
    { key: 'exec', label: 'exec plugin, ExecAuth module only', kubeconfig: exec.file, runs: exec.runs },
    { key: 'exec-cn', label: 'exec plugin, whole client-node KubeConfig', kubeconfig: execClientNode.file, runs: execClientNode.runs, clientNode: true },
  ];
  const rows = [];
  for (const v of variants) rows.push(await run(v, admin));
  admin.close();
  const base = rows[0];
  console.log(`\noperator RSS by auth source: ${APPS} apps, ${STEADY_S} s steady, exec credentials expiring every ${TTL_S} s; load: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log('| auth | RSS idle (MB) | RSS after apps (MB) | vs client cert | peak RSS (MB) | converge (s) | plugin runs |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.label} | ${r.idle.toFixed(1)} | ${r.rss.toFixed(1)} | ${r === base ? '—' : `${r.rss - base.rss >= 0 ? '+' : ''}${(r.rss - base.rss).toFixed(1)} MB`} | ${r.hwm.toFixed(1)} | ${r.convergeS.toFixed(1)} | ${r.runs ?? '—'} |`);
  }
} finally {
  await plane.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
