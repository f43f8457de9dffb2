// The lab's original table: id serial primary key, name (indexed), description, created_at.
// A database made by the lab (its Alembic revision or `create_all`) already has `items`: adopt it
// instead, keeping every row, and bring it to this schema (NULL description -> '', NULL
// created_at -> now(), both NOT NULL; ix_items_name ensured). `alembic_version` is left alone.
import type { Knex } from 'knex';

// The lint's rules guard a table a serving release uses; these statements run only on the
// lab-adoption path, when the lab's table is brought under this schema before any release of
// this app serves it.
export const lintAllow = {
  'set-not-null': 'lab adoption only: the lab table gets NOT NULL before this app serves it',
  'index-not-concurrent': 'lab adoption only: ix_items_name is ensured before this app serves the table',
};

async function adoptLabTable(knex: Knex): Promise<void> {
  await knex.raw("UPDATE items SET name = '' WHERE name IS NULL");
  await knex.raw("UPDATE items SET description = '' WHERE description IS NULL");
  await knex.raw('UPDATE items SET created_at = now() WHERE created_at IS NULL');
  await knex.raw(`ALTER TABLE items
    ALTER COLUMN name SET NOT NULL,
    ALTER COLUMN description SET NOT NULL,
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN created_at SET NOT NULL`);
  await knex.raw('CREATE INDEX IF NOT EXISTS ix_items_name ON items (name)');
}

export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable('items')) {
    await adoptLabTable(knex);
    return;
  }
  await knex.schema.createTable('items', (t) => {
    t.increments('id').primary();
    t.string('name', 255).notNullable().index('ix_items_name');
    t.text('description').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('items');
}
