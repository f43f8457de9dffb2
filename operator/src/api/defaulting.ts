// Schema defaulting as the API server does it for a structural CRD schema, over the JSON the CRD
// carries (schema-kit's SchemaProps). A default fills a field only when it is absent, and is never
// merged into a given object (a spec with resources.limits alone gets no default requests); the
// value is then defaulted in turn, so a parent defaulted to {} gets its fields' defaults; list items
// and map values are defaulted too. TypeBox's Value.Default differs on exactly that merge (it
// Object.assigns an object default under the given object), which is why this walk exists.
import type { SchemaProps } from './schema-kit';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `value` with `schema`'s defaults applied (a new value; the input is not changed). */
export function applyDefaults(schema: SchemaProps, value: unknown): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((item) => applyDefaults(schema.items!, item)) : [...value];
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue; // the API server prunes a null before defaulting
    const child = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    out[key] = child ? applyDefaults(child, v) : structuredClone(v);
  }
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && child.default !== undefined) out[key] = applyDefaults(child, structuredClone(child.default));
  }
  return out;
}
