// status.history: the revisions an app was migrated for, newest first and bounded. Pure functions
// of the recorded list; a rollback to one of them needs no Job unless a contract (post-deploy)
// migration was applied since.
import { REVISION_HISTORY_LIMIT } from '../api/defaults';
import type { Revision } from '../api/types';

export const findRevision = (history: readonly Revision[] | undefined, inputs: string | undefined): Revision | undefined =>
  inputs === undefined ? undefined : history?.find((r) => r.inputs === inputs);

/**
 * Contract migrations applied since the revision with these inputs was current: those the
 * revisions recorded after it applied, minus any it applied itself (it ships them). 'unknown'
 * when a later post-deploy Job succeeded without saying what it applied (then the Job decides).
 */
export function contractSince(history: readonly Revision[] | undefined, inputs: string): string[] | 'unknown' {
  const list = history ?? [];
  const at = list.findIndex((r) => r.inputs === inputs);
  if (at <= 0) return [];
  const newer = list.slice(0, at);
  if (newer.some((r) => r.postInterrupted || (r.postMigrated && r.contract === undefined && r.pendingPost?.length !== 0))) return 'unknown';
  const own = new Set(list[at]!.contract ?? []);
  return [...new Set(newer.flatMap((r) => r.contract ?? []))].filter((m) => !own.has(m));
}

/** The history with `rev` first (replacing an entry with its inputs, keeping what that entry knew), bounded. */
export function putFirst(history: readonly Revision[] | undefined, rev: Revision): Revision[] {
  const old = findRevision(history, rev.inputs);
  const merged: Revision = { ...old, ...rev };
  return [merged, ...(history ?? []).filter((r) => r.inputs !== rev.inputs)].slice(0, REVISION_HISTORY_LIMIT);
}

/** The history with the entry of `inputs` changed by `change` (in place in the order), if present. */
export function update(history: readonly Revision[] | undefined, inputs: string | undefined, change: (r: Revision) => Revision): Revision[] | undefined {
  if (!history) return undefined;
  return history.map((r) => (r.inputs === inputs ? change(r) : r));
}

/**
 * The rollout of `inputs` completed at `now`: it serves (firstServed kept from its first time,
 * lastServed cleared), and the revision that served before it served until now.
 */
export function markServed(history: readonly Revision[] | undefined, inputs: string | undefined, now: string): Revision[] | undefined {
  const rev = findRevision(history, inputs);
  if (!history || !rev || (rev.firstServed && !rev.lastServed)) return history ? [...history] : undefined;
  return history.map((r) => {
    if (r.inputs === inputs) {
      const { lastServed: _replaced, ...rest } = r;
      return { ...rest, firstServed: r.firstServed ?? now };
    }
    return r.firstServed && !r.lastServed ? { ...r, lastServed: now } : r;
  });
}
