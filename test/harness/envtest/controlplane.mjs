// One envtest control plane: etcd + kube-apiserver on free loopback ports, in a throwaway
// directory, with generated certs, RBAC authorization and an admin kubeconfig. No kubelet and
// no controllers (no garbage collector, no namespace finalizer, no Deployment/Job controllers).
//
// Children are spawned detached (own process groups) so a terminal Ctrl-C or jest's worker
// handling never reaches them directly; they are stopped by stop(), by a process 'exit' hook,
// and, when the parent dies abruptly, by watchdog.mjs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pki from './pki.cjs';
import kube from './kubeconfig.cjs';
import crds from './crds.cjs';
import { freePort } from '../free-port.cjs';
import { waitFor as poll } from '../poll.cjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export class ControlPlaneError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

function copyCa(from, certDir) {
  const ca = { certFile: path.join(certDir, 'ca.crt'), keyFile: path.join(certDir, 'ca.key') };
  fs.copyFileSync(path.join(from, 'ca.crt'), ca.certFile);
  fs.copyFileSync(path.join(from, 'ca.key'), ca.keyFile);
  fs.chmodSync(ca.keyFile, 0o600);
  return ca;
}


function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function signalGroup(child, signal) {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Polls check() until it returns true; fails early when `child` exits. */
function waitFor(what, child, logFile, check, timeoutMs) {
  return poll(what, async () => ((await check()) ? true : undefined), timeoutMs, 50, {
    stopIf: () => {
      if (child.spawnError) return `process could not start: ${child.spawnError.message}`;
      if (child.exitCode !== null || child.signalCode !== null) return `process exited (${child.exitCode ?? child.signalCode}) before it was ready`;
      return undefined;
    },
    makeError: (m) => new ControlPlaneError(`${m}. Last log lines (${logFile}):\n${tail(logFile)}`),
  });
}

/**
 * Starts etcd and kube-apiserver and installs the CRDs in crdFiles.
 * apiserverArgs are appended to kube-apiserver's flags (a later flag wins), for tests that need
 * e.g. `--etcd-compaction-interval=1s --watch-cache=false`; none by default.
 * caFrom: a directory holding ca.crt/ca.key to sign this plane's certificates with instead of a
 * new CA, so clients of another plane (same CA) trust and are trusted by this one: tests that
 * move a client from one API server to another (failover) need that.
 * @param {{ assets: { kubeApiserver: string, etcd: string }, crdFiles?: string[], readyTimeoutMs?: number, apiserverArgs?: string[], caFrom?: string }} options
 */
export async function startControlPlane({ assets, crdFiles = [], readyTimeoutMs = 60000, apiserverArgs = [], caFrom }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envtest-'));
  const certDir = path.join(dir, 'pki');
  fs.mkdirSync(certDir, { mode: 0o700 });
  const children = [];
  const watchdog = spawn(process.execPath, [path.join(here, 'watchdog.mjs'), String(process.pid), dir],
    { detached: true, stdio: 'ignore' });
  watchdog.unref();

  const killAllNow = () => {
    for (const c of children) signalGroup(c, 'SIGKILL');
    signalGroup(watchdog, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killAllNow);

  const launch = (name, file, args) => {
    const logFile = path.join(dir, `${name}.log`);
    const out = fs.openSync(logFile, 'a');
    const child = spawn(file, args, { detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    child.on('error', (err) => { child.spawnError = err; }); // surfaced by waitFor
    children.push(child);
    if (child.pid) fs.appendFileSync(path.join(dir, 'pgids'), `${child.pid}\n`);
    return { child, logFile };
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // apiserver first, so it never sees its storage vanish mid-request.
    for (const c of [...children].reverse()) {
      if (!c.pid || c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      signalGroup(c, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(c, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    signalGroup(watchdog, 'SIGKILL');
    process.removeListener('exit', killAllNow);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const t0 = Date.now();
  const phasesMs = {}; // cumulative ms since start at the end of each phase, for benchmarks
  const mark = (phase) => { phasesMs[phase] = Date.now() - t0; };
  try {
    const [etcdPort, etcdPeerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const ca = caFrom ? copyCa(caFrom, certDir) : pki.createCa(certDir);
    const serving = pki.issueCert(ca, certDir, 'apiserver', { user: 'kube-apiserver', serverNames: ['localhost'], ips: ['127.0.0.1'] });
    const admin = pki.issueCert(ca, certDir, 'admin', { user: 'envtest-admin', groups: ['system:masters'] });
    const sa = pki.createServiceAccountKeys(certDir);
    mark('certs');

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = launch('etcd', assets.etcd, [
      '--name=envtest', `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=envtest=${peerUrl}`,
      '--unsafe-no-fsync', // a throwaway store: durability buys nothing, fsync costs seconds
      '--log-level=warn',
    ]);

    // Started without waiting for etcd: kube-apiserver retries its storage connection, and the
    // two start-ups overlap.
    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = launch('kube-apiserver', assets.kubeApiserver, [
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${certDir}`, `--tls-cert-file=${serving.certFile}`, `--tls-private-key-file=${serving.keyFile}`,
      `--client-ca-file=${ca.certFile}`,
      `--service-account-issuer=${server}`, `--service-account-key-file=${sa.publicKeyFile}`,
      `--service-account-signing-key-file=${sa.keyFile}`,
      '--service-cluster-ip-range=10.0.0.0/16',
      '--authorization-mode=RBAC',
      '--allow-privileged=true',
      // No service-account controller creates "default" ServiceAccounts, so Pods would be refused.
      '--disable-admission-plugins=ServiceAccount',
      '--profiling=false',
      '--v=0',
      ...apiserverArgs,
    ]);

    const conn = { server, caFile: ca.certFile, certFile: admin.certFile, keyFile: admin.keyFile, user: 'envtest-admin' };
    await waitFor('etcd', etcd.child, etcd.logFile, async () => {
      const res = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(1000) });
      return res.ok;
    }, readyTimeoutMs);
    mark('etcd');
    await waitFor('kube-apiserver', apiserver.child, apiserver.logFile, async () => {
      const res = await kube.rawRequest(conn, 'GET', '/readyz', { timeoutMs: 2000 });
      return res.statusCode === 200;
    }, readyTimeoutMs);

    mark('apiserver');
    const kubeconfig = kube.writeKubeconfig(path.join(dir, 'admin.kubeconfig'), conn);
    const crdNames = await crds.installCrdFiles(conn, crdFiles);
    mark('crds');
    return { dir, certDir, kubeconfig, server, conn, crdNames, etcdUrl, phasesMs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
