// The rollout controls users set with `kubectl annotate`: promote, abort, retry (one-shot: each
// new value acts once, status.rollout.handled records the values acted on) and pause (while set).
import type { FastApiApp } from '../api/types';

export const PROMOTE_ANNOTATION = 'platform.fastapiapp.io/promote';
export const ABORT_ANNOTATION = 'platform.fastapiapp.io/abort';
export const RETRY_ROLLOUT_ANNOTATION = 'platform.fastapiapp.io/retry-rollout';
export const PAUSE_ROLLOUT_ANNOTATION = 'platform.fastapiapp.io/pause-rollout';

export interface Controls {
  /** "step" or "full", optionally with a suffix to repeat it ("step-2"); undefined when unset or malformed */
  promote?: string;
  abort?: string;
  retry?: string;
  paused: boolean;
}

const PROMOTE_VALUE = /^(step|full)([-._][A-Za-z0-9-._]*)?$/;

export function readControls(app: FastApiApp): Controls {
  const a = app.metadata.annotations ?? {};
  const value = (k: string): string | undefined => (a[k]?.trim() ? a[k]!.trim() : undefined);
  const promote = value(PROMOTE_ANNOTATION);
  const abort = value(ABORT_ANNOTATION);
  const retry = value(RETRY_ROLLOUT_ANNOTATION);
  return {
    ...(promote && PROMOTE_VALUE.test(promote) ? { promote } : {}),
    ...(abort ? { abort } : {}),
    ...(retry ? { retry } : {}),
    paused: ['true', '1', 'yes'].includes((a[PAUSE_ROLLOUT_ANNOTATION] ?? '').trim().toLowerCase()),
  };
}
