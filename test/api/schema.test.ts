// Static checks of the CRD schema (operator/src/api/schema.ts): documentation, structure, and
// agreement between its defaults and desired/withDefaults. The API server checks are in
// crd.envtest.test.ts.
import { fastApiAppCrd } from '../../operator/src/api/crd';
import { fastApiAppSchema, type SchemaProps } from '../../operator/src/api/schema';
import { withDefaults } from '../../operator/src/desired';
import { minimalSpec } from './fixtures';

function walk(schema: SchemaProps, path: string, visit: (s: SchemaProps, path: string) => void): void {
  visit(schema, path);
  for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${name}`, visit);
  if (schema.items) walk(schema.items, `${path}[]`, visit);
}

/** Applies schema defaults the way the API server does: a default fills an absent field, then recurses. */
function applyDefaults(schema: SchemaProps, value: unknown): unknown {
  if (schema.type === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [name, child] of Object.entries(schema.properties ?? {})) {
      if (out[name] === undefined && child.default !== undefined) out[name] = structuredClone(child.default);
      if (out[name] !== undefined) out[name] = applyDefaults(child, out[name]);
    }
    return out;
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items) return value.map((v) => applyDefaults(schema.items!, v));
  return value;
}

const specSchema = fastApiAppSchema.properties!.spec!;

describe('FastApiApp schema', () => {
  it('when walked, then every field except metadata has a description', () => {
    const missing: string[] = [];
    walk(fastApiAppSchema, 'fastapiapp', (s, path) => {
      if (!s.description && path !== 'fastapiapp.metadata' && !path.endsWith('[]')) missing.push(path);
    });
    expect(missing).toEqual([]);
  });

  it('when walked, then every node is structural (has a type, or is int-or-string)', () => {
    const untyped: string[] = [];
    walk(fastApiAppSchema, 'fastapiapp', (s, path) => {
      if (!s.type && !s['x-kubernetes-int-or-string']) untyped.push(path);
    });
    expect(untyped).toEqual([]);
  });

  it('when an object holds defaulted fields, then the object itself defaults to {} (or is required)', () => {
    const problems: string[] = [];
    walk(specSchema, 'spec', (s, path) => {
      for (const [name, child] of Object.entries(s.properties ?? {})) {
        const nestedDefaults = Object.values(child.properties ?? {}).some((p) => p.default !== undefined);
        if (nestedDefaults && child.default === undefined && !(s.required ?? []).includes(name)) problems.push(`${path}.${name}`);
      }
    });
    expect(problems).toEqual([]);
  });

  it.each([
    ['a minimal spec', minimalSpec()],
    ['a spec with partial nested objects', minimalSpec({ service: { port: 8080 }, migration: { enabled: false }, monitoring: { interval: '1m' } })],
    ['a spec with own resources', minimalSpec({ resources: { limits: { cpu: '1' } }, databaseSecretRef: { name: 'x', key: 'k' } })],
  ])('when %s is defaulted by the schema, then it equals withDefaults', (_label, spec) => {
    const fromSchema = applyDefaults(specSchema, spec) as Record<string, unknown>;
    // withDefaults also normalises env to [] (the schema leaves an absent list absent).
    expect({ env: [], ...fromSchema }).toEqual(withDefaults(spec));
  });

  it('when the CRD is built, then it enables the status and scale subresources and the printer columns', () => {
    const crd = fastApiAppCrd();
    const version = crd.spec.versions[0]!;
    expect(crd.metadata.name).toBe('fastapiapps.platform.fastapiapp.io');
    expect(crd.spec.names.shortNames).toEqual(['faa']);
    expect(version.subresources.scale).toEqual({
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    });
    expect(version.additionalPrinterColumns.map((c) => c.name)).toEqual(['Tag', 'Ready', 'Replicas', 'Migrated', 'Available', 'Age', 'Image']);
  });
});
