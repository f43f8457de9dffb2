// The real app, in-process on a loopback port, against a fresh test database; plus a traffic driver.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { compose, type Composition } from '../../../app/src/compose';
import { loadConfig } from '../../../app/src/config';
import { migrateLatest } from '../../../app/src/data/migrations';
import { createLogger } from '../../../app/src/observability/logger';
import { createTestDatabase, type TestDatabase } from '../../harness/postgres';

export interface AppTarget {
  /** host:port Prometheus scrapes */
  address: string;
  url: string;
  stop(): Promise<void>;
}

/** migrate: false leaves the database empty, so every request that reads items fails with 500 (a broken release). */
export async function startAppTarget({ migrate = true }: { migrate?: boolean } = {}): Promise<AppTarget> {
  const db: TestDatabase = await createTestDatabase('monitoring');
  let composition: Composition | undefined;
  let server: Server | undefined;
  const stop = async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server?.close(r));
    }
    await composition?.close();
    await db.drop();
  };
  try {
    const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    composition = compose({ db: { ...config.db, url: db.url }, logger: createLogger('silent') });
    if (migrate) await migrateLatest(composition.knex);
    const app = composition.app;
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  return { address: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, stop };
}

const TEXTS = [
  'I love this product, it works perfectly and the support was wonderful',
  'Terrible quality. Nothing works and it broke after one day',
  'The package arrived on Tuesday',
];

export interface TrafficCounts {
  [status: number]: number;
}

/** One round of the traffic a user produces: creates, reads, lists, predictions, 404s, 422s. */
export async function trafficRound(url: string, counts: TrafficCounts): Promise<void> {
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await res.arrayBuffer();
    counts[res.status] = (counts[res.status] ?? 0) + 1;
    return res;
  };
  for (const [i, text] of TEXTS.entries()) {
    const created = await fetch(`${url}/items`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `item ${i}`, description: text, price: 10 * i }),
    });
    counts[created.status] = (counts[created.status] ?? 0) + 1;
    const item = (await created.json()) as { id?: number };
    if (item.id !== undefined) await call('GET', `/items/${item.id}`);
    await call('POST', '/predict', { text });
  }
  await call('POST', '/predict/batch', { texts: TEXTS });
  await call('GET', '/items?limit=5');
  await call('GET', '/items/987654321'); // 404
  await call('POST', '/items', { description: 'no name' }); // 422
  await call('GET', '/no/such/route'); // unmatched 404
  await call('GET', '/health');
}
