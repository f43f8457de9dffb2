// Items persistence. Returns plain objects in the wire shape (created_at as an ISO string).
// The hot paths (read by id, create) run named prepared statements with pool.query(), skipping
// the query builder and Knex's connection handling: profiling showed Knex's per-query building and
// result processing cost more CPU than Postgres's answer (README, benchmarks). Creates are still
// validated by the Objection model's jsonSchema; the other queries use Objection/Knex on the same pool.
import type { ErrorObject } from 'ajv';
import type { Knex } from 'knex';
import type pg from 'pg';
import { ValidationError as ObjectionValidationError } from 'objection';
import { ValidationError } from '../domain/errors.js';
import { issueOf, valueAt } from '../domain/schema-validation.js';
import type { Item, ItemFields, ItemsRepository, ListQuery } from '../domain/types.js';
import type { Database } from './database.js';
import { guard } from './db-errors.js';
import { ItemModel } from './models/item.js';

const COLUMNS: string[] = ['id', 'name', 'description', 'price', 'sentiment', 'sentiment_score', 'created_at'];
const COLUMN_LIST = COLUMNS.join(', ');
/**
 * The list's columns in the wire shape, created_at formatted by Postgres exactly as
 * Date#toISOString does (UTC, milliseconds truncated, `Z`): a page of 1,000 rows arrives as the
 * items it is, with no Date parsed and formatted again and no copy per row (that was a third of
 * the list's CPU). Single rows keep the Date path: there the conversion is ~1 µs, and GET by id
 * measured no faster with to_char (Postgres shares the cores). test/app/items-repository.test.ts
 * holds both paths to the same strings.
 */
const CREATED_AT_ISO = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const WIRE_COLUMN_LIST = `id, name, description, price, sentiment, sentiment_score, ${CREATED_AT_ISO} AS created_at`;
const SELECT_BY_ID = { name: 'items_by_id', text: `SELECT ${COLUMN_LIST} FROM items WHERE id = $1` };
const INSERT = {
  name: 'items_insert',
  text: `INSERT INTO items (name, description, price, sentiment, sentiment_score) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMN_LIST}`,
};

interface ItemRow extends Omit<Item, 'created_at'> {
  created_at: Date;
}

function toItem(row: ItemRow): Item {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: row.price,
    sentiment: row.sentiment,
    sentiment_score: row.sentiment_score,
    created_at: row.created_at.toISOString(),
  };
}

/** Objection's schema errors (the same schema as the request's) are 422s in FastAPI's shape. */
function mapModelError(err: unknown, fields: object): never {
  if (err instanceof ObjectionValidationError) {
    const data = (err.data ?? {}) as Record<string, Pick<ErrorObject, 'keyword' | 'params' | 'message'>[]>;
    throw new ValidationError(
      Object.entries(data).map(([field, errs]) => {
        // Objection lists a field's errors last-first and already names a missing field in its key.
        const e = errs[errs.length - 1] as Pick<ErrorObject, 'keyword' | 'params' | 'message'>;
        const path = field.split('.');
        return issueOf(e, 'body', e.keyword === 'required' ? ['body', ...path.slice(0, -1)] : ['body', ...path], valueAt(fields, path));
      }),
    );
  }
  throw err;
}

export class KnexItemsRepository implements ItemsRepository {
  private readonly model: typeof ItemModel;
  private readonly knex: Knex;
  private readonly pool: pg.Pool;

  constructor(db: Pick<Database, 'knex' | 'pool'>) {
    this.knex = db.knex;
    this.pool = db.pool;
    this.model = ItemModel.bindKnex(db.knex);
  }

  /**
   * A named prepared statement (Postgres keeps its plan per connection). pool.query checks a
   * connection out and back in, and destroys it if the query failed (e.g. timed out).
   */
  private prepared(statement: { name: string; text: string }, values: unknown[]): Promise<pg.QueryResult<ItemRow>> {
    return guard(this.pool.query<ItemRow>({ ...statement, values }));
  }

  async create(fields: ItemFields): Promise<Item> {
    try {
      this.model.fromJson(fields); // jsonSchema validation, as an Objection insert would do
    } catch (err) {
      mapModelError(err, fields);
    }
    const { rows } = await this.prepared(INSERT, [fields.name, fields.description, fields.price, fields.sentiment, fields.sentiment_score]);
    return toItem(rows[0] as ItemRow);
  }

  async findById(id: number): Promise<Item | undefined> {
    const row = (await this.prepared(SELECT_BY_ID, [id])).rows[0];
    return row ? toItem(row) : undefined;
  }

  async list(q: ListQuery): Promise<Item[]> {
    const page = this.knex('items').select('*').orderBy('id').limit(q.limit).offset(q.offset);
    if (q.sentiment) page.where('sentiment', q.sentiment);
    if (q.after_id !== undefined) page.where('id', '>', q.after_id); // an index range scan: no rows skipped one by one
    // Formatted outside the page: Postgres projects every row it skips for OFFSET, so to_char in
    // the inner select ran for all of them (a page at offset 99,000 took 7x as long).
    const query = this.knex.select(this.knex.raw(WIRE_COLUMN_LIST)).from(page.as('page')).orderBy('id');
    return (await guard(query)) as Item[];
  }

  async update(id: number, fields: Partial<ItemFields>): Promise<Item | undefined> {
    const rows = await guard(
      this.model.query().patch(fields).where('id', id).returning(COLUMNS).catch((err: unknown) => mapModelError(err, fields)),
    );
    const row = (rows as unknown as ItemRow[])[0];
    return row ? toItem(row) : undefined;
  }

  async delete(id: number): Promise<boolean> {
    const n = await guard(this.knex('items').where('id', id).delete());
    return n > 0;
  }
}
