// Pod pieces shared by the app Deployment and the migration Job: the restricted Pod Security
// profile, a writable /tmp on a read-only root filesystem, and DATABASE_URL by Secret reference.
import type {
  V1Container,
  V1PodSpec,
  V1EnvVar,
  V1PodSecurityContext,
  V1ResourceRequirements,
  V1SecurityContext,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { DefaultedSpec } from './defaults';

/** UID/GID the containers run as (the image must not need root; `USER 10001:10001` in Dockerfile.app and Dockerfile.operator). */
export const RUN_AS_USER = 10001;
export const TMP_VOLUME = 'tmp';

export function podSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    fsGroup: RUN_AS_USER,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function tmpVolume(): V1Volume {
  return { name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } };
}

export function tmpVolumeMount(): V1VolumeMount {
  return { name: TMP_VOLUME, mountPath: '/tmp' };
}

/** DATABASE_URL from the referenced Secret, then the spec's extra env (which may not redefine it). */
export function databaseEnv(spec: DefaultedSpec): V1EnvVar[] {
  return [
    {
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: spec.databaseSecretRef.name, key: spec.databaseSecretRef.key } },
    },
    ...spec.env.map((e) => structuredClone(e) as V1EnvVar),
  ];
}

/** The app's own settings the spec decides: the metrics port, and bearer-token auth when spec.auth is set. */
export function appEnv(spec: DefaultedSpec): V1EnvVar[] {
  const env: V1EnvVar[] = [{ name: 'METRICS_PORT', value: String(spec.monitoring.port) }];
  const auth = spec.auth;
  if (auth) {
    env.push({ name: 'AUTH_ISSUER', value: auth.issuer }, { name: 'AUTH_AUDIENCE', value: auth.audience });
    if (auth.jwksUri) env.push({ name: 'AUTH_JWKS_URI', value: auth.jwksUri });
    if (auth.reads) env.push({ name: 'AUTH_READS', value: auth.reads });
    if (auth.predict) env.push({ name: 'AUTH_PREDICT', value: auth.predict });
    if (auth.audienceClaim) env.push({ name: 'AUTH_AUDIENCE_CLAIM', value: auth.audienceClaim });
    if (auth.scopePrefix) env.push({ name: 'AUTH_SCOPE_PREFIX', value: auth.scopePrefix });
  }
  return env;
}

/** Resource quantities as strings (the spec allows plain numbers). */
export function resources(spec: DefaultedSpec): V1ResourceRequirements {
  const out: V1ResourceRequirements = {};
  for (const part of ['requests', 'limits'] as const) {
    const values = spec.resources[part];
    if (!values) continue;
    const entries = Object.entries(values).filter(([, v]) => v !== undefined);
    if (entries.length > 0) out[part] = Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
  }
  return out;
}

/** Container fields common to app and migration containers. */
export function baseContainer(name: string, image: string, spec: DefaultedSpec): V1Container {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    resources: resources(spec),
    securityContext: containerSecurityContext(),
    volumeMounts: [tmpVolumeMount()],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** Scheduling and identity from spec.pod that both the app pods and the migration pod use. */
export function podPlacement(spec: DefaultedSpec): Pick<V1PodSpec, 'serviceAccountName' | 'imagePullSecrets' | 'nodeSelector' | 'tolerations'> {
  const out: Pick<V1PodSpec, 'serviceAccountName' | 'imagePullSecrets' | 'nodeSelector' | 'tolerations'> = {};
  if (spec.pod.serviceAccountName) out.serviceAccountName = spec.pod.serviceAccountName;
  if (spec.pod.imagePullSecrets.length > 0) out.imagePullSecrets = structuredClone(spec.pod.imagePullSecrets);
  if (Object.keys(spec.pod.nodeSelector).length > 0) out.nodeSelector = { ...spec.pod.nodeSelector };
  if (spec.pod.tolerations.length > 0) out.tolerations = structuredClone(spec.pod.tolerations);
  return out;
}
