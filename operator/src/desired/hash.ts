// Content hashes: child names, the applied-hash annotation and the pod-template hash all hash
// canonical JSON, so equal objects hash equally whatever their key order.
import { createHash } from 'node:crypto';

export const HASH_LENGTH = 10;

/** JSON with object keys sorted. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** First `length` hex digits of sha256(text). */
export function shortHash(text: string, length = HASH_LENGTH): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** shortHash of a value's canonical JSON. */
export const objectHash = (value: unknown, length = HASH_LENGTH): string => shortHash(canonicalJson(value), length);
