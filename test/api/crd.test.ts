// The generated CRD against the real API server (envtest): installs and is Established, defaults
// appear on read and equal desired/withDefaults, invalid specs are rejected naming the field,
// descriptions are served for `kubectl explain`, printer columns and the scale subresource work.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, installCrdFromFile, loadKubeConfig } from '../harness/envtest';
import { CRD_NAME } from '../../operator/src/api/crd';
import { API_VERSION, KIND, type FastApiAppSpec } from '../../operator/src/api/types';
import { selectorString, withDefaults } from '../../operator/src/desired';
import { canonicalJson } from '../../operator/src/desired/hash';
import { fastApiApp, IMAGE, minimalSpec } from './fixtures';
import { appsPath, kubeOk, kubeRequest } from './kube-http';

const root = path.resolve(__dirname, '..', '..');
const MERGE = 'application/merge-patch+json';

let kc: KubeConfig;
let ns: string;

beforeAll(async () => {
  kc = loadKubeConfig();
  await installCrdFromFile(path.join(root, 'crds/fastapiapp.yaml'));
  ns = await createTestNamespace('api-crd', kc);
});

function manifest(name: string, spec: unknown) {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec };
}

async function create(name: string, spec: unknown) {
  return kubeRequest(kc, 'POST', appsPath(ns), { body: manifest(name, spec) });
}

