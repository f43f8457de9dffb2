// Status conditions: lastTransitionTime changes only when a condition's status changes, and
// every condition records the generation it was computed from.
import type { Condition } from '../api/types';

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export const findCondition = (conds: readonly Condition[] | undefined, type: string): Condition | undefined =>
  conds?.find((c) => c.type === type);

export const isTrue = (conds: readonly Condition[] | undefined, type: string): boolean => findCondition(conds, type)?.status === 'True';

/**
 * The new conditions, in the order given, keeping each old lastTransitionTime whose status is
 * unchanged. Old conditions of types not in `next` are kept as they were when keepOthers is set.
 */
export function mergeConditions(old: readonly Condition[] | undefined, next: readonly ConditionInput[],
  generation: number | undefined, now: string, keepOthers = false): Condition[] {
  const merged: Condition[] = next.map((c) => {
    const prev = findCondition(old, c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now;
    const cond: Condition = { type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime };
    if (generation !== undefined) cond.observedGeneration = generation;
    return cond;
  });
  if (keepOthers) for (const c of old ?? []) if (!next.some((n) => n.type === c.type)) merged.push(c);
  return merged;
}

/** Condition types whose status or reason changed from old to next (for Events). */
export function transitions(old: readonly Condition[] | undefined, next: readonly Condition[]): Condition[] {
  return next.filter((c) => {
    const prev = findCondition(old, c.type);
    return !prev || prev.status !== c.status || prev.reason !== c.reason;
  });
}
