// The operator as a process (operator/src/main.ts): flags, fail-fast config, and SIGTERM
// (stop watches, finish reconciles, release the Lease, exit 0).
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { KubeClient } from '../../operator/src/kube/client';
import { LEASES } from '../../operator/src/kube/resources';
import type { Lease } from '../../operator/src/kube/types';
import { eventually } from './support/world';

const root = path.join(__dirname, '../..');
const args = ['-r', path.join(__dirname, 'support/swc-register.cjs'), path.join(root, 'operator/src/main.ts')];
const run = (extra: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [...args, ...extra], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 30_000 });

test('when run with --version or --help, then it prints and exits 0 without touching a cluster', () => {
  const v = run(['--version']);
  expect(v.status).toBe(0);
  expect(v.stdout).toMatch(/^fastapiapp-operator \d+\.\d+\.\d+/);
  const h = run(['--help']);
  expect(h.status).toBe(0);
  for (const name of ['KUBECONFIG', 'WATCH_NAMESPACES', 'LEADER_ELECT', 'METRICS_ADDR', 'LOG_LEVEL', 'MAX_CONCURRENT_RECONCILES']) expect(h.stdout).toContain(name);
});

test('when the configuration is invalid, then it exits 2 naming every bad variable', () => {
  const r = run([], { LOG_LEVEL: 'chatty', MAX_CONCURRENT_RECONCILES: 'many', KUBECONFIG: '/nonexistent/kubeconfig' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('LOG_LEVEL');
  expect(r.stderr).toContain('MAX_CONCURRENT_RECONCILES');
  expect(r.stderr).toContain('KUBECONFIG');
});

test('when it gets SIGTERM while leading, then it releases the Lease and exits 0', async () => {
  const ns = await createTestNamespace('operator-process');
  const client = new KubeClient(loadKubeConfig());
  const child = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH, KUBECONFIG: process.env.KUBECONFIG_ENVTEST, WATCH_NAMESPACES: ns, LEADER_ELECT: 'true',
      LEADER_ELECTION_NAMESPACE: ns, POD_NAME: 'proc-1', METRICS_ADDR: '127.0.0.1:0', LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    await eventually(async () => (await client.get<Lease>(LEASES, ns, 'fastapiapp-operator-leader'))?.spec?.holderIdentity === 'proc-1', 'Lease held by the process', 30_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lease = await client.get<Lease>(LEASES, ns, 'fastapiapp-operator-leader');
    expect(lease?.spec?.holderIdentity).toBeUndefined();
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['became leader', 'released leadership', 'operator stopped']));
  } finally {
    child.kill('SIGKILL');
    client.close();
  }
}, 60_000);
