// A database the FastAPI lab made (its Alembic schema, with or without the price exercise and
// alembic_version) is brought to the current schema by `migrate latest` without losing a row, and
// the app then serves those rows and new ones. Built from the lab's DDL (fixtures/*.sql).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { compose } from '../../app/src/compose';
import { migrateLatest, migrationStatus } from '../../app/src/data/migrations';
import { createTestDatabase } from '../harness/postgres';
import { dbConfig, memoryLogger } from './support';

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const ALL = ['001_create_items', '002_add_price', '003_add_sentiment'];

const variants: [string, string[], boolean][] = [
  ['its first Alembic revision', ['lab-schema.sql'], false],
  ['after the price exercise', ['lab-schema.sql', 'lab-add-price.sql'], true],
  ['made by create_all, without alembic_version', ['lab-schema.sql', 'DROP TABLE alembic_version'], false],
];

describe.each(variants)('a lab database (%s)', (_name, ddl, hasPrice) => {
  it('when `migrate latest` runs, then every row is kept, the schema is current and the app serves old and new items', async () => {
    const db = await createTestDatabase('lab');
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    const c = compose({ db: dbConfig(db.url), logger: memoryLogger().logger });
    try {
      for (const step of ddl) await admin.query(step.endsWith('.sql') ? fixture(step) : step);
      await admin.query(`INSERT INTO items (name, description, created_at) VALUES ('kept', 'Great product, works well', '2024-01-02T03:04:05Z')`);
      await admin.query(`INSERT INTO items (name, description) VALUES ('no description', NULL)`);
      await admin.query(`INSERT INTO items (name, description, created_at) VALUES ('no date', 'x', NULL)`);
      await admin.query(`INSERT INTO items (name, description) VALUES ('${'n'.repeat(255)}', 'long name')`);
      if (hasPrice) await admin.query(`UPDATE items SET price = 42 WHERE name = 'kept'`);
      const before = (await admin.query('SELECT id, name FROM items ORDER BY id')).rows as { id: number; name: string }[];

      expect(await migrateLatest(c.knex)).toEqual(ALL);
      expect(await migrationStatus(c.knex)).toMatchObject({ applied: ALL, pending: [] });

      const after = (await admin.query('SELECT id, name, description, price, created_at FROM items ORDER BY id')).rows as { id: number; name: string; description: string; price: number; created_at: Date }[];
      expect(after.map(({ id, name }) => ({ id, name }))).toEqual(before);
      expect(after.find((r) => r.name === 'kept')).toMatchObject({ price: hasPrice ? 42 : 0, created_at: new Date('2024-01-02T03:04:05Z') });
      expect(after.find((r) => r.name === 'no description')).toMatchObject({ description: '', price: 0 });
      expect(after.find((r) => r.name === 'no date')!.created_at).toBeInstanceOf(Date);
      const cols = (await admin.query("SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'items' ORDER BY column_name")).rows;
      expect(cols).toEqual([
        { column_name: 'created_at', is_nullable: 'NO' }, { column_name: 'description', is_nullable: 'NO' }, { column_name: 'id', is_nullable: 'NO' },
        { column_name: 'name', is_nullable: 'NO' }, { column_name: 'price', is_nullable: 'NO' }, { column_name: 'sentiment', is_nullable: 'YES' }, { column_name: 'sentiment_score', is_nullable: 'YES' },
      ]);
      await expect(admin.query(`INSERT INTO items (name, description, price) VALUES ('n', 'd', -1)`)).rejects.toThrow(/items_price_non_negative/);

      const listed = (await request(c.app).get('/items').expect(200)).body as { id: number; name: string }[];
      expect(listed.map((i) => i.id)).toEqual(before.map((r) => r.id));
      const kept = before.find((r) => r.name === 'kept')!;
      expect((await request(c.app).get(`/items/${kept.id}`).expect(200)).body).toMatchObject({ name: 'kept', description: 'Great product, works well', created_at: '2024-01-02T03:04:05.000Z' });
      const created = (await request(c.app).post('/items').send({ name: 'new', description: 'Added after adoption' }).expect(201)).body as { id: number };
      expect(created.id).toBeGreaterThan(Math.max(...before.map((r) => r.id))); // the lab's id sequence continues
      expect((await request(c.app).patch(`/items/${kept.id}`).send({ description: 'Terrible, it broke' }).expect(200)).body.sentiment).toBe('negative');
    } finally {
      await admin.end();
      await c.close();
      await db.drop();
    }
  });
});
