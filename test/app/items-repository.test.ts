// The repository's rows are the wire shape as Postgres formats them: created_at must be exactly
// what Date#toISOString made of the driver's Date before (UTC, milliseconds truncated, `Z`), for
// any microseconds, any input offset and a session time zone other than UTC. Real Postgres.
import { Client } from 'pg';
import { KnexItemsRepository } from '../../app/src/data/items-repository';
import { createDatabase } from '../../app/src/data/database';
import { dbConfig, startTestApp, type TestApp } from './support';

let t: TestApp;
let pg: Client;
beforeAll(async () => {
  t = await startTestApp('repo');
  pg = new Client({ connectionString: t.db.url });
  await pg.connect();
});
afterAll(async () => {
  await pg.end();
  await t.stop();
});

const STAMPS = [
  '2026-01-01 00:00:00+00',
  '2026-01-01 00:00:00.000001+00',
  '2026-01-01 00:00:00.000999+00',
  '2026-01-01 00:00:00.0005+00',
  '2026-12-31 23:59:59.999999+00',
  '2026-06-30 23:59:59.9995-07',
  '2024-02-29 12:34:56.123456+05:30',
  '1999-12-31 23:59:59.9999+14',
  '2038-01-19 03:14:08.5+00',
];

it('when rows hold timestamps of any precision and offset, and the session time zone is not UTC, then created_at is what toISOString gave', async () => {
  // New connections of this database run in another time zone (the app's pool is made after this).
  await pg.query(`ALTER DATABASE "${t.db.name}" SET timezone TO 'America/New_York'`);
  const database = createDatabase(dbConfig(t.db.url));
  const { knex } = database;
  try {
    const ids: number[] = [];
    for (const stamp of STAMPS) {
      const r = await pg.query(`INSERT INTO items (name, description, price, sentiment, sentiment_score, created_at) VALUES ('t', '', 0, 'neutral', 0, $1) RETURNING id`, [stamp]);
      ids.push(r.rows[0].id as number);
    }
    // The driver's Dates: what the repository used to turn into strings with toISOString.
    const dates = (await pg.query('SELECT created_at FROM items WHERE id = ANY($1) ORDER BY id', [ids])).rows as { created_at: Date }[];
    const expected = dates.map((d) => d.created_at.toISOString());
    expect(expected[4]).toBe('2026-12-31T23:59:59.999Z'); // truncated, not rounded up into the next year
    expect(expected[5]).toBe('2026-07-01T06:59:59.999Z');

    const repo = new KnexItemsRepository(database);
    expect((await knex.raw('SHOW timezone')).rows[0].TimeZone).toBe('America/New_York');
    expect(await Promise.all(ids.map(async (id) => (await repo.findById(id))!.item.created_at))).toEqual(expected);
    expect((await repo.list({ limit: 1000, offset: 0, after_id: ids[0]! - 1 })).map((i) => i.created_at)).toEqual(expected);
    expect((await repo.update(ids[4]!, { price: 1 }))!.item.created_at).toBe(expected[4]);
    const { item: created } = await repo.create({ name: 'n', description: 'd', price: 0, sentiment: 'neutral', sentiment_score: 0 });
    const stored = (await pg.query('SELECT created_at FROM items WHERE id = $1', [created.id])).rows[0].created_at as Date;
    expect(created.created_at).toBe(stored.toISOString());
  } finally {
    await database.close();
  }
});
