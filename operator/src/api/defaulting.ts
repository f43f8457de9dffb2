// Schema defaulting as the API server does it for a structural CRD schema, over the JSON the CRD
// carries (schema-kit's SchemaProps). Fields the schema does not know are pruned, and so is a null;
// a default fills a field only when it is absent, and is never merged into a given object (a spec
// with resources.limits alone gets no default requests); the value is then defaulted in turn, so a
// parent defaulted to {} gets its fields' defaults; list items and map values are defaulted too.
// TypeBox's Value.Default differs on exactly that merge (it Object.assigns an object default under
// the given object), which is why this walk exists.
import type { SchemaProps } from './schema-kit';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema a key of an object node holds, or undefined when the API server would prune it. */
function fieldSchema(schema: SchemaProps, key: string): SchemaProps | 'keep' | undefined {
  const known = schema.properties?.[key];
  if (known) return known;
  if (typeof schema.additionalProperties === 'object') return schema.additionalProperties;
  if (schema.additionalProperties === true || schema['x-kubernetes-preserve-unknown-fields']) return 'keep';
  return undefined;
}

/**
 * `value` pruned and defaulted by `schema` (a new value; the input is not changed). An absent value
 * (undefined or null) becomes the schema's default, itself defaulted, or stays undefined.
 */
export function applyDefaults(schema: SchemaProps, value: unknown): unknown {
  if (value === undefined || value === null) return schema.default === undefined ? undefined : applyDefaults(schema, structuredClone(schema.default));
  if (Array.isArray(value)) return schema.items ? value.map((item) => applyDefaults(schema.items!, item)) : structuredClone(value);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const child = fieldSchema(schema, key);
    if (v === null || v === undefined || child === undefined) continue;
    out[key] = child === 'keep' ? structuredClone(v) : applyDefaults(child, v);
  }
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && child.default !== undefined) out[key] = applyDefaults(child, undefined);
  }
  return out;
}
