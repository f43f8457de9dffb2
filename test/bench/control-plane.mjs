// A control plane of the benchmarks' own (`npm run envtest -- up` as a child process), and the
// wait for an operator process's /readyz: shared by the operator benchmarks.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** upArgs: extra `envtest up` arguments, e.g. `--apiserver-arg=--token-auth-file=...`. */
export async function startBenchControlPlane(upArgs = []) {
  const child = spawn(process.execPath, [path.join(root, 'test/harness/envtest/cli.mjs'), 'up', ...upArgs], {
    stdio: ['ignore', 'pipe', 'inherit'], env: process.env, // the harness's /16 service range fits 1000+ Services
  });
  let out = '';
  const kubeconfig = await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = /^export KUBECONFIG_ENVTEST=(.+)$/m.exec(out);
      if (m && out.includes('envtest: running')) resolve(m[1].trim());
    });
    child.once('exit', (code) => reject(new Error(`control plane exited ${code}:\n${out}`)));
  });
  return { kubeconfig, child, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

/** Resolves once the operator `child` answers /readyz on `port`; fails when it exits first or after timeoutMs. */
export async function waitReady(child, port, timeoutMs = 20_000) {
  for (const started = Date.now(); ;) {
    try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return; } catch { /* not listening yet */ }
    if (child.exitCode !== null) throw new Error(`operator exited (${child.exitCode}) before it was ready`);
    if (Date.now() - started > timeoutMs) throw new Error(`operator not ready after ${timeoutMs} ms`);
    await sleep(100);
  }
}
