// Finds the kube-apiserver and etcd binaries, in controller-runtime's envtest order:
//   1. TEST_ASSET_KUBE_APISERVER / TEST_ASSET_ETCD (each a file path)
//   2. KUBEBUILDER_ASSETS (a directory holding kube-apiserver and etcd, e.g. from setup-envtest)
//   3. the build cache that test/envtest/build.sh fills (same path computation as that script)
//   4. build them with test/envtest/build.sh (only when allowed: pretest and `envtest build` do)
// CommonJS so that both Node's native ESM loader (global.mjs) and jest workers can load it.
'use strict';
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const modulesDir = path.join(repoRoot, 'test', 'envtest');
const buildScript = path.join(modulesDir, 'build.sh');

class EnvtestAssetsError extends Error {
  constructor(message) {
    super(message);
    this.name = 'EnvtestAssetsError';
  }
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function requireVersion(goMod, module) {
  const text = fs.readFileSync(goMod, 'utf8');
  const m = text.match(new RegExp(`^\\s*(?:require\\s+)?${module.replace(/\./g, '\\.')}\\s+(v\\S+)`, 'm'));
  if (!m) throw new EnvtestAssetsError(`envtest: ${goMod} does not require ${module}`);
  return m[1];
}

/** Cache directory for the pinned versions; mirrors test/envtest/build.sh. */
function cacheDir() {
  const k8s = requireVersion(path.join(modulesDir, 'kube-apiserver', 'go.mod'), 'k8s.io/kubernetes');
  const etcd = requireVersion(path.join(modulesDir, 'etcd', 'go.mod'), 'go.etcd.io/etcd/server/v3');
  const h = createHash('sha256');
  for (const f of ['build.sh', 'kube-apiserver/go.mod', 'kube-apiserver/go.sum', 'kube-apiserver/main.go',
    'etcd/go.mod', 'etcd/go.sum', 'etcd/main.go']) {
    h.update(fs.readFileSync(path.join(modulesDir, f)));
  }
  const root = process.env.FASTAPIAPP_ENVTEST_CACHE
    || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'fastapiapp-envtest');
  return path.join(root, `${k8s}-${etcd}-${h.digest('hex').slice(0, 12)}`);
}

const howToProvide = 'Provide them with TEST_ASSET_KUBE_APISERVER and TEST_ASSET_ETCD (file paths), or '
  + 'KUBEBUILDER_ASSETS (a directory holding kube-apiserver and etcd, e.g. from setup-envtest), or build them '
  + 'into the cache with `bash test/envtest/build.sh` (needs Go >= 1.26; `npm test` runs it in pretest).';

function fromDir(dir, source) {
  const found = { kubeApiserver: path.join(dir, 'kube-apiserver'), etcd: path.join(dir, 'etcd'), source };
  return isExecutable(found.kubeApiserver) && isExecutable(found.etcd) ? found : undefined;
}

/**
 * Resolves both binaries. With { build: true } a missing cache is filled by running build.sh
 * (10-25 min the first time); otherwise a miss throws EnvtestAssetsError naming the options.
 */
function findAssets({ build = false } = {}) {
  const { TEST_ASSET_KUBE_APISERVER: kas, TEST_ASSET_ETCD: etcd, KUBEBUILDER_ASSETS: kbAssets } = process.env;
  if (kas || etcd) {
    if (!kas || !etcd || !isExecutable(kas) || !isExecutable(etcd)) {
      throw new EnvtestAssetsError(`envtest: TEST_ASSET_KUBE_APISERVER (${kas ?? 'unset'}) and TEST_ASSET_ETCD `
        + `(${etcd ?? 'unset'}) must both name executable files. ${howToProvide}`);
    }
    return { kubeApiserver: kas, etcd, source: 'TEST_ASSET_*' };
  }
  if (kbAssets) {
    const found = fromDir(kbAssets, 'KUBEBUILDER_ASSETS');
    if (!found) {
      throw new EnvtestAssetsError(`envtest: KUBEBUILDER_ASSETS=${kbAssets} holds no executable kube-apiserver and etcd. ${howToProvide}`);
    }
    return found;
  }
  const dir = cacheDir();
  const cached = fromDir(dir, 'cache');
  if (cached) return cached;
  if (!build) {
    throw new EnvtestAssetsError(`envtest: no kube-apiserver/etcd binaries (cache ${dir} is empty). ${howToProvide}`);
  }
  const res = spawnSync('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const built = res.status === 0 ? fromDir(dir, 'build') : undefined;
  if (!built) throw new EnvtestAssetsError(`envtest: building the binaries failed (exit ${res.status}). ${howToProvide}`);
  return built;
}

module.exports = { findAssets, cacheDir, EnvtestAssetsError, repoRoot };
