// "Apply only what differs": a child needs an apply when the desired object changed since our
// last apply (hash annotation) or when the live object drifted from it (someone edited a field
// we set). Drift is checked as "every field we set has our value", since the API server adds
// defaults and other controllers add fields of their own.
import { TEMPLATE_HASH_ANNOTATION } from '../desired/deployment';
import { canonicalJson, objectHash } from '../desired/hash';
import type { KubeObject } from '../kube/types';

export { canonicalJson };

export const APPLIED_HASH_ANNOTATION = 'fastapiapp.io/applied-hash';

/**
 * The desired object with the hash of its content stamped in an annotation. A pod template whose
 * hash the object already carries (the Deployment's TEMPLATE_HASH_ANNOTATION) is counted through
 * that annotation, not field by field: while a migration runs, the Deployment keeps its live
 * template (server defaults included) under the hash of the template it was built from, and
 * re-applying it unchanged only because those defaults hash differently was a wasted write per
 * release. Drift in the template is still caught by needsApply's field comparison.
 */
export function withAppliedHash<T extends KubeObject>(desired: T): T {
  const hash = objectHash(hashedContent(desired), 16);
  return {
    ...desired,
    metadata: { ...desired.metadata, annotations: { ...desired.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash } },
  };
}

function hashedContent(obj: KubeObject): unknown {
  const spec = (obj as { spec?: { template?: unknown } }).spec;
  if (!obj.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION] || spec?.template === undefined) return obj;
  const { template: _summarized, ...rest } = spec;
  return { ...obj, spec: rest };
}

export function needsApply(desired: KubeObject, actual: KubeObject | undefined): boolean {
  if (!actual) return true;
  const want = desired.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  if (want !== undefined && actual.metadata.annotations?.[APPLIED_HASH_ANNOTATION] !== want) return true;
  return !isSubset(desired, actual);
}

/** Merge keys of the Kubernetes list-maps the operator sets (x-kubernetes-list-map-keys / patchMergeKey). */
const LIST_MAP_KEYS = ['name', 'mountPath'] as const;

/** The merge key when every element is an object carrying it as a string; undefined for atomic lists. */
function listMapKey(list: readonly unknown[]): string | undefined {
  if (list.length === 0) return undefined;
  return LIST_MAP_KEYS.find((k) => list.every((e) => typeof e === 'object' && e !== null && typeof (e as Record<string, unknown>)[k] === 'string'));
}

const isZero = (v: unknown): boolean =>
  v === false || v === 0 || v === '' || v === null
  || (Array.isArray(v) && v.length === 0)
  || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/**
 * True when every field of `want` is in `have` with an equal value. Zero values match absent
 * fields (the API server omits them); list-maps (elements keyed by name or mountPath) match by key
 * and may hold more elements; other lists match element by element (same length); under
 * `resources` quantities compare by value ("0.5" == "500m", "1M" == "1000k").
 */
export function isSubset(want: unknown, have: unknown, inResources = false): boolean {
  if (want === undefined) return true;
  if (have === undefined || have === null) return isZero(want);
  if (Array.isArray(want)) {
    if (!Array.isArray(have)) return false;
    const key = listMapKey(want);
    if (key) {
      // A list-map (containers, env, volumes, ports, volumeMounts): our elements must be there
      // with our values; elements other actors added (an injected sidecar, an extra env var) are theirs.
      const byKey = new Map(have.map((h) => [(h as Record<string, unknown> | null)?.[key], h]));
      return want.every((w) => isSubset(w, byKey.get((w as Record<string, unknown>)[key]), inResources));
    }
    return want.length === have.length && want.every((w, i) => isSubset(w, have[i], inResources));
  }
  if (typeof want === 'object' && want !== null) {
    if (typeof have !== 'object' || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want as Record<string, unknown>)
      .every(([k, w]) => isSubset(w, h[k], inResources || k === 'resources'));
  }
  if (want === have) return true;
  if (inResources) {
    const a = parseQuantity(want);
    const b = parseQuantity(have);
    return a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  return false;
}

const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes resource quantity as a number, or undefined if it is not one. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/.exec(q.trim());
  if (!m) return undefined;
  const mult = SUFFIX[m[2] ?? ''];
  return mult === undefined ? undefined : Number(m[1]) * mult;
}
