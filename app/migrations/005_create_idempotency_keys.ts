// Idempotency-Key records for POST (safe retries): the first request's response, kept so a retry
// with the same key gets it again instead of creating a duplicate. In Postgres so every replica
// agrees. A new table: expand-only.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.text('key').primary();
    // sha256 of the validated body: the same key with another body is a 422.
    t.text('fingerprint').notNullable();
    // The item as the first request created it (a retry gets this response again) and its version.
    t.jsonb('item').notNullable();
    t.text('version').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).index('ix_idempotency_keys_created_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
}
