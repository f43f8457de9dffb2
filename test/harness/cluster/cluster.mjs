// One real one-node cluster: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// containerd, kubelet and kube-proxy, each with its state under one directory. startCluster()
// records everything it starts and changes in STATE_FILE before it does it, so teardown() works
// from that file alone (after a crash too) and leaves the host as it was.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { freePort } from '../free-port.cjs';
import { waitFor as poll } from '../poll.cjs';
import { descendants, isAlive } from '../processes.cjs';
import pki from '../envtest/pki.cjs';
import kube from '../envtest/kubeconfig.cjs';
import {
  apiServerArgs, apiServerUrl, clusterPaths, cniConfig, COMPONENT_USERS, containerdConfig, controllerManagerArgs,
  etcdArgs, kubeletArgs, kubeletConfig, kubeProxyArgs, kubeProxyConfig, registryConfig, registryHostsToml, schedulerArgs,
} from './configs.mjs';
import { restoreHost, run, saveHostState, setUpNetwork, unmountBelow } from './host.mjs';
import { BRIDGE_IP, KUBERNETES_SERVICE_IP, NODE_NAME, POD_SUBNET, REGISTRY_HOST, STATE_DIR, STATE_FILE } from './layout.mjs';
import { binaries, importArchive, pauseArchive } from './images.mjs';

const require = createRequire(import.meta.url);
const YAML = require('yaml');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Logs of the last cluster, kept after teardown for whoever reads a failure. */
export const LAST_LOGS = path.join(os.tmpdir(), 'fastapiapp-cluster-last-logs');

export class ClusterError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ClusterError';
  }
}

