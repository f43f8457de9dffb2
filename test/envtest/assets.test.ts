// Binary lookup order (controller-runtime's): TEST_ASSET_* > KUBEBUILDER_ASSETS > cache > build.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, EnvtestAssetsError, findAssets } from '../harness/envtest/assets.cjs';

const vars = ['TEST_ASSET_KUBE_APISERVER', 'TEST_ASSET_ETCD', 'KUBEBUILDER_ASSETS', 'FASTAPIAPP_ENVTEST_CACHE'] as const;
const saved = Object.fromEntries(vars.map((v) => [v, process.env[v]]));
let tmp: string;

function fakeBinaries(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ['kube-apiserver', 'etcd']) fs.writeFileSync(path.join(dir, name), '#!/bin/sh\n', { mode: 0o755 });
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'envtest-assets-'));
  for (const v of vars) delete process.env[v];
  process.env.FASTAPIAPP_ENVTEST_CACHE = path.join(tmp, 'empty-cache');
});

afterEach(() => {
  for (const v of vars) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('when TEST_ASSET_* are set, then they win over KUBEBUILDER_ASSETS', () => {
  fakeBinaries(path.join(tmp, 'explicit'));
  fakeBinaries(path.join(tmp, 'kb'));
  process.env.TEST_ASSET_KUBE_APISERVER = path.join(tmp, 'explicit', 'kube-apiserver');
  process.env.TEST_ASSET_ETCD = path.join(tmp, 'explicit', 'etcd');
  process.env.KUBEBUILDER_ASSETS = path.join(tmp, 'kb');
  expect(findAssets()).toEqual({
    kubeApiserver: path.join(tmp, 'explicit', 'kube-apiserver'), etcd: path.join(tmp, 'explicit', 'etcd'), source: 'TEST_ASSET_*',
  });
});

test('when only one TEST_ASSET_* is set, then lookup fails naming the options', () => {
  fakeBinaries(path.join(tmp, 'explicit'));
  process.env.TEST_ASSET_KUBE_APISERVER = path.join(tmp, 'explicit', 'kube-apiserver');
  expect(() => findAssets()).toThrow(EnvtestAssetsError);
  expect(() => findAssets()).toThrow(/TEST_ASSET_ETCD.*KUBEBUILDER_ASSETS.*build\.sh/s);
});

test('when KUBEBUILDER_ASSETS holds both binaries, then they are used', () => {
  fakeBinaries(path.join(tmp, 'kb'));
  process.env.KUBEBUILDER_ASSETS = path.join(tmp, 'kb');
  expect(findAssets().source).toBe('KUBEBUILDER_ASSETS');
});

test('when KUBEBUILDER_ASSETS lacks etcd, then lookup fails instead of falling through', () => {
  fakeBinaries(path.join(tmp, 'kb'));
  fs.rmSync(path.join(tmp, 'kb', 'etcd'));
  process.env.KUBEBUILDER_ASSETS = path.join(tmp, 'kb');
  expect(() => findAssets()).toThrow(/KUBEBUILDER_ASSETS=.* holds no executable/);
});

test('when nothing is provided and the cache is empty, then lookup without build fails naming every option', () => {
  expect(() => findAssets({ build: false })).toThrow(/TEST_ASSET_KUBE_APISERVER.*KUBEBUILDER_ASSETS.*test\/envtest\/build\.sh/s);
});

test('when the cache holds both binaries, then they are found there', () => {
  fakeBinaries(cacheDir());
  expect(findAssets({ build: false })).toMatchObject({ source: 'cache', etcd: path.join(cacheDir(), 'etcd') });
});

test('then the cache path is the one build.sh fills, keyed by the pinned versions', () => {
  const fromScript = execFileSync('bash', [path.join(__dirname, 'build.sh'), '--dir'], { encoding: 'utf8', env: process.env }).trim();
  expect(fromScript).toBe(cacheDir());
  expect(path.basename(cacheDir())).toMatch(/^v1\.\d+\.\d+-v3\.\d+\.\d+-[0-9a-f]{12}$/);
});
