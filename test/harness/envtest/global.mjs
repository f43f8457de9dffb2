// Jest globalSetup/globalTeardown part for the envtest control plane (see ./index.ts for the
// test-side API). One etcd + kube-apiserver per jest run; connection details go to the workers
// through process.env:
//   KUBECONFIG_ENVTEST  admin kubeconfig (system:masters)   ENVTEST_SERVER  https://127.0.0.1:PORT
//   ENVTEST_CERT_DIR    ca.crt/ca.key to sign per-user client certs
//   KUBECONFIG          also pointed at the admin kubeconfig, so nothing under test can reach a real cluster
// If KUBECONFIG_ENVTEST and ENVTEST_CERT_DIR are already set (e.g. exported by
// `npm run envtest -- up`), that control plane is used and nothing is started.
import { startProjectControlPlane } from './start.mjs';

let plane;

export async function setup() {
  if (process.env.KUBECONFIG_ENVTEST && process.env.ENVTEST_CERT_DIR) {
    process.env.KUBECONFIG = process.env.KUBECONFIG_ENVTEST;
    return;
  }
  plane = await startProjectControlPlane({ build: true });
  Object.assign(process.env, plane.env, { KUBECONFIG: plane.kubeconfig });
  if (process.env.ENVTEST_VERBOSE) {
    console.error(`envtest: control plane at ${plane.server} ready in ${plane.startupMs} ms (binaries: ${plane.assets.source})`);
  }
}

export async function teardown() {
  if (!plane) return;
  await plane.stop();
  for (const key of [...Object.keys(plane.env), 'KUBECONFIG']) delete process.env[key];
  plane = undefined;
}
