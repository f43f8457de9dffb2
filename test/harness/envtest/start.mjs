// The project's control plane: binaries from assets.cjs, CRDs from crds/*.yaml plus the
// ServiceMonitor and PrometheusRule stand-ins. Shared by the jest global setup and `npm run envtest -- up`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assets from './assets.cjs';
import crds from './crds.cjs';
import { startControlPlane } from './controlplane.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export function projectCrdFiles() {
  return [...crds.crdFilesIn(path.join(assets.repoRoot, 'crds')), path.join(here, 'servicemonitor-crd.yaml'), path.join(here, 'prometheusrule-crd.yaml')];
}

/**
 * Starts one control plane; the result's env() gives the variables test workers read.
 * apiserverArgs: extra kube-apiserver flags (see controlplane.mjs); none by default.
 * caFrom: sign with the CA in that directory (see controlplane.mjs) instead of a new one.
 */
export async function startProjectControlPlane({ build = true, apiserverArgs = [], caFrom } = {}) {
  const started = Date.now();
  const found = assets.findAssets({ build });
  const plane = await startControlPlane({ assets: found, crdFiles: projectCrdFiles(), apiserverArgs, caFrom });
  const env = {
    KUBECONFIG_ENVTEST: plane.kubeconfig,
    ENVTEST_CERT_DIR: plane.certDir, // ca.crt + ca.key: workers sign per-user client certs
    ENVTEST_SERVER: plane.server,
  };
  return { ...plane, assets: found, env, startupMs: Date.now() - started };
}
