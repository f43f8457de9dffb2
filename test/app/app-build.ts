// The app compiled to JavaScript once, for the suites that spawn it as a process or load its worker
// file (process, log-destination, scoring-pool). The output directory is named by a hash of the
// sources, so jest workers (and later runs) share one build: the first compiles under a lock, the
// others find it complete. (Two suites compiling into one directory at once raced on its files.)
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from '../harness/processes.cjs';
import { waitFor } from '../harness/wait';

const ROOT = path.resolve(__dirname, '../..');
const CONFIG = path.join(__dirname, 'tsconfig.spawn.json');
const CACHE = path.join(ROOT, '.cache');

function sourceHash(): string {
  const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name));
  const h = createHash('sha256');
  for (const f of [...files(path.join(ROOT, 'app/src')), ...files(path.join(ROOT, 'app/migrations')), CONFIG, path.join(ROOT, 'tsconfig.build.json')].sort()) {
    h.update(`${path.relative(ROOT, f)}\0${fs.readFileSync(f, 'utf8')}\0`);
  }
  return h.digest('hex').slice(0, 16);
}

/** Takes the lock file (its owner's PID inside; a dead owner's lock is taken over). */
function tryLock(file: string): boolean {
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = Number(fs.readFileSync(file, 'utf8') || 0);
    if (owner && isAlive(owner)) return false;
    fs.rmSync(file, { force: true });
    return tryLock(file);
  }
}

/** The directory holding the compiled app (its app/src/... mirrors the sources). */
export async function compiledApp(): Promise<string> {
  const dir = path.join(CACHE, `app-build-${sourceHash()}`);
  const done = path.join(dir, '.complete');
  const lock = `${dir}.lock`;
  fs.mkdirSync(CACHE, { recursive: true });
  await waitFor('the app build lock', async () => (fs.existsSync(done) || tryLock(lock) ? true : undefined), 300_000, 200);
  if (fs.existsSync(done)) return dir;
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', CONFIG, '--outDir', dir], { cwd: ROOT, stdio: 'pipe' });
    fs.writeFileSync(done, '');
    // Builds of older sources are of no further use.
    for (const old of fs.readdirSync(CACHE)) {
      if (/^app-build-[0-9a-f]{16}$/.test(old) && path.join(CACHE, old) !== dir) fs.rmSync(path.join(CACHE, old), { recursive: true, force: true });
    }
    return dir;
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
