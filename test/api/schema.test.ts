// Static checks of the CRD schema (operator/src/api/schema.ts, TypeBox): documentation, structure,
// and the defaulting desired/withDefaults derives from it, held to the golden file of the hand-kept
// defaults it replaced. The API server checks (its defaults equal withDefaults) are in crd.test.ts.
import { fastApiAppCrd } from '../../operator/src/api/crd';
import { fastApiAppSchema, type SchemaProps } from '../../operator/src/api/schema';
import { withDefaults } from '../../operator/src/desired';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { FastApiAppSpec } from '../../operator/src/api/types';
import { deepFreeze, minimalSpec } from './fixtures';

function walk(schema: SchemaProps, path: string, visit: (s: SchemaProps, path: string) => void): void {
  visit(schema, path);
  for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${name}`, visit);
  if (schema.items) walk(schema.items, `${path}[]`, visit);
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

  it('when the TypeBox definition becomes the CRD schema, then only structural JSON remains (no const, patternProperties, properties beside additionalProperties)', () => {
    const problems: string[] = [];
    walk(fastApiAppSchema, 'fastapiapp', (s, path) => {
      const keys = Object.keys(s);
      for (const k of ['const', 'patternProperties', '$id', '$ref', 'allOf', 'oneOf', 'not']) if (keys.includes(k)) problems.push(`${path}: ${k}`);
      if (s.properties && Object.keys(s.properties).length === 0) problems.push(`${path}: properties {}`);
      if (s.properties && s.additionalProperties !== undefined) problems.push(`${path}: properties with additionalProperties`);
      if (s.anyOf && !s['x-kubernetes-int-or-string']) problems.push(`${path}: anyOf without int-or-string`);
      if (Object.getOwnPropertySymbols(s).length > 0) problems.push(`${path}: TypeBox symbols`);
    });
    expect(problems).toEqual([]);
  });

  // The golden file holds what the hand-kept withDefaults (deleted when the API moved to one
  // TypeBox definition) returned for the example, the crd.test cases and every spec the unit
  // suites passed it: the schema-driven defaulting must give the same objects.
  // A deliberate change of a default: UPDATE_GOLDEN=1 rewrites `defaulted` (review its diff).
  const goldenFile = path.join(__dirname, 'fixtures', 'defaulted-specs.json');
  const golden = JSON.parse(fs.readFileSync(goldenFile, 'utf8')) as { spec: FastApiAppSpec; defaulted: unknown }[];
  if (process.env.UPDATE_GOLDEN === '1') {
    for (const c of golden) c.defaulted = withDefaults(c.spec);
    fs.writeFileSync(goldenFile, `[\n${golden.map((c) => JSON.stringify(c)).join(',\n')}\n]\n`);
  }
  it('when the golden file is read, then it covers the example and every spec section', () => {
    const example = parse(fs.readFileSync(path.join(__dirname, '..', '..', 'crds', 'examples', 'fastapiapp.yaml'), 'utf8').split('---\n')[1]!);
    expect(golden.map((c) => c.spec)).toContainEqual(example.spec);
    const covered = new Set(golden.flatMap((c) => Object.keys(c.spec)));
    expect(Object.keys(specSchema.properties!).filter((k) => !covered.has(k))).toEqual([]);
  });
  it.each(golden.map((c, i) => [i, Object.keys(c.spec).join(','), c] as const))(
    'when golden spec %i (%s) is defaulted through the schema, then it equals what the hand-kept defaults gave',
    (_i, _keys, { spec, defaulted }) => {
      const frozen = deepFreeze(structuredClone(spec));
      expect(withDefaults(frozen)).toStrictEqual(defaulted);
    },
  );

  it('when a spec brings its own resources, then the default is not merged into them (as the API server does)', () => {
    expect(withDefaults(minimalSpec({ resources: { limits: { cpu: '1' } } })).resources).toStrictEqual({ limits: { cpu: '1' } });
    expect(withDefaults(minimalSpec()).resources).toStrictEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
  });

  it('when a spec carries fields the schema does not know, or nulls, then they are pruned as the API server prunes them', () => {
    const spec = { ...minimalSpec({ service: { port: 8080, extra: 1 } as never }), replicas: null, bogus: { a: 1 } } as unknown as FastApiAppSpec;
    const defaulted = withDefaults(spec) as unknown as Record<string, unknown>;
    expect(defaulted).not.toHaveProperty('bogus');
    expect(defaulted.service).toStrictEqual({ port: 8080, type: 'ClusterIP' });
    expect(defaulted.replicas).toBe(2);
  });

  it('when a defaulted spec is changed, then the schema defaults are not', () => {
    withDefaults(minimalSpec()).pod.topologySpreadConstraints[0]!.maxSkew = 7;
    withDefaults(minimalSpec()).migration.command.push('x');
    expect(withDefaults(minimalSpec()).pod.topologySpreadConstraints[0]!.maxSkew).toBe(1);
    expect(withDefaults(minimalSpec()).migration.command).toEqual(['node', 'dist/app/src/migrate.js', 'pre']);
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
