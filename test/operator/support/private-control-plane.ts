// A control plane of one's own (`npm run envtest -- up` as a child process), for tests and
// benchmarks that change cluster-wide state (removing the ServiceMonitor CRD) or load the API
// server heavily, so they cannot disturb test files running in parallel on the shared one.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface PrivateControlPlane {
  kubeconfig: string;
  kubeConfig(): KubeConfig;
  stop(): Promise<void>;
}

const CLI = path.join(__dirname, '../../harness/envtest/cli.mjs');

export interface PrivateControlPlaneOptions {
  /** extra kube-apiserver flags, e.g. ['--etcd-compaction-interval=1s'] */
  apiserverArgs?: readonly string[];
  /** sign with the CA in this directory (e.g. the shared plane's ENVTEST_CERT_DIR): its clients work here too */
  caFrom?: string;
}

export async function startPrivateControlPlane(timeoutMs = 90_000, options: PrivateControlPlaneOptions = {}): Promise<PrivateControlPlane> {
  const args = [CLI, 'up', ...(options.apiserverArgs ?? []).map((a) => `--apiserver-arg=${a}`), ...(options.caFrom ? [`--ca-from=${options.caFrom}`] : [])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const kubeconfig = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`private control plane not up after ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^export KUBECONFIG_ENVTEST=(.+)$/m.exec(out);
      if (m && /envtest: running/.test(out)) {
        clearTimeout(timer);
        resolve(m[1]!.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`private control plane exited (${code}) before it was up:\n${out}\n${err}`));
    });
  });
  return {
    kubeconfig,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      return kc;
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
