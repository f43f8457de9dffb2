// Orphan guard, started detached by the control plane: when the process that started etcd and
// kube-apiserver dies without stopping them (jest killed, crash, SIGKILL), this kills their
// process groups (listed in <dir>/pgids, one per line) and removes <dir>.
// Usage: node watchdog.mjs <parentPid> <dir>
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from '../processes.cjs';

const [parentArg, dir] = process.argv.slice(2);
const parentPid = Number(parentArg);
if (!Number.isInteger(parentPid) || parentPid <= 1 || !dir) {
  console.error('usage: node watchdog.mjs <parentPid> <dir>');
  process.exit(2);
}

function signalGroups(signal) {
  let pgids = [];
  try {
    pgids = fs.readFileSync(path.join(dir, 'pgids'), 'utf8').split('\n').map(Number).filter((n) => n > 1);
  } catch {
    // no children recorded yet
  }
  for (const pgid of pgids) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // group already gone
    }
  }
}

const timer = setInterval(() => {
  if (isAlive(parentPid)) return;
  clearInterval(timer);
  signalGroups('SIGTERM');
  setTimeout(() => {
    signalGroups('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }, 2000);
}, 250);
