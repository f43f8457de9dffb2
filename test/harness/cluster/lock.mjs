// A machine-wide lock file holding its owner's PID: one cluster start-up at a time. A lock whose
// owner is dead is taken over, so a killed run never blocks the next one.
import fs from 'node:fs';
import { isAlive } from '../processes.cjs';
import { LOCK_FILE } from './layout.mjs';


export async function withLock(work, { timeoutMs = 20 * 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let holder = 0;
      try {
        holder = Number(fs.readFileSync(LOCK_FILE, 'utf8').trim() || 0);
      } catch {
        continue; // released between our create and our read
      }
      if (!holder || !isAlive(holder)) {
        fs.rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`cluster: lock ${LOCK_FILE} held by pid ${holder} for too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(LOCK_FILE, { force: true });
  }
}
