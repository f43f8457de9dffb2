// `npm run envtest -- up` in a child process: a clean stop on SIGTERM, and no orphaned etcd or
// kube-apiserver when the parent is killed outright (the watchdog's job).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findAssets } from '../harness/envtest/assets.cjs';
import { isAlive } from '../harness/processes.cjs';
import { waitFor } from '../harness/wait';

const cli = path.resolve(__dirname, '../harness/envtest/cli.mjs');

interface Up { proc: ChildProcess; output: string; kubeconfig: string; dir: string; pids: number[] }

/** Resolves once check() holds; fails the test after timeoutMs naming what it waited for. */
const until = (what: string, check: () => boolean, timeoutMs: number) => waitFor(what, async () => check() || undefined, timeoutMs, 100);

function startUp(): Promise<Up> {
  const proc = spawn(process.execPath, [cli, 'up'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('envtest: running')) return;
      const kubeconfig = /^export KUBECONFIG=(.+)$/m.exec(output)?.[1] ?? '';
      const dir = path.dirname(kubeconfig);
      const pids = fs.readFileSync(path.join(dir, 'pgids'), 'utf8').trim().split('\n').map(Number);
      resolve({ proc, output, kubeconfig, dir, pids });
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (c: Buffer) => { output += c.toString(); });
    proc.on('exit', (code) => reject(new Error(`envtest up exited (${code}) before it was ready:\n${output}`)));
  });
}

test('when `envtest up` gets SIGTERM, then it stops etcd and kube-apiserver and removes its files', async () => {
  const up = await startUp();
  expect(up.output).toMatch(/kubeconfig: \/.+admin\.kubeconfig/);
  expect(fs.existsSync(up.kubeconfig)).toBe(true);
  expect(up.pids).toHaveLength(2);
  expect(up.pids.every(isAlive)).toBe(true);

  const exited = new Promise<number | null>((r) => up.proc.once('exit', (code) => r(code)));
  up.proc.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(up.pids.filter(isAlive)).toEqual([]);
  expect(fs.existsSync(up.dir)).toBe(false);
});

test('when the parent is killed with SIGKILL, then the watchdog stops etcd and kube-apiserver', async () => {
  const up = await startUp();
  up.proc.kill('SIGKILL');
  await until('etcd and kube-apiserver to exit', () => !up.pids.some(isAlive), 15000);
  await until(`${up.dir} to be removed`, () => !fs.existsSync(up.dir), 5000);
});

test('when kube-apiserver exits at start-up, then `envtest up` fails with its log and leaves nothing behind', () => {
  const fakeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'envtest-fake-'));
  const fake = path.join(fakeDir, 'kube-apiserver');
  fs.writeFileSync(fake, '#!/bin/sh\necho "fake apiserver: refusing to start" >&2\nexit 3\n', { mode: 0o755 });
  const res = spawnSync(process.execPath, [cli, 'up'], {
    encoding: 'utf8', timeout: 60000,
    env: { ...process.env, TEST_ASSET_KUBE_APISERVER: fake, TEST_ASSET_ETCD: findAssets().etcd },
  });
  fs.rmSync(fakeDir, { recursive: true, force: true });
  expect(res.status).toBe(1);
  expect(res.stderr).toMatch(/kube-apiserver: process exited \(3\) before it was ready/);
  expect(res.stderr).toContain('fake apiserver: refusing to start');
  const logFile = /Last log lines \((\/[^)]+kube-apiserver\.log)\)/.exec(res.stderr)?.[1];
  expect(logFile).toBeDefined();
  expect(fs.existsSync(path.dirname(logFile ?? '/nonexistent/x'))).toBe(false);
});
