// The migration CLI's one-line JSON summary, written on exit to MIGRATE_RESULT_FILE (default
// /dev/termination-log when it exists and is writable: the kubelet mounts it even on a read-only
// root filesystem, and the operator reads it from the pod's
// status.containerStatuses[].state.terminated.message, which the kubelet caps at 4 KB).
import fs from 'node:fs';

export type ResultKind =
  | 'applied' | 'upToDate' | 'ahead' | 'blocked' | 'lintFailed' | 'failed'
  // SIGTERM (a superseded Job deleted by the operator): its database sessions were ended
  | 'stopped'
  // Only from the commands the operator does not run:
  | 'lintPassed' | 'pending' | 'rolledBack';

export interface MigrateResult {
  command: string;
  result: ResultKind;
  applied: string[];
  head: string | null;
  aheadBy: number;
  blockedBy: string | null;
  pendingPost: string[];
  message: string;
}

export const MAX_RESULT_BYTES = 4000;
const TERMINATION_LOG = '/dev/termination-log';

/** Where to write the summary, or undefined for nowhere (MIGRATE_RESULT_FILE set empty, or no writable termination log). */
export function resultFile(env: Record<string, string | undefined> = process.env): string | undefined {
  const configured = env.MIGRATE_RESULT_FILE;
  if (configured !== undefined) return configured.trim() || undefined;
  try {
    fs.accessSync(TERMINATION_LOG, fs.constants.W_OK);
    return TERMINATION_LOG;
  } catch {
    return undefined;
  }
}

/** One line of JSON under MAX_RESULT_BYTES: the message is shortened first, then the lists. */
export function serializeResult(r: MigrateResult): string {
  let out = { ...r };
  const fits = () => Buffer.byteLength(JSON.stringify(out)) <= MAX_RESULT_BYTES;
  if (!fits()) out = { ...out, message: `${out.message.slice(0, 1000)}...` };
  for (const key of ['applied', 'pendingPost'] as const) {
    if (!fits()) out = { ...out, [key]: [...out[key].slice(0, 20), `... ${out[key].length - 20} more`] };
  }
  if (!fits()) out = { ...out, message: `${out.message.slice(0, 200)}...` };
  return JSON.stringify(out);
}

/** Writes the summary; a failure to write is reported, never fatal (the exit code still tells). */
export function writeResult(file: string | undefined, r: MigrateResult): void {
  if (!file) return;
  try {
    fs.writeFileSync(file, `${serializeResult(r)}\n`);
  } catch (err) {
    process.stderr.write(`could not write the migration result to ${file}: ${(err as Error).message}\n`);
  }
}
