// Test support: the real app (same wiring as start.ts) on a fresh database of the shared test
// Postgres, migrated, with logs captured in memory so tests can assert on them.
import { Writable } from 'node:stream';
import { compose, type Composition, type ComposeOptions } from '../../app/src/compose';
import type { DatabaseConfig } from '../../app/src/config';
import { migrateLatest } from '../../app/src/data/migrations';
import { createLogger } from '../../app/src/observability/logger';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';

export interface TestApp extends Composition {
  db: TestDatabase;
  logs: Record<string, unknown>[];
  /** Closes the pool and drops the database. */
  stop(): Promise<void>;
}

export function dbConfig(url: string, overrides: Partial<DatabaseConfig> = {}): DatabaseConfig & { url: string } {
  return { url, poolMin: 0, poolMax: 10, connectTimeoutMs: 2000, acquireTimeoutMs: 3000, statementTimeoutMs: 10000, ...overrides };
}

export function memoryLogger(): { logger: ReturnType<typeof createLogger>; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger('info', sink), logs };
}

export async function startTestApp(prefix: string, opts: Partial<Omit<ComposeOptions, 'db' | 'logger'>> & { db?: Partial<DatabaseConfig> } = {}): Promise<TestApp> {
  const db = await createTestDatabase(prefix);
  const { logger, logs } = memoryLogger();
  const { db: dbOverrides, ...rest } = opts;
  const c = compose({ db: dbConfig(db.url, dbOverrides), logger, healthTimeoutMs: 1500, ...rest });
  await migrateLatest(c.knex);
  return {
    ...c,
    db,
    logs,
    async stop() {
      await c.close();
      await db.drop();
    },
  };
}

/** Sends `n` POST /predict/batch of `body` at once; each pushes `batch <i>` to `order` once answered (200 expected). */
export function postBatches(base: string, body: string, n: number, order: string[]): Promise<void>[] {
  return Array.from({ length: n }, (_, i) =>
    fetch(`${base}/predict/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => {
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      order.push(`batch ${i}`);
    }),
  );
}
