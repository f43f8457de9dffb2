// The spec with the schema's defaults applied in code, exactly as the API server fills them in from
// the CRD (both read the one definition in api/schema.ts). Builders call this, so they also work on
// specs that never went through the API server (unit tests, dry runs).
import { applyDefaults } from '../api/defaulting';
import { fastApiAppSchema, type FastApiAppSpecSchema } from '../api/schema';
import type { StaticDefaulted } from '../api/schema-kit';
import type { EnvVar, FastApiAppSpec, StrategySpec } from '../api/types';

/**
 * A spec with every defaulted field filled in: the type follows from the schema (a field with a
 * default is present). Fields without one stay optional: auth (absent: the app runs open), slo (its
 * window is defaulted by the builder), networkPolicy.database and its port, pod.serviceAccountName.
 * env, which has no schema default (the API server leaves it absent), is normalised to [].
 */
export type DefaultedSpec = Omit<StaticDefaulted<typeof FastApiAppSpecSchema>, 'env'> & { env: EnvVar[] };

const specSchema = fastApiAppSchema.properties!.spec!;

/** The spec with schema defaults applied (a new object; `spec` is not changed). */
export function withDefaults(spec: FastApiAppSpec): DefaultedSpec {
  const defaulted = applyDefaults(specSchema, spec) as Omit<DefaultedSpec, 'env'> & { env?: EnvVar[] };
  return { ...defaulted, env: defaulted.env ?? [] };
}

/** spec.strategy with its defaults (the type, the canary steps, analysis and migration check). */
export type DefaultedStrategy = DefaultedSpec['strategy'];

/** The strategy's defaults applied to a strategy (or to none: RollingUpdate with the canary defaults). */
export function strategyDefaults(strategy: StrategySpec | undefined): DefaultedStrategy {
  return applyDefaults(specSchema.properties!.strategy!, strategy) as DefaultedStrategy;
}
