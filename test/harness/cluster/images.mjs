// Binaries and images of the test cluster. Nothing is pulled from outside: kube-apiserver/etcd come
// from the envtest build, the node components and the pause program from test/cluster/build.sh, and
// images from the local buildah store, either pushed to the cluster's registry (the kubelet pulls
// them, by digest once pinned) or moved into the node's containerd as OCI archives.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PAUSE_IMAGE, REGISTRY_HOST } from './layout.mjs';

const require = createRequire(import.meta.url);
const envtestAssets = require('../envtest/assets.cjs');
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const buildScript = path.join(repoRoot, 'test/cluster/build.sh');

function sh(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
  } catch (err) {
    const detail = err.code === 'ENOENT' ? `${cmd} not found (pretest installs it)` : (err.stderr || err.message).toString().trim().slice(-3000);
    throw new Error(`cluster: ${cmd} ${args.slice(0, 4).join(' ')}: ${detail}`);
  }
}

/** Paths of every binary the cluster runs; builds the missing ones when `build` (minutes, once). */
export function binaries({ build = false } = {}) {
  const { kubeApiserver, etcd } = envtestAssets.findAssets({ build });
  const dir = sh('bash', [buildScript, ...(build ? [] : ['--dir'])], { stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
  const kube = path.join(dir, 'kube');
  const pause = path.join(dir, 'pause');
  if (!fs.existsSync(kube) || !fs.existsSync(pause)) {
    throw new Error(`cluster: ${dir} has no kube/pause binaries: run test/cluster/build.sh (npm test's pretest does)`);
  }
  return { kubeApiserver, etcd, kube, pause, dir };
}

let flags;
/** The image store the image suites use (test/images/buildah-flags.sh), asked once per process. */
export const buildahFlags = () => (flags ??= sh('bash', [path.join(repoRoot, 'test/images/buildah-flags.sh')]).trim().split('\n'));
const buildah = (args) => sh('buildah', [...buildahFlags(), ...args]);

/** The pause image as an OCI archive, built once next to the pause binary. */
export function pauseArchive(bins) {
  const archive = path.join(bins.dir, 'pause.oci.tar');
  if (fs.existsSync(archive)) return archive;
  const ctrName = buildah(['from', '--pull=never', 'scratch']).trim();
  try {
    buildah(['copy', '--chmod', '0755', ctrName, bins.pause, '/pause']);
    buildah(['config', '--entrypoint', '["/pause"]', '--user', '65535:65535', ctrName]);
    buildah(['commit', '--format', 'oci', '--rm', ctrName, PAUSE_IMAGE]);
  } catch (err) {
    try { buildah(['rm', ctrName]); } catch { /* the build error is the one to report */ }
    throw err;
  }
  buildah(['push', PAUSE_IMAGE, `oci-archive:${archive}.new:${PAUSE_IMAGE}`]);
  fs.renameSync(`${archive}.new`, archive);
  return archive;
}

/** Imports an OCI archive into the node's containerd (the CRI's k8s.io namespace), unpacked. */
export function importArchive(socket, archive) {
  sh('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'import', '--snapshotter', 'overlayfs', archive]);
}

/** Copies images from the local buildah store into the node: pods then run them with IfNotPresent. */
export function loadImages(socket, refs) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fastapiapp-load-'));
  try {
    for (const ref of refs) {
      const archive = path.join(tmp, 'image.oci.tar');
      buildah(['push', '--quiet', ref, `oci-archive:${archive}:${ref}`]);
      importArchive(socket, archive);
      fs.rmSync(archive, { force: true });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Where a local image goes in the cluster's registry: its path without the registry host
 * (`localhost/fastapiapp-app:v1` -> `10.244.0.1:5000/fastapiapp-app:v1`).
 */
export function registryRef(localRef) {
  const [first, ...rest] = localRef.split('/');
  const hasHost = rest.length > 0 && (first === 'localhost' || first.includes('.') || first.includes(':'));
  return `${REGISTRY_HOST}/${(hasHost ? rest : [first, ...rest]).join('/')}`;
}

/**
 * Pushes images from the local buildah store to the cluster's registry (plain HTTP). Each entry is
 * a local reference, or `LOCAL=DEST` to push it under another registry name:tag (a re-pushed tag).
 * Returns, per entry, the registry reference and the manifest digest buildah pushed.
 */
export function pushImages(entries) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fastapiapp-push-'));
  try {
    const pushed = {};
    for (const entry of entries) {
      const [local, dest] = entry.split('=');
      const ref = dest ? `${REGISTRY_HOST}/${dest}` : registryRef(local);
      const digestFile = path.join(tmp, 'digest');
      buildah(['push', '--quiet', '--tls-verify=false', '--digestfile', digestFile, local, `docker://${ref}`]);
      pushed[entry] = { ref, digest: fs.readFileSync(digestFile, 'utf8').trim() };
    }
    return pushed;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The node's image references (`ctr images ls`), for checks. */
export function nodeImages(socket) {
  return sh('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'ls', '-q']).split('\n').filter(Boolean);
}
