// Image references: the spec keeps repository and tag apart; children run `image:tag`.
import type { FastApiApp } from '../api/types';

/** The image reference the spec asks for: `${spec.image}:${spec.tag}`. */
export function imageRef(app: FastApiApp): string {
  return `${app.spec.image}:${app.spec.tag}`;
}

/** The tag of an `image:tag` or `image:tag@sha256:...` reference (after the last ':' that follows the last '/'). */
export function tagOf(reference: string): string {
  const at = reference.indexOf('@');
  const ref = at === -1 ? reference : reference.slice(0, at);
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  return colon === -1 ? '' : ref.slice(colon + 1);
}

/** `image:tag@digest`: what the Deployment runs once the migration pod reported the digest it ran. */
export function pinnedRef(ref: string, digest: string | undefined): string {
  return digest ? `${ref}@${digest}` : ref;
}

const REPO_DIGEST = /@(sha256:[0-9a-f]{64})$/;

/**
 * The registry digest in a container status imageID (`docker-pullable://repo@sha256:…`,
 * `repo@sha256:…`). A bare `sha256:…` is a local image ID (an image loaded into the node, not
 * pulled), which no registry serves: no digest then, and the tag is used.
 */
export function digestOf(imageID: string | undefined): string | undefined {
  return imageID ? REPO_DIGEST.exec(imageID)?.[1] : undefined;
}
