// Dockerfile.operator built for real (buildah, local Debian + Node base image): the operator only,
// one esbuild bundle (no node_modules), non-root, and it starts and prints its version and help.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestNamespace, installCrdFromFile } from '../harness/envtest';
import { freePort } from '../harness/free-port.cjs';
import { waitFor } from '../harness/wait';
import {
  buildImage, collect, Container, exitStatus, findDescendant, inspectImage, processUids, REPO_ROOT,
  type ImageConfig,
} from './support/buildah';
import { report } from './support/report';

const TAG = 'localhost/fastapiapp-operator:test';
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

describe('Dockerfile.operator', () => {
  let config: ImageConfig;
  let container: Container;

  beforeAll(async () => {
    const build = await buildImage('Dockerfile.operator', TAG);
    const info = await inspectImage(TAG);
    config = info.config;
    report('operator image', { buildSeconds: build.seconds, sizeMB: info.sizeBytes / 1e6 });
    container = await Container.from(TAG);
    await container.readOnlyRoot();
  }, 30 * 60_000);

  afterAll(async () => {
    await container?.remove();
  }, 60_000);

  it('when inspected, then the operator is the entrypoint, run by a numeric non-root user, with OCI labels', () => {
    expect(config.User).toBe('10001:10001');
    // the heap flags keep RSS within the memory budget (see Dockerfile.operator, bench:operator)
    expect(config.Entrypoint).toEqual(['node', '--max-semi-space-size=2', '--heap-growing-percent=50', 'dist/operator/src/main.js']);
    expect(config.WorkingDir).toBe('/app');
    expect(config.Env).toContain('NODE_ENV=production');
    expect(config.StopSignal).toBe('SIGTERM');
    expect(config.Labels?.['org.opencontainers.image.title']).toBe('fastapiapp-operator');
    for (const label of ['description', 'licenses', 'version', 'revision', 'source', 'base.name']) {
      expect(config.Labels).toHaveProperty([`org.opencontainers.image.${label}`]);
    }
    expect((config.Healthcheck?.Test ?? []).join(' ')).toContain('/healthz');
  });

  it('when started with --version on a read-only root, then it prints the package version and exits 0', async () => {
    const r = await container.run(['node', 'dist/operator/src/main.js', '--version']);
    expect(exitStatus(r, true)).toBe(0);
    expect(r.stdout.trim()).toBe(`fastapiapp-operator ${pkg.version}`);
  }, 120_000);

  it('when started with --help, then it documents its configuration and exits 0', async () => {
    const r = await container.run(['node', 'dist/operator/src/main.js', '--help']);
    expect(exitStatus(r, true)).toBe(0);
    expect(r.stdout).toContain('fastapiapp-operator');
    expect(r.stdout).toContain('METRICS_ADDR');
  }, 120_000);

  it('when its files are listed, then it holds the operator bundle and its version only: no app code, no node_modules', async () => {
    const r = await container.run(['node', '-e', [
      'const fs=require("fs");',
      'const files=fs.readdirSync(".",{recursive:true}).map(String).filter(f=>fs.statSync(f).isFile()).sort();',
      'console.log(JSON.stringify({files,uid:process.getuid(),pkg:require("./package.json")}))',
    ].join('')]);
    expect(exitStatus(r, true)).toBe(0);
    const seen = JSON.parse(r.stdout.trim().split('\n').pop()!) as { files: string[]; uid: number; pkg: Record<string, unknown> };
    expect(seen.files).toEqual(['dist/operator/src/main.js', 'package.json']);
    expect(seen.uid).toBe(10001);
    expect(seen.pkg).toEqual({ name: 'fastapiapp-operator', version: pkg.version, private: true, license: 'Apache-2.0' });
    // The bundle carries the operator's imports, none of the app's.
    const probe = 'const s=require("fs").readFileSync("dist/operator/src/main.js","utf8");'
      + 'console.log(JSON.stringify(["CoreV1Api","collectDefaultMetrics","objection","wink-nlp","swagger-ui"].map(w=>s.includes(w))))';
    const bundle = await container.run(['node', '-e', probe]);
    expect(JSON.parse(bundle.stdout.trim().split('\n').pop()!)).toEqual([true, true, false, false, false]);
  }, 120_000);

  it('when started against a real kube-apiserver (envtest) on a read-only root, then it gets ready as uid 10001, passes its HEALTHCHECK and exits 0 on SIGTERM', async () => {
    const adminKubeconfig = process.env.KUBECONFIG_ENVTEST;
    if (!adminKubeconfig) throw new Error('KUBECONFIG_ENVTEST is not set: the envtest control plane did not start (see test/harness/envtest)');
    // The harness's file is 0600 root; in a cluster the mounted credential is readable by the pod's user.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'operator-image-'));
    const kubeconfig = path.join(dir, 'config');
    fs.copyFileSync(adminKubeconfig, kubeconfig);
    fs.chmodSync(kubeconfig, 0o644);
    await installCrdFromFile(path.join(REPO_ROOT, 'crds/fastapiapp.yaml'));
    const namespace = await createTestNamespace('images-operator');
    const c = await Container.from(TAG);
    try {
      await c.readOnlyRoot(['/kube/config']);
      const port = await freePort();
      const env = { KUBECONFIG: '/kube/config', WATCH_NAMESPACES: namespace, LEADER_ELECTION_NAMESPACE: namespace, METRICS_ADDR: `127.0.0.1:${port}` };
      const operator = c.spawn(['node', 'dist/operator/src/main.js'], env, [`${kubeconfig}:/kube/config:ro`]);
      const done = collect(operator, 5 * 60_000);
      let output = '';
      operator.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      operator.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      try {
        const ready = await waitFor(`operator /readyz on port ${port}`, async () => {
          if (operator.exitCode !== null) return 'exited';
          const res = await fetch(`http://127.0.0.1:${port}/readyz`);
          return res.status === 200 ? 'ready' : undefined;
        }, 90_000).catch((err: Error) => err.message);
        expect({ ready, output: ready === 'ready' ? '' : output.slice(-4000) }).toEqual({ ready: 'ready', output: '' });
        const nodePid = findDescendant(operator.pid!, 'node')!;
        expect(processUids(nodePid).slice(0, 2)).toEqual([10001, 10001]);

        const probe = await Container.from(TAG);
        try {
          const check = await probe.run(config.Healthcheck!.Test!.slice(1), { METRICS_ADDR: env.METRICS_ADDR });
          expect(exitStatus(check, false)).toBe(0);
        } finally {
          await probe.remove();
        }

        process.kill(nodePid, 'SIGTERM');
        const r = await done;
        expect(exitStatus(r, true)).toBe(0);
      } finally {
        if (operator.exitCode === null) operator.kill('SIGKILL');
      }
    } finally {
      await c.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 5 * 60_000);
});
