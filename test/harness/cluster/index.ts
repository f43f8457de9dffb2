/**
 * Test-side API of the real one-node cluster (./cli.mjs, ./cluster.mjs). One cluster runs on the
 * machine at a time: startTestCluster() waits for any other to end, starts one in the background
 * (`cli.mjs up`), and its stop() tears it down and restores the host. If the test process dies,
 * the cluster sees its owner gone and tears itself down.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

const CLI = path.join(__dirname, 'cli.mjs');

export interface ClusterInfo {
  dir: string;
  kubeconfig: string;
  server: string;
  /** Node IP and gateway of the pod bridge: what pods use to reach services on the host. */
  bridgeIp: string;
  /** Where pods get their addresses (what a service on the host must let in). */
  podSubnet: string;
  /** host:port of the cluster's registry (plain HTTP on the bridge), e.g. 10.244.0.1:5000. */
  registry: string;
  containerdSocket: string;
  /** The multi-call binary; `kubectl` is its first argument. */
  kubectl: string;
  logs: string;
  /** Cumulative milliseconds at the end of each start-up phase. */
  phases: Record<string, number>;
  /** How long `up` waited for the machine-wide lock (another cluster running) before it started. */
  lockWaitMs: number;
  /**
   * hostSnapshot() taken by `up` under the machine-wide lock before it changed anything: what
   * stop() must restore. (A snapshot taken by the suite before startTestCluster() may catch
   * another suite's cluster, which the lock is still waiting for.)
   */
  hostBefore: Record<string, unknown>;
}

/** An image in the cluster's registry: `registry/name:tag` and the manifest digest buildah pushed. */
export interface PushedImage {
  ref: string;
  digest: string;
}

export interface TestCluster {
  info: ClusterInfo;
  kubeConfig(): KubeConfig;
  /**
   * Pushes images from the local buildah store to the cluster's registry; keyed by entry. An entry
   * is a local reference, or `LOCAL=NAME:TAG` to push it under another name (re-pushing a tag).
   */
  pushImages(entries: string[]): Promise<Record<string, PushedImage>>;
  /** Copies images from the local buildah store into the node. */
  loadImages(refs: string[]): Promise<void>;
  /** PSS of every cluster process (components, shims, pods), MB. */
  memoryMb(): Promise<number>;
  /** Tears down (pods, processes, network, host state); resolves with the seconds it took. */
  stop(): Promise<number>;
}

function runCli(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`cluster ${args[0]} exited ${code}:\n${out.slice(-4000)}`))));
  });
}

/** The host state a teardown must leave unchanged (host.mjs hostSnapshot), for before/after comparisons. */
export async function hostSnapshot(): Promise<Record<string, unknown>> {
  return JSON.parse(await runCli(['host-snapshot'], 60_000)) as Record<string, unknown>;
}

export async function startTestCluster({ timeoutMs = 40 * 60_000 } = {}): Promise<TestCluster> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fastapiapp-test-cluster-'));
  const readyFile = path.join(work, 'info.json');
  const log = path.join(work, 'up.log');
  const out = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [CLI, 'up', '--owner-pid', String(process.pid), '--ready-file', readyFile], { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let dead = false;
  void exited.then(() => { dead = true; });
  const deadline = Date.now() + timeoutMs; // includes waiting for another cluster and a first build
  while (!fs.existsSync(readyFile)) {
    if (dead || Date.now() > deadline) {
      if (!dead) child.kill('SIGTERM');
      throw new Error(`the test cluster did not start; its output (${log}):\n${fs.readFileSync(log, 'utf8').slice(-6000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const info = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as ClusterInfo;
  // What a suite's wall time includes besides its own work (docs/development/testing.md, CI time).
  process.stderr.write(`cluster: waited ${(info.lockWaitMs / 1000).toFixed(1)} s for the lock, started in ${(info.phases.ready! / 1000).toFixed(1)} s\n`);
  return {
    info,
    kubeConfig: () => {
      const kc = new KubeConfig();
      kc.loadFromFile(info.kubeconfig);
      return kc;
    },
    pushImages: async (entries) => {
      const out = await runCli(['push', ...entries], 15 * 60_000);
      return JSON.parse(out.trim().split('\n').pop()!) as Record<string, PushedImage>;
    },
    loadImages: async (refs) => { await runCli(['load', ...refs], 15 * 60_000); },
    memoryMb: async () => Number((await runCli(['mem'], 60_000)).trim()),
    stop: async () => {
      const t0 = Date.now();
      if (!dead) {
        child.kill('SIGTERM');
        await exited;
      }
      const output = fs.readFileSync(log, 'utf8');
      fs.rmSync(work, { recursive: true, force: true });
      if (child.exitCode !== 0) throw new Error(`the test cluster's teardown failed (exit ${child.exitCode}):\n${output.slice(-4000)}`);
      const seconds = (Date.now() - t0) / 1000;
      process.stderr.write(`cluster: torn down in ${seconds.toFixed(1)} s\n`);
      return seconds;
    },
  };
}
