// A control plane of the benchmarks' own (`npm run envtest -- up` as a child process), and the
// operator's command line as its image runs it, and the wait for an operator process's /readyz:
// shared by the operator benchmarks.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The operator's node arguments as the image runs it (Dockerfile.operator's ENTRYPOINT after
 * `node`: its V8 heap flags, then the script, made absolute), so memory is measured as shipped.
 */
export function operatorCommand() {
  const line = fs.readFileSync(path.join(root, 'Dockerfile.operator'), 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  const [node, ...args] = JSON.parse(line?.slice('ENTRYPOINT '.length) ?? 'null') ?? [];
  if (node !== 'node') throw new Error(`Dockerfile.operator: no exec-form ENTRYPOINT starting with node: ${line}`);
  return args.map((a) => (a.startsWith('dist/') ? path.join(root, a) : a));
}

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
