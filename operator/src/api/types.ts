// The FastApiApp API (platform.fastapiapp.io/v1alpha1): TypeScript types the operator uses, all
// Static<> of the TypeBox definition in ./schema.ts (the one source of the CRD, these types, the
// defaulting and the field reference). Only the object around spec and status is written here.
import type { Static } from '@sinclair/typebox';
import type {
  AnalysisRecordSchema, CanaryStepSchema, RolloutStatusSchema, StrategySpecSchema,
  AuthSpecSchema, ConditionSchema, EnvVarSchema, FastApiAppSpecSchema, FastApiAppStatusSchema, NetworkPolicyOptionsSchema,
  PodSpecOptionsSchema, ResourceRequirementsSchema, RevisionSchema, SecretKeyRefSchema, SloSpecSchema, TolerationSchema, TopologySpreadSchema,
} from './schema';

export const GROUP = 'platform.fastapiapp.io';
export const VERSION = 'v1alpha1';
export const KIND = 'FastApiApp';
export const PLURAL = 'fastapiapps';
export const API_VERSION = `${GROUP}/${VERSION}`;

export type SecretKeyRef = Static<typeof SecretKeyRefSchema>;
export type EnvVar = Static<typeof EnvVarSchema>;
/** A Kubernetes quantity: '250m', '256Mi', or a plain number. */
export type Quantity = string | number;
export type ResourceRequirements = Static<typeof ResourceRequirementsSchema>;
export type ServiceType = NonNullable<NonNullable<FastApiAppSpec['service']>['type']>;
export type Toleration = Static<typeof TolerationSchema>;
export type TopologySpread = Static<typeof TopologySpreadSchema>;
/** Pod-level settings of the app (and, where they matter to it, the migration Job). */
export type PodSpecOptions = Static<typeof PodSpecOptionsSchema>;
export type AuthRequirement = 'open' | 'required';
/** OAuth2 bearer tokens for the app (its AUTH_* settings): writes need items:write once set. */
export type AuthSpec = Static<typeof AuthSpecSchema>;
/** A percentage as a string, e.g. "99.9" (the API avoids floats, as Kubernetes APIs do). */
export type Percent = string;
/** Service level objectives over the app's own request metrics (a PrometheusRule when set). */
export type SloSpec = Static<typeof SloSpecSchema>;
/** Ingress to the app port and, once a database is named, egress of the app pods. */
export type NetworkPolicyOptions = Static<typeof NetworkPolicyOptionsSchema>;
// spec.strategy and status.rollout (issue 28: progressive delivery)
/** How a new pod template reaches the pods (default RollingUpdate). */
export type StrategySpec = Static<typeof StrategySpecSchema>;
export type StrategyType = NonNullable<StrategySpec['type']>;
export type CanaryStrategy = NonNullable<StrategySpec['canary']>;
/** One canary step: set a weight (share of pods), or pause (for a duration, or until promoted). */
export type CanaryStep = Static<typeof CanaryStepSchema>;
/** Analysis of the canary against stable, from the app's own request metrics (decimals as strings). */
export type CanaryAnalysisSpec = NonNullable<CanaryStrategy['analysis']>;
export type { RolloutPhase } from './schema';
/** One analysis measurement of a rollout as status keeps it (decimals as strings). */
export type AnalysisRecord = Static<typeof AnalysisRecordSchema>;
/** The progressive rollout of one revision (the new pod template's hash). */
export type RolloutStatus = Static<typeof RolloutStatusSchema>;

/** spec as a user writes it (defaulted fields optional); desired/withDefaults fills them in. */
export type FastApiAppSpec = Static<typeof FastApiAppSpecSchema>;

export type ConditionType = 'Ready' | 'Available' | 'Migrated' | 'PostMigrated' | 'Progressing' | 'Degraded' | 'Paused' | 'MonitoringAvailable';
/** type is a ConditionType, or another CamelCase name. */
export type Condition = Static<typeof ConditionSchema>;
export type FastApiAppStatus = Static<typeof FastApiAppStatusSchema>;
/** One release as the operator recorded it in status.history. */
export type Revision = Static<typeof RevisionSchema>;

export interface FastApiApp {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: FastApiAppSpec;
  status?: FastApiAppStatus;
}
