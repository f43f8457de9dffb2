// The lab's original table: id serial primary key, name (indexed), description, created_at.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
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
