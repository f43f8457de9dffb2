// Where `npm run local` keeps what its commands share: the state the background owner of the
// cluster and the Postgres writes once they are up, its log, and the result of its teardown.
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from '../processes.cjs';

export const DIR = '/run/fastapiapp-local';
export const STATE_FILE = path.join(DIR, 'state.json');
export const LOG_FILE = path.join(DIR, 'daemon.log');
/** The owner's PID, written by `up` as soon as it is started (the state file only once it is ready). */
export const PID_FILE = path.join(DIR, 'daemon.pid');
/** Written by the owner when it has torn everything down: what (if anything) was left behind. */
export const RESULT_FILE = path.join(DIR, 'down.json');

export const NAMESPACE = 'default';
export const APP_REPO = 'localhost/fastapiapp-app';
export const FIRST_TAG = 'dev';
export const OPERATOR_IMAGE = 'localhost/fastapiapp-operator:dev';

export interface LocalState {
  /** The owner process: it holds the cluster and the Postgres, and tears both down on SIGTERM. */
  pid: number;
  kubeconfig: string;
  /** `<kubectl> kubectl ...`: the cluster's multi-call binary. */
  kubectl: string;
  /** The Secret's DATABASE_URL, as the pods reach it (the bridge address). */
  databaseUrl: string;
  /** Tags applied by deploy/release, oldest first: rollback returns to the one before the last. */
  tags: string[];
  /** hostSnapshot() taken under the cluster lock before the cluster changed anything: what `down` restores. */
  hostBefore: Record<string, unknown>;
}

/** The owner process when it is running (starting, ready or tearing down). */
export function ownerPid(): number | undefined {
  const pid = fs.existsSync(PID_FILE) ? Number(fs.readFileSync(PID_FILE, 'utf8')) : 0;
  return pid && isAlive(pid) ? pid : undefined;
}

export const readState = (): LocalState | undefined =>
  fs.existsSync(STATE_FILE) ? JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as LocalState : undefined;

export function writeState(state: LocalState): void {
  const tmp = `${STATE_FILE}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, STATE_FILE);
}
