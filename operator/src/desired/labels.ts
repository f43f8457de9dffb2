// Labels on every child. The selector labels never include the tag, so a Deployment's
// (immutable) selector survives tag changes; the managed-by label lets the operator watch all of
// its children with one label selector.
import type { FastApiApp } from '../api/types';
import { tagOf } from './image';

export const NAME_LABEL = 'app.kubernetes.io/name';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const VERSION_LABEL = 'app.kubernetes.io/version';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/**
 * Release track of a serving pod (e.g. stable, canary), for per-track series. Reserved for the
 * progressive-delivery strategies; the ServiceMonitor already copies it to the series when set.
 */
export const TRACK_LABEL = 'fastapiapp.io/track';
export const MANAGED_BY = 'fastapiapp-operator';
/** `app.kubernetes.io/managed-by=fastapiapp-operator`: selects every child the operator manages. */
export const MANAGED_BY_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
/** Every object without that label (or with another value): names taken by others. */
export const NOT_MANAGED_BY_SELECTOR = `${MANAGED_BY_LABEL}!=${MANAGED_BY}`;
export const APP_NAME = 'fastapiapp';
/** Component of the serving pods; migration pods carry `migration` so the Service never selects them. */
export const SERVER_COMPONENT = 'server';
export const MIGRATION_COMPONENT = 'migration';
/** Label on migration Jobs: short hash of the image reference they migrate to. */
export const IMAGE_HASH_LABEL = 'fastapiapp.io/image-hash';
/** Annotation on migration Jobs: the full image reference they migrate to. */
export const IMAGE_ANNOTATION = 'fastapiapp.io/image';

/**
 * A string usable as a label value: at most 63 characters, starting and ending alphanumeric
 * (docker tags may be 128 long and end in '.' or '-').
 */
export function labelValue(value: string): string {
  return value.slice(0, 63).replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

/** Labels identifying one app's pods regardless of component. */
function instanceLabels(app: FastApiApp): Record<string, string> {
  return { [NAME_LABEL]: APP_NAME, [INSTANCE_LABEL]: app.metadata.name };
}

/** Selector of the app's serving pods: Deployment selector, Service selector, ServiceMonitor target. */
export function selectorLabels(app: FastApiApp): Record<string, string> {
  return { ...instanceLabels(app), [COMPONENT_LABEL]: SERVER_COMPONENT };
}

/** Labels as an equality-based label selector string (k=v, sorted, comma-separated). */
export function labelSelectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
}

/** selectorLabels as a label selector string, for status.selector (the scale subresource). */
export function selectorString(app: FastApiApp): string {
  return labelSelectorString(selectorLabels(app));
}

/**
 * Labels of the Service, ServiceMonitor and PodDisruptionBudget: no version, so a release
 * changes nothing in them and needs no apply of them (the version is on the Deployment and its
 * pods, where it describes what runs).
 */
export function childLabels(app: FastApiApp): Record<string, string> {
  return { ...selectorLabels(app), [MANAGED_BY_LABEL]: MANAGED_BY };
}

/**
 * Labels of the Deployment and its pods: version is the tag of `runningRef`, the image the
 * Deployment runs (which lags the spec during a migration).
 */
export function commonLabels(app: FastApiApp, runningRef: string): Record<string, string> {
  return { ...childLabels(app), [VERSION_LABEL]: labelValue(tagOf(runningRef)) };
}

/** Labels of a migration Job and its pod (not matched by the Service selector). */
export function migrationLabels(app: FastApiApp, ref: string, imageHash: string): Record<string, string> {
  return {
    ...instanceLabels(app),
    [COMPONENT_LABEL]: MIGRATION_COMPONENT,
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [VERSION_LABEL]: labelValue(tagOf(ref)),
    [IMAGE_HASH_LABEL]: imageHash,
  };
}
