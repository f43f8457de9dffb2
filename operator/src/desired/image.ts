// Image references: the spec keeps repository and tag apart; children run `image:tag`.
import type { FastApiApp } from '../api/types';

/** The image reference the spec asks for: `${spec.image}:${spec.tag}`. */
export function imageRef(app: FastApiApp): string {
  return `${app.spec.image}:${app.spec.tag}`;
}

/** The tag of an `image:tag` reference (the part after the last ':' that follows the last '/'). */
export function tagOf(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  return colon === -1 ? '' : ref.slice(colon + 1);
}
