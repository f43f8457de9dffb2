import { TEMPLATE_HASH_ANNOTATION } from '../../operator/src/desired/deployment';
import { isSubset, needsApply, parseQuantity, withAppliedHash, APPLIED_HASH_ANNOTATION, canonicalJson } from '../../operator/src/reconcile/diff';
import type { Loose } from './support/world';

describe('isSubset (drift detection)', () => {
  test('when the live object has defaults and extra fields, then the desired object is still a subset', () => {
    const want = { spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'x:1' }] } } } };
    const have = { spec: { replicas: 2, progressDeadlineSeconds: 600, template: { spec: { dnsPolicy: 'ClusterFirst', containers: [{ name: 'app', image: 'x:1', terminationMessagePath: '/dev/termination-log' }] } } } };
    expect(isSubset(want, have)).toBe(true);
  });

  test('when someone changed a field we set, then drift is detected', () => {
    expect(isSubset({ spec: { replicas: 2 } }, { spec: { replicas: 5 } })).toBe(false);
    expect(isSubset({ c: [{ image: 'x:1' }] }, { c: [{ image: 'x:2' }] })).toBe(false);
  });

  test('when a keyed list lost one of our elements or an atomic list changed length, then drift is detected', () => {
    expect(isSubset({ env: [{ name: 'A' }, { name: 'B' }] }, { env: [{ name: 'A' }] })).toBe(false);
    expect(isSubset({ command: ['node', 'x'] }, { command: ['node', 'x', 'y'] })).toBe(false);
    expect(isSubset({ env: [{ name: 'A', value: '1' }] }, { env: [{ name: 'A', value: '2' }] })).toBe(false);
  });

  test('when other actors added elements to a keyed list (a sidecar, an env var, a volume mount), then that is no drift', () => {
    const want = { containers: [{ name: 'app', env: [{ name: 'A', value: '1' }], volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] }] };
    const have = { containers: [
      { name: 'istio-proxy', image: 'proxy:1' },
      { name: 'app', env: [{ name: 'INJECTED', value: 'y' }, { name: 'A', value: '1' }],
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, { name: 'certs', mountPath: '/etc/certs' }] },
    ] };
    expect(isSubset(want, have)).toBe(true);
    expect(isSubset({ resources: { limits: { memory: '1M' } } }, { resources: { limits: { memory: '1000k' } } })).toBe(true);
  });

  test('when a zero value is wanted and the server omitted it, then that is no drift', () => {
    expect(isSubset({ readOnly: false, env: [], securityContext: {} }, {})).toBe(true);
    expect(isSubset({ privileged: false }, { privileged: true })).toBe(false);
  });

  test('when quantities are written differently under resources, then they compare by value', () => {
    expect(isSubset({ resources: { limits: { cpu: '0.5', memory: '1Gi' } } }, { resources: { limits: { cpu: '500m', memory: '1024Mi' } } })).toBe(true);
    expect(isSubset({ resources: { limits: { cpu: '0.5' } } }, { resources: { limits: { cpu: '600m' } } })).toBe(false);
    expect(isSubset({ port: '80' }, { port: 80 })).toBe(false); // outside resources, types matter
  });

  test('parseQuantity understands decimal and binary suffixes and rejects junk', () => {
    expect(parseQuantity('250m')).toBeCloseTo(0.25);
    expect(parseQuantity('256Mi')).toBe(256 * 2 ** 20);
    expect(parseQuantity('2k')).toBe(2000);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity(3)).toBe(3);
    expect(parseQuantity('abc')).toBeUndefined();
  });
});

describe('needsApply', () => {
  const desired = withAppliedHash({ metadata: { name: 'a', labels: { x: '1' } }, spec: { replicas: 2 } });

  test('when the child is missing, then it needs an apply', () => {
    expect(needsApply(desired, undefined)).toBe(true);
  });

  test('when the live child carries the same hash and our fields, then nothing is applied', () => {
    const live = { ...desired, metadata: { ...desired.metadata, uid: 'u', resourceVersion: '5' }, status: { replicas: 2 } };
    expect(needsApply(desired, live)).toBe(false);
  });

  test('when the desired object changed, then the hash differs even if the change removed a field', () => {
    const before = withAppliedHash<Loose>({ metadata: { name: 'a' }, spec: { replicas: 2, paused: true } });
    const after = withAppliedHash<Loose>({ metadata: { name: 'a' }, spec: { replicas: 2 } });
    expect(after.metadata.annotations![APPLIED_HASH_ANNOTATION]).not.toBe(before.metadata.annotations![APPLIED_HASH_ANNOTATION]);
    expect(needsApply(after, before)).toBe(true);
  });

  test('when a Deployment keeps its live template (server defaults included) under the same template hash, then its applied hash is unchanged and nothing is applied; another template hash or other fields change it', () => {
    const hashOf = (o: Loose): string | undefined => withAppliedHash<Loose>(o).metadata.annotations![APPLIED_HASH_ANNOTATION];
    const built = { metadata: { name: 'a', annotations: { [TEMPLATE_HASH_ANNOTATION]: 't1' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'i:1' }] } } } };
    const held = { ...built, spec: { ...built.spec, template: { spec: { containers: [{ name: 'app', image: 'i:1', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always' } } } };
    expect(hashOf(held)).toBe(hashOf(built));
    const live = { ...withAppliedHash<Loose>(built), spec: held.spec };
    expect(needsApply(withAppliedHash<Loose>(held), live)).toBe(false);
    expect(hashOf({ ...built, metadata: { name: 'a', annotations: { [TEMPLATE_HASH_ANNOTATION]: 't2' } } })).not.toBe(hashOf(built));
    expect(hashOf({ ...built, spec: { ...built.spec, replicas: 3 } })).not.toBe(hashOf(built));
    // drift inside the template is still seen field by field
    const edited = { ...live, spec: { ...live.spec, template: { spec: { containers: [{ name: 'app', image: 'other:9' }] } } } };
    expect(needsApply(withAppliedHash<Loose>(held), edited)).toBe(true);
    // without a template hash the template is hashed itself
    const plain = { metadata: { name: 'a' }, spec: { template: { x: 1 } } };
    expect(hashOf(plain)).not.toBe(hashOf({ ...plain, spec: { template: { x: 2 } } }));
  });

  test('canonicalJson ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe(canonicalJson({ a: { c: 2, d: 1 }, b: 1 }));
  });
});
