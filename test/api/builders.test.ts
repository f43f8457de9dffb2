// Invariants of the pure desired-state builders (no I/O).
import {
  buildDeployment,
  buildDisruptionBudget,
  buildMigrationJob,
  buildService,
  buildServiceMonitor,
  childName,
  commonLabels,
  imageRef,
  labelValue,
  MANAGED_BY_LABEL,
  digestOf,
  pinnedRef,
  RETRY_MIGRATION_ANNOTATION,
  ownerReference,
  selectorLabels,
  selectorString,
  tagOf,
  wantsDisruptionBudget,
  withDefaults,
} from '../../operator/src/desired';
import type { AuthSpec, FastApiApp } from '../../operator/src/api/types';
import { DNS1123_LABEL, deepFreeze, fastApiApp, IMAGE } from './fixtures';

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

function children(app: FastApiApp) {
  return {
    deployment: buildDeployment(app, imageRef(app)),
    service: buildService(app),
    job: buildMigrationJob(app),
    serviceMonitor: buildServiceMonitor(app),
  };
}

describe('desired-state builders', () => {
  it('when built, then the Deployment selector matches its pod labels and the Service selects the same pods', () => {
    const app = fastApiApp();
    const { deployment, service } = children(app);
    const selector = deployment.spec!.selector.matchLabels!;
    expect(matches(selector, deployment.spec!.template.metadata!.labels)).toBe(true);
    expect(service.spec!.selector).toEqual(selector);
    expect(selector).toEqual(selectorLabels(app));
    expect(selectorString(app)).toBe(
      'app.kubernetes.io/component=server,app.kubernetes.io/instance=items,app.kubernetes.io/name=fastapiapp',
    );
  });

  it('when a migration pod runs, then the Service does not select it', () => {
    const app = fastApiApp();
    const { job, service } = children(app);
    expect(matches(service.spec!.selector!, job.spec!.template.metadata!.labels)).toBe(false);
    expect(job.spec!.template.metadata!.labels![MANAGED_BY_LABEL]).toBe('fastapiapp-operator');
  });

  it('when the tag changes, then the Deployment selector stays the same and only version/image change', () => {
    const v1 = fastApiApp({ tag: '1.0.0' });
    const v2 = fastApiApp({ tag: '2.0.0' });
    const d1 = buildDeployment(v1, imageRef(v1));
    const d2 = buildDeployment(v2, imageRef(v2));
    expect(d2.spec!.selector).toEqual(d1.spec!.selector);
    expect(d2.spec!.template.spec!.containers[0]!.image).toBe(`${IMAGE}:2.0.0`);
    expect(d2.metadata!.labels!['app.kubernetes.io/version']).toBe('2.0.0');
    // the Service, ServiceMonitor and PodDisruptionBudget carry no version: a release does not touch them
    expect(buildService(v2)).toEqual(buildService(v1));
    expect(buildServiceMonitor(v2)).toEqual(buildServiceMonitor(v1));
    expect(buildDisruptionBudget(v2)).toEqual(buildDisruptionBudget(v1));
    expect(buildService(v1).metadata!.labels!['app.kubernetes.io/version']).toBeUndefined();
  });

  it('when given a run image other than the spec image, then the Deployment runs that image and labels its tag', () => {
    const app = fastApiApp({ tag: '2.0.0' });
    const d = buildDeployment(app, `${IMAGE}:1.0.0`);
    expect(d.spec!.template.spec!.containers[0]!.image).toBe(`${IMAGE}:1.0.0`);
    expect(d.spec!.template.metadata!.labels!['app.kubernetes.io/version']).toBe('1.0.0');
  });

  it('when built, then every child has one controller owner reference to the FastApiApp and the managed-by label', () => {
    const app = fastApiApp();
    for (const child of Object.values(children(app))) {
      expect(child.metadata!.ownerReferences).toEqual([
        {
          apiVersion: 'platform.fastapiapp.io/v1alpha1',
          kind: 'FastApiApp',
          name: 'items',
          uid: app.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(child.metadata!.namespace).toBe('shop');
      expect(child.metadata!.labels![MANAGED_BY_LABEL]).toBe('fastapiapp-operator');
      expect(child.apiVersion).toBeTruthy();
      expect(child.kind).toBeTruthy();
    }
    expect(ownerReference(app).controller).toBe(true);
  });

  it.each(['deployment', 'job'] as const)('when the %s pod is built, then it meets the restricted Pod Security profile', (which) => {
    const app = fastApiApp();
    const c = children(app);
    const pod = (which === 'deployment' ? c.deployment : c.job).spec!.template.spec!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext!.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.hostNetwork ?? false).toBe(false);
    for (const container of pod.containers) {
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(container.securityContext!.capabilities!.add).toBeUndefined();
      const tmp = container.volumeMounts!.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes!.find((v) => v.name === tmp!.name)!.emptyDir).toBeDefined();
    }
  });

  it('when built, then DATABASE_URL comes from the Secret by reference in both the app and the migration', () => {
    const app = fastApiApp({ databaseSecretRef: { name: 'db', key: 'url' } });
    const { deployment, job } = children(app);
    for (const container of [deployment.spec!.template.spec!.containers[0]!, job.spec!.template.spec!.containers[0]!]) {
      const db = container.env!.find((e) => e.name === 'DATABASE_URL')!;
      expect(db.value).toBeUndefined();
      expect(db.valueFrom).toEqual({ secretKeyRef: { name: 'db', key: 'url' } });
    }
  });

  it('when the spec is minimal, then the schema defaults are applied', () => {
    const app = fastApiApp();
    const { deployment, service, job, serviceMonitor } = children(app);
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(deployment.spec!.replicas).toBe(2);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }, { name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
    expect(container.env![0]).toEqual({ name: 'PORT', value: '8000' });
    expect(container.env![1]).toEqual({ name: 'METRICS_PORT', value: '9464' });
    expect(container.env![2]!.valueFrom!.secretKeyRef!.key).toBe('DATABASE_URL');
    expect(container.env!.some((e) => e.name.startsWith('AUTH_'))).toBe(false); // no spec.auth: the app runs open
    expect(container.resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
    expect(container.readinessProbe!.httpGet!.path).toBe('/readyz');
    expect(container.livenessProbe!.httpGet!.path).toBe('/livez');
    expect(service.spec!.type).toBe('ClusterIP');
    expect(service.spec!.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(job.spec!.backoffLimit).toBe(2);
    expect(job.spec!.activeDeadlineSeconds).toBe(600);
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
    expect(job.spec!.template.spec!.containers[0]!.command).toEqual(['node', 'dist/app/src/migrate.js', 'pre']);
    // The Service exposes only the app port; Prometheus scrapes each pod's metrics port.
    expect(serviceMonitor.spec.endpoints).toEqual([{ targetPort: 'metrics', path: '/metrics', interval: '30s', scheme: 'http' }]);
    expect(withDefaults(app.spec)).toMatchObject({ paused: false, migration: { enabled: true }, monitoring: { enabled: true } });
  });

  it('when built, then pods outlive the app\'s shutdown delay and the startup probe tolerates a slow start', () => {
    const pod = buildDeployment(fastApiApp(), imageRef(fastApiApp())).spec!.template.spec!;
    const container = pod.containers[0]!;
    const appShutdownDelaySeconds = 5; // the app's SHUTDOWN_DELAY_MS default
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(appShutdownDelaySeconds * 4);
    const startup = container.startupProbe!;
    expect(startup.httpGet!.path).toBe('/livez');
    // a ~3 s Node start must not count as failures, and the budget must cover well over a minute of retries
    expect(startup.initialDelaySeconds).toBeGreaterThanOrEqual(3);
    expect(startup.timeoutSeconds).toBeGreaterThanOrEqual(3);
    expect((startup.initialDelaySeconds ?? 0) + startup.periodSeconds! * startup.failureThreshold!).toBeGreaterThanOrEqual(60);
    expect(container.readinessProbe!.httpGet!.path).toBe('/readyz');
    expect(buildDeployment(fastApiApp(), 'x:1').spec!.progressDeadlineSeconds).toBe(600);
    expect(buildDeployment(fastApiApp({ progressDeadlineSeconds: 60 }), 'x:1').spec!.progressDeadlineSeconds).toBe(60);
  });

  it('when the spec sets values, then the children carry them', () => {
    const app = fastApiApp({
      replicas: 5,
      port: 9000,
      env: [{ name: 'LOG_LEVEL', value: 'debug' }],
      resources: { requests: { cpu: 1, memory: '1Gi' } },
      service: { type: 'LoadBalancer', port: 8080 },
      migration: { command: ['npm', 'run', 'migrate'], backoffLimit: 0, activeDeadlineSeconds: 60 },
      monitoring: { path: '/prom', interval: '1m', port: 9100 },
    });
    const { deployment, service, job, serviceMonitor } = children(app);
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(deployment.spec!.replicas).toBe(5);
    expect(container.ports!.find((p) => p.name === 'metrics')!.containerPort).toBe(9100);
    expect(service.spec!.ports!.map((p) => p.name)).toEqual(['http']);
    expect(container.env).toEqual([
      { name: 'PORT', value: '9000' },
      { name: 'METRICS_PORT', value: '9100' },
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'items-db', key: 'DATABASE_URL' } } },
      { name: 'LOG_LEVEL', value: 'debug' },
    ]);
    expect(container.resources).toEqual({ requests: { cpu: '1', memory: '1Gi' } });
    expect(service.spec).toMatchObject({ type: 'LoadBalancer', ports: [{ port: 8080, targetPort: 'http' }] });
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 60 });
    expect(job.spec!.template.spec!.containers[0]!.command).toEqual(['npm', 'run', 'migrate']);
    expect(job.spec!.template.spec!.containers[0]!.env!.map((e) => e.name)).toEqual(['DATABASE_URL', 'LOG_LEVEL']);
    expect(serviceMonitor.spec.endpoints[0]).toMatchObject({ path: '/prom', interval: '1m' });
  });

  it('when spec.auth is set, then the app container gets AUTH_* (requirements only when set: the app\'s default is open) and the migration Job none', () => {
    const env = (auth: AuthSpec) => {
      const { deployment, job } = children(fastApiApp({ auth }));
      expect(job.spec!.template.spec!.containers[0]!.env!.some((e) => e.name.startsWith('AUTH_'))).toBe(false);
      return Object.fromEntries(deployment.spec!.template.spec!.containers[0]!.env!.filter((e) => e.name.startsWith('AUTH_')).map((e) => [e.name, e.value]));
    };
    expect(env({ issuer: 'https://id.example/realm', audience: 'items' })).toEqual({
      AUTH_ISSUER: 'https://id.example/realm', AUTH_AUDIENCE: 'items',
    });
    expect(env({ issuer: 'https://id.example', audience: 'a', jwksUri: 'https://id.example/keys', reads: 'required', predict: 'required' })).toEqual({
      AUTH_ISSUER: 'https://id.example', AUTH_AUDIENCE: 'a', AUTH_JWKS_URI: 'https://id.example/keys', AUTH_READS: 'required', AUTH_PREDICT: 'required',
    });
    // Cognito: the client ID is matched against client_id, scopes carry the resource server's prefix
    expect(env({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab', audience: '4abc', audienceClaim: 'client_id', scopePrefix: 'fastapiapp/' })).toEqual({
      AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab', AUTH_AUDIENCE: '4abc', AUTH_AUDIENCE_CLAIM: 'client_id', AUTH_SCOPE_PREFIX: 'fastapiapp/',
    });
  });

  it('when built, then the ServiceMonitor gives each app its own job, labels series for the rules and carries spec.monitoring.labels under the operator\'s own', () => {
    const app = fastApiApp({ monitoring: { labels: { release: 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'someone-else' } } });
    const { service, serviceMonitor } = children(app);
    expect(serviceMonitor.spec.jobLabel).toBe('app.kubernetes.io/instance');
    expect(service.metadata!.labels!['app.kubernetes.io/instance']).toBe(app.metadata.name);
    // targetLabels copies this Service label onto every series (as app_kubernetes_io_name), the app rules select it.
    expect(serviceMonitor.spec.targetLabels).toEqual(['app.kubernetes.io/name']);
    expect(service.metadata!.labels!['app.kubernetes.io/name']).toBe('fastapiapp');
    // podTargetLabels copies the pod's version (and a release track, once set) onto every series.
    expect(serviceMonitor.spec.podTargetLabels).toEqual(['app.kubernetes.io/version', 'fastapiapp.io/track']);
    expect(serviceMonitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'fastapiapp-operator' });
    expect(children(fastApiApp()).serviceMonitor.metadata.labels).not.toHaveProperty('release');
    const other = { ...app, metadata: { ...app.metadata, name: 'orders' } };
    expect(service.metadata!.labels!['app.kubernetes.io/instance']).not.toBe(children(other).service.metadata!.labels!['app.kubernetes.io/instance']);
  });

  it('when the image, the Job\'s inputs or the retry annotation change, then the migration Job name changes; otherwise it does not', () => {
    const base = fastApiApp();
    const name = buildMigrationJob(base).metadata!.name;
    const retried = (value: string) => ({ ...fastApiApp(), metadata: { ...fastApiApp().metadata, annotations: { [RETRY_MIGRATION_ANNOTATION]: value } } });
    const unrelated = [
      fastApiApp({ replicas: 7 }),
      fastApiApp({ migration: { backoffLimit: 5, activeDeadlineSeconds: 30, jobsHistoryLimit: 1 } }),
      fastApiApp({ service: { type: 'NodePort' } }),
      fastApiApp({ monitoring: { interval: '1m' } }),
      fastApiApp({ paused: true }),
      fastApiApp({ resources: { requests: { cpu: '2' } } }),
      fastApiApp({ pod: { nodeSelector: { pool: 'b' } } }),
      { ...base, metadata: { ...base.metadata, annotations: { unrelated: 'x' } } },
    ];
    for (const app of unrelated) expect(buildMigrationJob(app).metadata!.name).toBe(name);
    const inputs = [
      fastApiApp({ tag: '1.0.1' }), fastApiApp({ image: `${IMAGE}-v2` }), fastApiApp({ image: 'localhost:5000/items-app' }),
      fastApiApp({ env: [{ name: 'A', value: 'b' }] }), fastApiApp({ migration: { command: ['npm', 'run', 'migrate'] } }),
      fastApiApp({ databaseSecretRef: { name: 'other-db' } }), fastApiApp({ databaseSecretRef: { name: 'items-db', key: 'URL' } }),
      retried('1'), retried('2'),
    ];
    const names = inputs.map((app) => buildMigrationJob(app).metadata!.name);
    expect(new Set([name, ...names]).size).toBe(inputs.length + 1);
    expect(buildMigrationJob(retried('2')).metadata!.annotations).toMatchObject({ 'fastapiapp.io/retry': '2' });
    for (const n of [name, ...names]) expect(n).toMatch(/^items-migrate-[0-9a-f]{10}$/);
  });

  it('when the referenced Secret value changes (another database), then the Job inputs change; the post-deploy Job runs the post command under its own name', () => {
    const app = fastApiApp();
    const one = buildMigrationJob(app, 'hash-one');
    const two = buildMigrationJob(app, 'hash-two');
    expect(one.metadata!.name).not.toBe(two.metadata!.name);
    expect(one.metadata!.annotations!['fastapiapp.io/inputs-hash']).not.toBe(two.metadata!.annotations!['fastapiapp.io/inputs-hash']);
    expect(one.spec!.template.metadata!.annotations).toMatchObject({ 'fastapiapp.io/database-secret-hash': 'hash-one' });
    const post = buildMigrationJob(app, 'hash-one', 'post');
    expect(post.metadata!.name).not.toBe(one.metadata!.name);
    expect(post.metadata!.annotations).toMatchObject({ 'fastapiapp.io/migration-phase': 'post' });
    expect(one.spec!.template.spec!.containers[0]!.command).toEqual(['node', 'dist/app/src/migrate.js', 'pre']);
    expect(post.spec!.template.spec!.containers[0]!.command).toEqual(['node', 'dist/app/src/migrate.js', 'post']);
    // exit 3 (rollback blocked) and 4 (lint failed) fail the Job at once: no retry can fix them
    expect(one.spec!.podFailurePolicy!.rules).toEqual([{ action: 'FailJob', onExitCodes: { containerName: 'migrate', operator: 'In', values: [3, 4] } }]);
  });

  it('when pod settings are given, then the app pods (and the migration pod where it matters) carry them; spreading defaults to zones and nodes', () => {
    const app = fastApiApp({
      pod: {
        serviceAccountName: 'items-irsa', imagePullSecrets: [{ name: 'ecr' }], nodeSelector: { 'node.kubernetes.io/pool': 'apps' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'apps', effect: 'NoSchedule' }],
        labels: { team: 'shop' }, annotations: { 'sidecar.istio.io/inject': 'false' },
      },
    });
    const pod = buildDeployment(app, imageRef(app)).spec!.template;
    const job = buildMigrationJob(app).spec!.template.spec!;
    for (const p of [pod.spec!, job]) {
      expect(p).toMatchObject({ serviceAccountName: 'items-irsa', imagePullSecrets: [{ name: 'ecr' }], nodeSelector: { 'node.kubernetes.io/pool': 'apps' } });
      expect(p.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'apps', effect: 'NoSchedule' }]);
    }
    expect(pod.metadata!.labels).toMatchObject({ team: 'shop', ...selectorLabels(app) });
    expect(pod.metadata!.annotations).toMatchObject({ 'sidecar.istio.io/inject': 'false' });
    expect(pod.spec!.topologySpreadConstraints).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
      topologyKey, maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(app) },
    })));
    const plain = buildDeployment(fastApiApp(), imageRef(fastApiApp())).spec!.template.spec!;
    expect(plain.serviceAccountName).toBeUndefined();
    expect(plain.imagePullSecrets).toBeUndefined();
    expect(buildDeployment(fastApiApp({ pod: { topologySpreadConstraints: [] } }), 'x:1').spec!.template.spec!.topologySpreadConstraints).toBeUndefined();
  });

  it('when replicas > 1, then a PodDisruptionBudget with maxUnavailable 1 selects the app pods; with one replica or disabled, none', () => {
    const app = fastApiApp();
    expect(wantsDisruptionBudget(app)).toBe(true);
    const pdb = buildDisruptionBudget(app);
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selectorLabels(app) }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(pdb.metadata!.ownerReferences).toEqual([ownerReference(app)]);
    expect(buildDisruptionBudget(fastApiApp({ disruptionBudget: { maxUnavailable: '25%' } })).spec!.maxUnavailable).toBe('25%');
    expect(wantsDisruptionBudget(fastApiApp({ replicas: 1 }))).toBe(false);
    expect(wantsDisruptionBudget(fastApiApp({ disruptionBudget: { enabled: false } }))).toBe(false);
  });

  it('when a migration pod reports its imageID, then only a registry digest pins the image', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(digestOf(`docker-pullable://${IMAGE}@${digest}`)).toBe(digest);
    expect(digestOf(`${IMAGE}@${digest}`)).toBe(digest);
    expect(digestOf(digest)).toBeUndefined(); // a local image ID: no registry serves it
    expect(digestOf('')).toBeUndefined();
    expect(pinnedRef(`${IMAGE}:1.0.0`, digest)).toBe(`${IMAGE}:1.0.0@${digest}`);
    expect(pinnedRef(`${IMAGE}:1.0.0`, undefined)).toBe(`${IMAGE}:1.0.0`);
    expect(tagOf(`localhost:5000/items:1.2.3@${digest}`)).toBe('1.2.3');
  });

  it('when the app name is as long as allowed, then every child name is a DNS-1123 label of at most 63 characters', () => {
    const longName = `a${'b'.repeat(61)}c`;
    expect(longName).toHaveLength(63);
    // Two long names sharing the part that fits into the Job name must still get different Jobs.
    const a = fastApiApp({}, longName);
    const b = fastApiApp({}, `a${'b'.repeat(61)}d`);
    for (const app of [a, b, fastApiApp({}, 'x'), fastApiApp({}, `a${'-'.repeat(50)}z`)]) {
      for (const child of Object.values(children(app))) {
        expect(child.metadata!.name!.length).toBeLessThanOrEqual(63);
        expect(child.metadata!.name).toMatch(DNS1123_LABEL);
      }
      expect(childName(app)).toBe(app.metadata.name);
    }
    expect(buildMigrationJob(a).metadata!.name).not.toBe(buildMigrationJob(b).metadata!.name);
  });

  it('when built twice from the same input, then the output is identical and the input is untouched', () => {
    const app = deepFreeze(fastApiApp({ env: [{ name: 'X', value: '1' }], resources: { limits: { cpu: '2' } } }));
    const once = JSON.stringify(children(app));
    const twice = JSON.stringify(children(structuredClone(app)));
    expect(twice).toBe(once);
    // Outputs own their data: mutating them does not reach the input.
    const d = buildDeployment(app, imageRef(app));
    d.spec!.template.spec!.containers[0]!.env!.push({ name: 'Y', value: '2' });
    expect(app.spec.env).toHaveLength(1);
  });

  it('when the Job is built, then it records the image it migrates to', () => {
    const app = fastApiApp({ tag: 'sha-abc123' });
    const job = buildMigrationJob(app);
    expect(job.metadata!.annotations!['fastapiapp.io/image']).toBe(`${IMAGE}:sha-abc123`);
    expect(job.metadata!.labels!['fastapiapp.io/image-hash']).toMatch(/^[0-9a-f]{10}$/);
    expect(job.spec!.template.spec!.containers[0]!.image).toBe(`${IMAGE}:sha-abc123`);
    expect(job.spec!.ttlSecondsAfterFinished).toBeUndefined();
  });

  it('when tags are long or have a registry port, then tags and label values stay valid', () => {
    expect(tagOf('localhost:5000/items-app:1.2.3')).toBe('1.2.3');
    expect(tagOf('localhost:5000/items-app')).toBe('');
    const longTag = `${'v'.repeat(70)}.`;
    const longTagged = fastApiApp({ tag: longTag });
    const labels = commonLabels(longTagged, imageRef(longTagged));
    expect(labels['app.kubernetes.io/version']!.length).toBeLessThanOrEqual(63);
    expect(labelValue('_x-')).toBe('x');
    expect(labelValue('1.0.0')).toBe('1.0.0');
  });
});