export function readState() {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeState(state) {
  fs.mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  fs.writeFileSync(`${STATE_FILE}.new`, JSON.stringify(state, null, 2));
  fs.renameSync(`${STATE_FILE}.new`, STATE_FILE);
}


function tail(file, lines = 25) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Debian's docker-registry (pretest installs it), or a clear error naming the package. */
function registryBinary() {
  const found = (process.env.PATH ?? '').split(':').map((d) => path.join(d, 'docker-registry')).find((f) => fs.existsSync(f));
  if (!found) throw new ClusterError('docker-registry not found: the cluster serves images from it (apt-get install docker-registry; npm test\'s pretest does)');
  return found;
}

/** Admin connection for kube.rawRequest / kubeconfig files. */
function connection(paths, name = 'admin') {
  return { server: apiServerUrl(), caFile: `${paths.pki}/ca.crt`, certFile: `${paths.pki}/${name}.crt`, keyFile: `${paths.pki}/${name}.key`, user: name };
}

function writePki(paths) {
  fs.mkdirSync(paths.pki, { recursive: true, mode: 0o700 });
  const ca = pki.createCa(paths.pki, 'fastapiapp-cluster-ca');
  pki.issueCert(ca, paths.pki, 'apiserver', {
    user: 'kube-apiserver',
    serverNames: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'],
    ips: [BRIDGE_IP, KUBERNETES_SERVICE_IP, '127.0.0.1'],
  });
  pki.issueCert(ca, paths.pki, 'kubelet-serving', { user: `system:node:${NODE_NAME}`, serverNames: [NODE_NAME], ips: [BRIDGE_IP] });
  pki.issueCert(ca, paths.pki, 'apiserver-kubelet-client', { user: 'kube-apiserver-kubelet-client', groups: ['system:masters'] });
  pki.createServiceAccountKeys(paths.pki);
  for (const [name, id] of Object.entries(COMPONENT_USERS)) {
    pki.issueCert(ca, paths.pki, name, id);
    kube.writeKubeconfig(paths.kubeconfig(name), connection(paths, name));
  }
}

function writeConfigs(paths, ports) {
  for (const d of [paths.logs, paths.cniConfDir, paths.cniIpamDir, paths.kubeletRoot, paths.kubeletCertDir, paths.podLogs,
    paths.volumePlugins, paths.containerdRoot, paths.containerdState, paths.images, paths.registryData,
    path.join(paths.containerdCerts, REGISTRY_HOST)]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(paths.containerdConfig, containerdConfig(paths));
  fs.writeFileSync(path.join(paths.containerdCerts, REGISTRY_HOST, 'hosts.toml'), registryHostsToml());
  fs.writeFileSync(paths.registryConfig, YAML.stringify(registryConfig(paths)));
  fs.writeFileSync(path.join(paths.cniConfDir, '10-fastapiapp.conflist'), JSON.stringify(cniConfig(paths), null, 2));
  fs.writeFileSync(paths.kubeletConfig, YAML.stringify(kubeletConfig(paths, ports)));
  fs.writeFileSync(paths.proxyConfig, YAML.stringify(kubeProxyConfig(paths, ports)));
  fs.writeFileSync(paths.resolvConf, '');
}

/** Polls check() until true; fails at once, with the log's tail, if the process died. */
function waitFor(what, proc, check, timeoutMs = 60_000) {
  return poll(what, async () => ((await check()) ? true : undefined), timeoutMs, 100, {
    stopIf: () => (proc && !isAlive(proc.pid) ? 'exited before it was ready' : undefined),
    makeError: (m) => new ClusterError(`${m}${proc ? `; last log lines (${proc.log}):\n${tail(proc.log)}` : ''}`),
  });
}

async function apiJson(paths, method, urlPath, body) {
  const res = await kube.rawRequest(connection(paths), method, urlPath, { body: body && JSON.stringify(body), timeoutMs: 5000 });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

/**
 * Starts the cluster. `owner` is recorded for teardown decisions (jest's PID when a test run
 * started it). Returns the cluster's info (see clusterInfo).
 */
export async function startCluster({ owner, build = false } = {}) {
  if (process.getuid?.() !== 0) throw new ClusterError('the test cluster needs root (containerd, kubelet, network namespaces, iptables)');
  const existing = readState();
  if (existing) {
    if (existing.daemonPid && isAlive(existing.daemonPid)) throw new ClusterError(`a cluster is already running (pid ${existing.daemonPid}, ${existing.dir}); npm run cluster -- down`);
    await teardown(existing); // left by a killed run
  }
  const t0 = Date.now();
  const phases = {};
  const mark = (phase) => { phases[phase] = Date.now() - t0; };
  const bins = binaries({ build });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastapiapp-cluster-'));
  fs.chmodSync(dir, 0o755);
  const paths = clusterPaths(dir);
  const state = { dir, owner, daemonPid: process.pid, startedAt: new Date().toISOString(), procs: [], host: saveHostState(), kube: bins.kube };
  writeState(state);

  const launch = (name, file, args, extra = {}) => {
    const log = path.join(paths.logs, `${name}.log`);
    const out = fs.openSync(log, 'a');
    const child = spawn(file, args, { detached: true, stdio: ['ignore', out, out], ...extra });
    fs.closeSync(out);
    child.on('error', () => {}); // a failed spawn shows as a dead pid in waitFor
    child.unref();
    const proc = { name, pid: child.pid ?? -1, log };
    state.procs.push(proc);
    writeState(state);
    return proc;
  };

  try {
    const [clientPort, peerPort, healthzPort, metricsPort, kcmPort, schedPort] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()));
    const ports = { clientPort, peerPort, healthzPort, metricsPort };
    writePki(paths);
    writeConfigs(paths, ports);
    mark('certs');
    setUpNetwork();
    mark('network');

    // The registry listens on the bridge's address, which exists only from here on.
    const registry = launch('registry', registryBinary(), ['serve', paths.registryConfig]);

    const containerd = launch('containerd', 'containerd', ['--config', paths.containerdConfig]);
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const etcd = launch('etcd', bins.etcd, etcdArgs(paths, ports));
    const apiserver = launch('kube-apiserver', bins.kubeApiserver, apiServerArgs(paths, { etcdUrl }));
    const ctr = (args) => run('ctr', ['--address', paths.containerdSocket, ...args]);
    await waitFor('containerd', containerd, async () => fs.existsSync(paths.containerdSocket) && Boolean(ctr(['version'])));
    importArchive(paths.containerdSocket, pauseArchive(bins));
    mark('containerd');
    await waitFor(`registry (http://${REGISTRY_HOST}/v2/)`, registry,
      async () => (await fetch(`http://${REGISTRY_HOST}/v2/`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined))?.ok);
    mark('registry');
    await waitFor('kube-apiserver', apiserver, async () => (await kube.rawRequest(connection(paths), 'GET', '/readyz', { timeoutMs: 2000 })).statusCode === 200);
    if (!isAlive(etcd.pid)) throw new ClusterError(`etcd exited:\n${tail(etcd.log)}`);
    mark('apiserver');

    launch('kube-controller-manager', bins.kube, controllerManagerArgs(paths, { securePort: kcmPort }));
    launch('kube-scheduler', bins.kube, schedulerArgs(paths, { securePort: schedPort }));
    const kubelet = launch('kubelet', bins.kube, kubeletArgs(paths));
    const proxy = launch('kube-proxy', bins.kube, kubeProxyArgs(paths));
    await waitFor('kubelet (node Ready)', kubelet, async () => {
      const node = await apiJson(paths, 'GET', `/api/v1/nodes/${NODE_NAME}`);
      return node.body?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 90_000);
    mark('node');
    await waitFor('kube-proxy', proxy, async () => (await fetch(`http://127.0.0.1:${healthzPort}/healthz`, { signal: AbortSignal.timeout(1000) })).ok);
    // Pods need the default ServiceAccount, which the controller manager creates.
    await waitFor('kube-controller-manager (default ServiceAccount)', state.procs.find((p) => p.name === 'kube-controller-manager'),
      async () => (await apiJson(paths, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200);
    mark('ready');
    state.ready = true;
    state.phases = phases;
    writeState(state);
    return clusterInfo(state);
  } catch (err) {
    await teardown(state);
    throw err;
  }
}

/** What clients of a running cluster need. */
export function clusterInfo(state) {
  const paths = clusterPaths(state.dir);
  return {
    dir: state.dir,
    kubeconfig: paths.kubeconfig('admin'),
    server: apiServerUrl(),
    bridgeIp: BRIDGE_IP,
    containerdSocket: paths.containerdSocket,
    kubectl: state.kube,
    podSubnet: POD_SUBNET,
    registry: REGISTRY_HOST,
    logs: paths.logs,
    phases: state.phases,
    owner: state.owner,
    daemonPid: state.daemonPid,
  };
}

async function stopProc(proc, graceMs = 5000) {
  if (!proc || proc.pid <= 0 || !isAlive(proc.pid)) return;
  try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
  const deadline = Date.now() + graceMs;
  while (isAlive(proc.pid) && Date.now() < deadline) await sleep(50);
  try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
  while (isAlive(proc.pid)) await sleep(20);
}

/** Processes started by our containerd: its shims, found by our socket path in their arguments. */
function shimPids(socket) {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(socket)) pids.push(Number(entry));
    } catch { /* exited */ }
  }
  return pids;
}

/** Proportional set size (MB) of every cluster process: components, containerd's shims, and all pods' processes. */
export function clusterMemoryMb(state = readState()) {
  const roots = [...state.procs.map((p) => p.pid).filter(isAlive), ...shimPids(clusterPaths(state.dir).containerdSocket)];
  const all = [...roots, ...descendants(...roots)];
  let kb = 0;
  for (const pid of all) {
    try {
      kb += Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch { /* exited */ }
  }
  return Math.round(kb / 1024);
}

/**
 * Deletes every pod at once (grace 0) and waits until the kubelet has stopped them: no container
 * task left running (the pod sandboxes are stopped, their network torn down). The stopped
 * containers' records stay until the kubelet's garbage collection (about a minute), which is not
 * waited for: removeContainers deletes them.
 */
async function removeAllPods(state, timeoutMs = 30_000) {
  const paths = clusterPaths(state.dir);
  const byName = (n) => state.procs.find((p) => p.name === n);
  // No controller may recreate what is being removed.
  await stopProc(byName('kube-controller-manager'));
  await stopProc(byName('kube-scheduler'));
  if (!isAlive(byName('kube-apiserver')?.pid) || !isAlive(byName('kubelet')?.pid)) return;
  const list = await apiJson(paths, 'GET', '/api/v1/pods').catch(() => undefined);
  for (const pod of list?.body?.items ?? []) {
    const { namespace, name } = pod.metadata;
    await apiJson(paths, 'DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, { gracePeriodSeconds: 0 }).catch(() => undefined);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // `ctr tasks ls`: TASK PID STATUS; CRI deletes a task once its container exited
    const out = run('ctr', ['--address', paths.containerdSocket, '-n', 'k8s.io', 'tasks', 'ls'], { allowFail: true });
    const live = out.split('\n').slice(1).filter((l) => l.trim() && !/\sSTOPPED\s*$/.test(l));
    if (!live.length) return;
    await sleep(250);
  }
}

/** Kills and deletes whatever containers remain (a kubelet that died first cannot). */
function removeContainers(socket) {
  const ctr = (args) => run('ctr', ['--address', socket, '-n', 'k8s.io', ...args], { allowFail: true });
  for (const id of ctr(['containers', 'ls', '-q']).split('\n').filter(Boolean)) {
    ctr(['tasks', 'kill', '-s', 'SIGKILL', id]);
    ctr(['tasks', 'delete', '-f', id]);
    ctr(['containers', 'delete', id]);
  }
}

/**
 * Stops everything in `state` and restores the host: pods, then the node components, the
 * control plane, containerd and its shims; network, iptables, cgroups, mounts, sysctls.
 * The cluster's logs are copied to LAST_LOGS first. Returns the list of problems (empty = clean).
 */
export async function teardown(state = readState()) {
  if (!state) return [];
  const paths = clusterPaths(state.dir);
  const byName = (n) => state.procs.find((p) => p.name === n);
  await removeAllPods(state).catch(() => undefined);
  for (const name of ['kube-proxy', 'kubelet', 'kube-scheduler', 'kube-controller-manager']) await stopProc(byName(name));
  if (isAlive(byName('containerd')?.pid)) removeContainers(paths.containerdSocket);
  for (const name of ['kube-apiserver', 'etcd', 'containerd', 'registry']) await stopProc(byName(name), 10_000);
  for (const pid of shimPids(paths.containerdSocket)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  unmountBelow(state.dir);
  const problems = state.host ? restoreHost(state.host, { kubeProxy: state.kube && [state.kube, 'kube-proxy'] }) : [];
  try {
    fs.rmSync(LAST_LOGS, { recursive: true, force: true });
    if (fs.existsSync(paths.logs)) fs.cpSync(paths.logs, LAST_LOGS, { recursive: true });
  } catch { /* logs are a convenience */ }
  if (unmountBelow(state.dir) === 0) fs.rmSync(state.dir, { recursive: true, force: true });
  else problems.push(`mounts left below ${state.dir}`);
  fs.rmSync(STATE_FILE, { force: true });
  return problems;
}