describe('FastApiApp CRD on the API server', () => {
  it('when installed, then it is Established with its names accepted', async () => {
    const crd = await kubeOk(kc, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
    const status = (type: string) => crd.status.conditions.find((c: { type: string }) => c.type === type)?.status;
    expect(status('Established')).toBe('True');
    expect(status('NamesAccepted')).toBe('True');
    expect(crd.status.acceptedNames.shortNames).toEqual(['faa']);
  });

  it('when the example and its Secret are applied, then they are accepted and the defaults appear on read', async () => {
    for (const file of ['crds/examples/secret.yaml', 'crds/examples/fastapiapp.yaml']) {
      for (const doc of parseAllDocuments(fs.readFileSync(path.join(root, file), 'utf8'))) {
        const obj = doc.toJSON();
        const base = obj.kind === 'Secret' ? `/api/v1/namespaces/${ns}/secrets`
          : obj.kind === 'RoleBinding' ? `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings` : appsPath(ns);
        await kubeOk(kc, 'POST', base, { body: obj });
      }
    }
    const stored = await kubeOk(kc, 'GET', appsPath(ns, 'items-app'));
    expect(stored.spec).toEqual(withDefaults(stored.spec));
    expect(stored.spec).toMatchObject({
      port: 8000,
      service: { type: 'ClusterIP', port: 80 },
      migration: { enabled: true, command: ['node', 'dist/app/src/migrate.js', 'pre'], postDeployCommand: ['node', 'dist/app/src/migrate.js', 'post'], postDeployDelaySeconds: 0, backoffLimit: 2, activeDeadlineSeconds: 600, jobsHistoryLimit: 3 },
      monitoring: { enabled: true, path: '/metrics', interval: '30s' },
      paused: false,
      databaseSecretRef: { name: 'items-app-database', key: 'DATABASE_URL' },
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
    });
  });

  it.each<[string, FastApiAppSpec]>([
    ['a minimal spec', minimalSpec()],
    ['partial nested objects', minimalSpec({ service: { port: 8080 }, migration: { enabled: false }, monitoring: { interval: '1m' } })],
    ['own resources and a secret key', minimalSpec({ resources: { limits: { cpu: 1 } }, databaseSecretRef: { name: 'db', key: 'url' } })],
    ['auth with its requirements defaulted', minimalSpec({ auth: { issuer: 'https://id.example/realms/shop', audience: 'items' } })],
    ['auth, a JWKS URL and a metrics port', minimalSpec({ auth: { issuer: 'https://id.example', audience: 'a', jwksUri: 'https://id.example/jwks', reads: 'required' }, monitoring: { port: 9100 } })],
    ['auth for Cognito tokens (client_id, prefixed scopes)', minimalSpec({ auth: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab', audience: '4abc', audienceClaim: 'client_id', scopePrefix: 'fastapiapp/' } })],
    ['ServiceMonitor labels for a Prometheus release', minimalSpec({ monitoring: { labels: { release: 'kube-prometheus-stack', 'team.example.com/owner': 'shop' } } })],
    ['an availability SLO (window defaulted)', minimalSpec({ slo: { availability: { objective: '99.9' } } })],
    ['both SLOs over 28 days', minimalSpec({ slo: { availability: { objective: '99.95' }, latency: { threshold: '0.25', objective: '99' }, window: '28d' } })],
  ])('when %s is stored, then the server fills in exactly what withDefaults does', async (_label, spec) => {
    const name = `defaults-${Object.keys(spec).length}-${JSON.stringify(spec).length}`;
    const res = await create(name, spec);
    expect(res.status).toBe(201);
    expect({ env: [], ...res.body.spec }).toEqual(withDefaults(spec));
  });

  // The golden file: what the hand-kept defaults (replaced by the schema's) gave for each spec.
  const golden = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'defaulted-specs.json'), 'utf8')) as { spec: FastApiAppSpec; defaulted: unknown }[];
  it('when every golden spec is stored, then the server fills in what the golden file and withDefaults say', async () => {
    const rejected: string[] = [];
    const differ: number[] = [];
    for (const [i, { spec, defaulted }] of golden.entries()) {
      const res = await create(`golden-${i}`, spec);
      if (res.status !== 201) rejected.push(`${i}: ${res.status} ${res.body.message}`);
      else if (canonicalJson({ env: [], ...res.body.spec }) !== canonicalJson(defaulted) || canonicalJson(withDefaults(spec)) !== canonicalJson(defaulted)) differ.push(i);
    }
    // One golden spec comes from a builder test that feeds labels the API server refuses.
    expect(rejected).toEqual([expect.stringContaining('monitoring.labels must not set app.kubernetes.io/')]);
    expect(golden.length - rejected.length).toBeGreaterThanOrEqual(61);
    expect(differ).toEqual([]);
  });

  // [case, spec or whole object, text the error must contain (the field path), further text]
  /** A Canary spec with one custom analysis metric (fields of `over` replace the valid defaults). */
  const metricSpec = (over: Record<string, unknown>) => minimalSpec({ strategy: { type: 'Canary', canary: { analysis: { metrics: [
    { name: 'db-errors', query: 'sum(rate(db_errors_total{job="{{app}}"}[{{window}}]))', thresholdRange: { max: '0.1' }, ...over },
  ] } } } } as never);
  const invalid: [string, unknown, string, string?][] = [
    ['missing image', { tag: '1.0.0', databaseSecretRef: { name: 'db' } }, 'spec.image: Required value'],
    ['missing tag', { image: 'repo/app', databaseSecretRef: { name: 'db' } }, 'spec.tag: Required value'],
    ['tag latest', minimalSpec({ tag: 'latest' }), 'spec.tag', 'mutable tag defeats migrate-then-rollout'],
    ['tag Latest (any case)', minimalSpec({ tag: 'Latest' }), 'spec.tag', "must not be 'latest'"],
    ['tag with a slash', minimalSpec({ tag: 'a/b' }), 'spec.tag'],
    ['image with a tag', minimalSpec({ image: 'repo/app:1.0' }), 'spec.image'],
    ['image with a digest', minimalSpec({ image: 'repo/app@sha256:abc' }), 'spec.image'],
    ['replicas -1', minimalSpec({ replicas: -1 }), 'spec.replicas', 'greater than or equal to 0'],
    ['replicas 101', minimalSpec({ replicas: 101 }), 'spec.replicas', 'less than or equal to 100'],
    ['replicas not a number', minimalSpec({ replicas: 'two' as unknown as number }), 'spec.replicas'],
    ['negative port', minimalSpec({ port: -1 }), 'spec.port'],
    ['port above 65535', minimalSpec({ port: 70000 }), 'spec.port'],
    ['bad service type', minimalSpec({ service: { type: 'Ingress' as 'ClusterIP' } }), 'spec.service.type', 'Unsupported value'],
    ['service port 0', minimalSpec({ service: { port: 0 } }), 'spec.service.port'],
    ['migration enabled with an empty command', minimalSpec({ migration: { enabled: true, command: [] } }), 'spec.migration.command', 'must not be empty when migration.enabled is true'],
    ['migration defaulted to enabled with an empty command', minimalSpec({ migration: { command: [] } }), 'spec.migration.command', 'must not be empty'],
    ['an empty migration command item', minimalSpec({ migration: { command: ['node', ''] } }), 'spec.migration.command[1]'],
    ['negative backoffLimit', minimalSpec({ migration: { backoffLimit: -1 } }), 'spec.migration.backoffLimit'],
    ['a progress deadline under 10 s', minimalSpec({ progressDeadlineSeconds: 5 }), 'spec.progressDeadlineSeconds'],
    ['zero jobsHistoryLimit', minimalSpec({ migration: { jobsHistoryLimit: 0 } }), 'spec.migration.jobsHistoryLimit'],
    ['zero activeDeadlineSeconds', minimalSpec({ migration: { activeDeadlineSeconds: 0 } }), 'spec.migration.activeDeadlineSeconds'],
    ['missing databaseSecretRef', { image: 'repo/app', tag: '1.0.0' }, 'spec.databaseSecretRef: Required value'],
    ['databaseSecretRef without name', minimalSpec({ databaseSecretRef: {} as { name: string } }), 'spec.databaseSecretRef.name: Required value'],
    ['env overriding DATABASE_URL', minimalSpec({ env: [{ name: 'DATABASE_URL', value: 'postgres://leak' }] }), 'spec.env', 'the operator sets them'],
    ['env with value and valueFrom', minimalSpec({ env: [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }), 'spec.env[0]', 'mutually exclusive'],
    ['duplicate env names', minimalSpec({ env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }), 'spec.env[1]', 'Duplicate value'],
    ['bad monitoring interval', minimalSpec({ monitoring: { interval: '30 seconds' } }), 'spec.monitoring.interval'],
    ['monitoring path without /', minimalSpec({ monitoring: { path: 'metrics' } }), 'spec.monitoring.path'],
    ['monitoring labels overriding the operator\'s', minimalSpec({ monitoring: { labels: { 'app.kubernetes.io/managed-by': 'me' } } }), 'spec.monitoring.labels', 'the operator sets them and finds its ServiceMonitors by them'],
    ['a monitoring label value too long', minimalSpec({ monitoring: { labels: { release: 'x'.repeat(64) } } }), 'spec.monitoring.labels.release'],
    ['a monitoring label key with spaces', minimalSpec({ monitoring: { labels: { 'bad key': 'x' } } }), 'spec.monitoring.labels', 'keys must be qualified names'],
    ['bad cpu quantity', minimalSpec({ resources: { requests: { cpu: 'lots' } } }), 'spec.resources.requests.cpu'],
    ['a bad serviceAccountName', minimalSpec({ pod: { serviceAccountName: 'Not_A_Name' } }), 'spec.pod.serviceAccountName'],
    ['an imagePullSecret without name', minimalSpec({ pod: { imagePullSecrets: [{} as { name: string }] } }), 'spec.pod.imagePullSecrets[0].name: Required value'],
    ['a nodeSelector value too long', minimalSpec({ pod: { nodeSelector: { 'node.kubernetes.io/pool': 'x'.repeat(64) } } }), 'spec.pod.nodeSelector'],
    ['a nodeSelector key with spaces', minimalSpec({ pod: { nodeSelector: { 'bad key': 'x' } } }), 'spec.pod.nodeSelector', 'keys must be qualified names'],
    ['a toleration with Exists and a value', minimalSpec({ pod: { tolerations: [{ key: 'gpu', operator: 'Exists', value: 'x' }] } }), 'spec.pod.tolerations[0].value', 'operator Exists must not set value'],
    ['a toleration without key or Exists', minimalSpec({ pod: { tolerations: [{ value: 'x' }] } }), 'spec.pod.tolerations[0].key', 'without key must use operator Exists'],
    ['tolerationSeconds without NoExecute', minimalSpec({ pod: { tolerations: [{ key: 'a', tolerationSeconds: 5 }] } }), 'spec.pod.tolerations[0].tolerationSeconds', 'needs effect NoExecute'],
    ['a bad toleration effect', minimalSpec({ pod: { tolerations: [{ key: 'a', effect: 'Sometimes' as 'NoSchedule' }] } }), 'spec.pod.tolerations[0].effect', 'Unsupported value'],
    ['a spread constraint with maxSkew 0', minimalSpec({ pod: { topologySpreadConstraints: [{ topologyKey: 'kubernetes.io/hostname', maxSkew: 0 }] } }), 'spec.pod.topologySpreadConstraints[0].maxSkew'],
    ['pod labels overriding the selector', minimalSpec({ pod: { labels: { 'app.kubernetes.io/instance': 'other' } } }), 'spec.pod.labels', 'the operator sets them and selects its pods by them'],
    ['pod annotations in the operator\'s prefix', minimalSpec({ pod: { annotations: { 'fastapiapp.io/template-hash': 'x' } } }), 'spec.pod.annotations', 'must not set fastapiapp.io/ keys'],
    ['auth without audience', minimalSpec({ auth: { issuer: 'https://id.example' } as { issuer: string; audience: string } }), 'spec.auth.audience: Required value'],
    ['an auth issuer over plain http', minimalSpec({ auth: { issuer: 'http://id.example', audience: 'a' } }), 'spec.auth.issuer'],
    ['an unknown auth requirement', minimalSpec({ auth: { issuer: 'https://id.example', audience: 'a', reads: 'sometimes' as 'open' } }), 'spec.auth.reads', 'Unsupported value'],
    ['an unknown audience claim', minimalSpec({ auth: { issuer: 'https://id.example', audience: 'a', audienceClaim: 'azp' as 'aud' } }), 'spec.auth.audienceClaim', 'Unsupported value'],
    ['env setting AUTH_AUDIENCE_CLAIM beside auth', minimalSpec({ auth: { issuer: 'https://id.example', audience: 'a' }, env: [{ name: 'AUTH_AUDIENCE_CLAIM', value: 'client_id' }] }), 'spec', 'the operator sets them from auth'],
    ['env setting AUTH_ISSUER beside auth', minimalSpec({ auth: { issuer: 'https://id.example', audience: 'a' }, env: [{ name: 'AUTH_ISSUER', value: 'https://evil.example' }] }), 'spec', 'the operator sets them from auth'],
    ['env overriding METRICS_PORT', minimalSpec({ env: [{ name: 'METRICS_PORT', value: '8000' }] }), 'spec.env', 'the operator sets them'],
    ['the metrics port equal to the app port', minimalSpec({ port: 9000, monitoring: { port: 9000 } }), 'spec', 'monitoring.port must differ from port'],
    ['maxUnavailable 0', minimalSpec({ disruptionBudget: { maxUnavailable: 0 } }), 'spec.disruptionBudget.maxUnavailable', 'an integer >= 1 or a percentage'],
    ['an SLO without objectives', minimalSpec({ slo: {} }), 'spec.slo', 'slo needs availability, latency or both'],
    ['an SLO objective of 100', minimalSpec({ slo: { availability: { objective: '100' } } }), 'spec.slo.availability.objective'],
    ['an SLO objective under 50', minimalSpec({ slo: { availability: { objective: '40' } } }), 'spec.slo.availability.objective', 'at least 50 and below 100'],
    ['an SLO objective that is not a number', minimalSpec({ slo: { availability: { objective: 'high' } } }), 'spec.slo.availability.objective'],
    ['a latency threshold that is no bucket', minimalSpec({ slo: { latency: { threshold: '0.3', objective: '99' } } }), 'spec.slo.latency.threshold', 'Unsupported value'],
    ['a latency SLO without objective', minimalSpec({ slo: { latency: { threshold: '0.5' } as { threshold: string; objective: string } } }), 'spec.slo.latency.objective: Required value'],
    ['an SLO window under 7 days', minimalSpec({ slo: { availability: { objective: '99' }, window: '5d' } }), 'spec.slo.window'],
    ['an SLO window in hours', minimalSpec({ slo: { availability: { objective: '99' }, window: '720h' } }), 'spec.slo.window'],
    ['maxUnavailable 0%', minimalSpec({ disruptionBudget: { maxUnavailable: '0%' } }), 'spec.disruptionBudget.maxUnavailable', 'an integer >= 1 or a percentage'],
    ['an unknown strategy', minimalSpec({ strategy: { type: 'Recreate' as 'Canary' } }), 'spec.strategy.type', 'Unsupported value'],
    ['a negative scaleDownDelaySeconds', minimalSpec({ strategy: { type: 'BlueGreen', blueGreen: { scaleDownDelaySeconds: -1 } } }), 'spec.strategy.blueGreen.scaleDownDelaySeconds'],
    ['a previewService that is no boolean', minimalSpec({ strategy: { type: 'BlueGreen', blueGreen: { previewService: 'yes' as unknown as boolean } } }), 'spec.strategy.blueGreen.previewService'],
    ['a canary step with weight and pause', minimalSpec({ strategy: { type: 'Canary', canary: { steps: [{ weight: 20, pause: { durationSeconds: 5 } }] } } }), 'spec.strategy.canary.steps[0]', 'exactly one of weight and pause'],
    ['a canary weight of 100', minimalSpec({ strategy: { type: 'Canary', canary: { steps: [{ weight: 100 }] } } }), 'spec.strategy.canary.steps[0].weight'],
    ['canary steps without a weight', minimalSpec({ strategy: { type: 'Canary', canary: { steps: [{ pause: {} }] } } }), 'spec.strategy.canary.steps', 'at least one weight step'],
    ['a maxErrorRatio above 1', minimalSpec({ strategy: { type: 'Canary', canary: { analysis: { maxErrorRatio: '1.5' } } } }), 'spec.strategy.canary.analysis.maxErrorRatio', 'must be at most 1'],
    ['a maxP99Seconds that is no decimal', minimalSpec({ strategy: { type: 'Canary', canary: { analysis: { maxP99Seconds: '1e3' } } } }), 'spec.strategy.canary.analysis.maxP99Seconds'],
    ['a failureLimit of 0', minimalSpec({ strategy: { type: 'Canary', canary: { analysis: { failureLimit: 0 } } } }), 'spec.strategy.canary.analysis.failureLimit'],
    ['a custom metric with an unknown placeholder', metricSpec({ query: 'sum(up{job="{{ target }}"})', thresholdRange: { max: '1' } }), 'spec.strategy.canary.analysis.metrics[0].query', 'query placeholders must be one of'],
    ['a custom metric without bounds', metricSpec({ thresholdRange: {} }), 'spec.strategy.canary.analysis.metrics[0].thresholdRange', 'needs min, max or both'],
    ['a custom metric with min above max', metricSpec({ thresholdRange: { min: '2', max: '1' } }), 'spec.strategy.canary.analysis.metrics[0].thresholdRange', 'min must not exceed max'],
    ['a custom metric named like a built-in check', metricSpec({ name: 'p99' }), 'spec.strategy.canary.analysis.metrics[0].name', 'must not be a built-in check'],
    ['a custom metric bound that is no decimal', metricSpec({ thresholdRange: { max: '1e3' } }), 'spec.strategy.canary.analysis.metrics[0].thresholdRange.max'],
  ];

  it('when a custom metric uses every placeholder, with or without spaces, then it is accepted as written', async () => {
    const query = 'sum(rate(x{namespace="{{namespace}}", job="{{ app }}", v="{{version}}", t="{{ track}}"}[{{window }}]))';
    const res = await create('custom-metric', metricSpec({ query, thresholdRange: { min: '-1', max: '0.5' } }));
    expect(res.status).toBe(201);
    expect(res.body.spec.strategy.canary.analysis.metrics).toEqual([{ name: 'db-errors', query, thresholdRange: { min: '-1', max: '0.5' } }]);
  });

  // Every row gets four entries: jest would take a missing fourth as the `done` callback.
  const rows = invalid.map(([label, spec, field, text]) => [label, spec, field, text ?? ''] as const);
  it.each(rows)('when the spec has %s, then it is rejected naming the field', async (_label, spec, field, text) => {
    const res = await create('invalid', spec);
    expect(res.status).toBe(422);
    expect(res.body.message).toContain(field);
    expect(res.body.message).toContain(text);
  });

  it('when migration is disabled, then an empty command is accepted', async () => {
    const res = await create('no-migration', minimalSpec({ migration: { enabled: false, command: [] } }));
    expect(res.status).toBe(201);
    expect(res.body.spec.migration).toEqual({ enabled: false, command: [], postDeployCommand: ['node', 'dist/app/src/migrate.js', 'post'], postDeployDelaySeconds: 0, backoffLimit: 2, activeDeadlineSeconds: 600, jobsHistoryLimit: 3 });
  });

  it('when the name is not a DNS-1035 label, then it is rejected naming metadata.name', async () => {
    const res = await create('items.v2', minimalSpec());
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('metadata.name must be a DNS-1035 label');
  });

  it('when strategy Canary is set on a name too long for <name>-canary, then it is rejected; the defaults fill every canary setting', async () => {
    const long = await create('a'.repeat(57), minimalSpec({ strategy: { type: 'Canary' } }));
    expect(long.status).toBe(422);
    expect(long.body.message).toContain('at most 56 characters');
    const ok = await create('canary-defaults', minimalSpec({ strategy: { type: 'Canary' } }));
    expect(ok.status).toBe(201);
    expect(ok.body.spec.strategy.canary).toEqual({
      steps: [{ weight: 20 }, { pause: { durationSeconds: 60 } }, { weight: 50 }, { pause: { durationSeconds: 60 } }],
      analysis: { intervalSeconds: 10, initialDelaySeconds: 10, windowSeconds: 60, failureLimit: 2, minRequests: 20, maxErrorRatio: '0.05', maxErrorRatioIncrease: '0.02', maxP99Seconds: '2.5', maxP99Factor: '2' },
      migrationCheck: { windowSeconds: 30 },
    });
  });

  it('when strategy BlueGreen is set on a name too long for <name>-preview, then it is rejected; the defaults fill every blueGreen setting', async () => {
    const long = await create('b'.repeat(56), minimalSpec({ strategy: { type: 'BlueGreen' } }));
    expect(long.status).toBe(422);
    expect(long.body.message).toContain('at most 55 characters');
    const ok = await create('bluegreen-defaults', minimalSpec({ strategy: { type: 'BlueGreen' } }));
    expect(ok.status).toBe(201);
    expect(ok.body.spec.strategy.blueGreen).toEqual({ previewService: true, autoPromote: true, scaleDownDelaySeconds: 30 });
  });

  it('when the schema is read back like kubectl explain does, then fields have their descriptions', async () => {
    const crd = await kubeOk(kc, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
    const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    expect(spec.properties.migration.description).toContain('Database migration run as a Job');
    expect(spec.properties.migration.properties.activeDeadlineSeconds.description).toContain('Seconds');

    // kubectl explain reads the published OpenAPI v3 document, which the server builds shortly after install.
    const deadline = Date.now() + 20000;
    let migration: { description?: string; properties?: Record<string, { description?: string }> } | undefined;
    while (!migration?.description && Date.now() < deadline) {
      const res = await kubeRequest(kc, 'GET', '/openapi/v3/apis/platform.fastapiapp.io/v1alpha1');
      const schemas = res.status === 200 ? res.body.components?.schemas ?? {} : {};
      const app = Object.entries(schemas).find(([key]) => key.endsWith('.FastApiApp'))?.[1] as
        | { properties: { spec: { properties: Record<string, typeof migration> } } }
        | undefined;
      migration = app?.properties.spec.properties.migration;
      if (!migration?.description) await new Promise((r) => setTimeout(r, 250));
    }
    expect(migration?.description).toContain('Database migration');
    expect(migration?.properties?.command?.description).toContain('Command the migration Job runs');
  });

  it('when listed as a table, then the printer columns are Tag, Ready, Replicas, Migrated, Available, Age, and Image (wide)', async () => {
    await kubeOk(kc, 'POST', appsPath(ns), { body: manifest('columns', minimalSpec({ tag: '3.1.4' })) });
    await kubeOk(kc, 'PATCH', `${appsPath(ns, 'columns')}/status`, {
      contentType: MERGE,
      body: {
        status: {
          readyReplicas: 2,
          image: `${IMAGE}:3.1.4@sha256:${'d'.repeat(64)}`,
          conditions: [
            { type: 'Ready', status: 'True', reason: 'Available', message: 'all replicas ready', lastTransitionTime: '2026-01-01T00:00:00Z' },
            { type: 'Migrated', status: 'True', reason: 'Succeeded', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' },
            { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' },
          ],
        },
      },
    });
    const table = await kubeOk(kc, 'GET', appsPath(ns, 'columns'), {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    const names = table.columnDefinitions.map((c: { name: string }) => c.name);
    expect(names).toEqual(['Name', 'Tag', 'Ready', 'Replicas', 'Migrated', 'Available', 'Age', 'Image']);
    expect(table.columnDefinitions.find((c: { name: string }) => c.name === 'Image').priority).toBe(1);
    expect(table.rows[0].cells.slice(0, 6)).toEqual(['columns', '3.1.4', 'True', 2, 'True', 'True']);
    expect(table.rows[0].cells[7]).toBe(`${IMAGE}:3.1.4@sha256:${'d'.repeat(64)}`);
  });

  it('when scaled through the scale subresource, then spec.replicas follows and status feeds the scale status', async () => {
    const app = fastApiApp({ replicas: 1 }, 'scaled', ns);
    await kubeOk(kc, 'POST', appsPath(ns), { body: manifest('scaled', app.spec) });
    await kubeOk(kc, 'PATCH', `${appsPath(ns, 'scaled')}/status`, {
      contentType: MERGE,
      body: { status: { replicas: 1, readyReplicas: 1, selector: selectorString(app) } },
    });

    // What `kubectl scale faa/scaled --replicas=3` sends.
    const scaled = await kubeOk(kc, 'PATCH', `${appsPath(ns, 'scaled')}/scale`, { contentType: MERGE, body: { spec: { replicas: 3 } } });
    expect(scaled.kind).toBe('Scale');
    expect(scaled.spec.replicas).toBe(3);
    expect(scaled.status).toEqual({ replicas: 1, selector: selectorString(app) });
    expect((await kubeOk(kc, 'GET', appsPath(ns, 'scaled'))).spec.replicas).toBe(3);

    const tooMany = await kubeRequest(kc, 'PATCH', `${appsPath(ns, 'scaled')}/scale`, { contentType: MERGE, body: { spec: { replicas: 500 } } });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.message).toContain('spec.replicas');
  });

  it('when status is written through the main resource, then it is ignored (status subresource)', async () => {
    await kubeOk(kc, 'POST', appsPath(ns), { body: manifest('status-sub', minimalSpec()) });
    const updated = await kubeOk(kc, 'PATCH', appsPath(ns, 'status-sub'), {
      contentType: MERGE,
      body: { status: { image: 'x:y' } },
    });
    expect(updated.status?.image).toBeUndefined();
  });
});
