// updated_at, maintained by the database: the item's version for ETags and If-Match (lost-update
// protection). Expand-only (safe before the deploy, under the old code): the column comes with a
// constant default, so existing rows are not rewritten (they read the migration's time), and a
// trigger stamps every UPDATE, whichever code version writes it. clock_timestamp(), not now():
// two updates in one transaction still get different versions.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE items ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()');
  await knex.raw(`CREATE FUNCTION items_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := clock_timestamp();
      RETURN NEW;
    END $$`);
  await knex.raw('CREATE TRIGGER items_touch_updated_at BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION items_touch_updated_at()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER items_touch_updated_at ON items');
  await knex.raw('DROP FUNCTION items_touch_updated_at()');
  await knex.raw('ALTER TABLE items DROP COLUMN updated_at');
}
