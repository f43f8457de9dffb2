// The cluster's registry seen from the host: what a tag resolves to there, and the node's cached
// copies of a repository (removed so that the next pod has to pull from the registry).
import { execFileSync } from 'node:child_process';

const MANIFEST_TYPES = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json'];

/** The manifest digest `repo:tag` resolves to in the registry now (HEAD, Docker-Content-Digest). */
export async function registryDigest(repo: string, tag: string): Promise<string> {
  const slash = repo.indexOf('/');
  const url = `http://${repo.slice(0, slash)}/v2/${repo.slice(slash + 1)}/manifests/${tag}`;
  const res = await fetch(url, { method: 'HEAD', headers: { Accept: MANIFEST_TYPES.join(', ') }, signal: AbortSignal.timeout(5000) });
  const digest = res.headers.get('docker-content-digest');
  if (!res.ok || !digest) throw new Error(`HEAD ${url}: ${res.status}, no digest`);
  return digest;
}

const ctr = (socket: string, args: string[]): string =>
  execFileSync('ctr', ['--address', socket, '-n', 'k8s.io', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The node's image references (containerd's CRI namespace) of `repo`: `repo:tag` and `repo@digest`. */
export const nodeImagesOf = (socket: string, repo: string): string[] =>
  ctr(socket, ['images', 'ls', '-q']).split('\n').filter((r) => r.startsWith(`${repo}:`) || r.startsWith(`${repo}@`));

/** Forgets the node's copies of `repo` (running containers keep their snapshots); returns what was removed. */
export function forgetNodeImages(socket: string, repo: string): string[] {
  const refs = nodeImagesOf(socket, repo);
  if (refs.length) ctr(socket, ['images', 'rm', ...refs]);
  return refs;
}
