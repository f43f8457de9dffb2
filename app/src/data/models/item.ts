// Objection model of the items table. jsonSchema (the stored row's schema from domain/schemas.ts,
// the same field definitions the requests are validated with) is the last line of defence for
// writes; request validation happens earlier, in the HTTP layer.
import { AjvValidator, Model, type JSONSchema } from 'objection';
import { AJV_OPTIONS, configureAjv } from '../../domain/schema-validation.js';
import { ItemRow } from '../../domain/schemas.js';
import type { SentimentLabel } from '../../domain/types.js';

export class ItemModel extends Model {
  static override tableName = 'items';

  id!: number;
  name!: string;
  description!: string;
  price!: number;
  sentiment!: SentimentLabel | null;
  sentiment_score!: number | null;
  created_at!: Date;

  static override jsonSchema = ItemRow as JSONSchema;

  /** Objection's validator (its own options), with the schemas' keywords as the requests have them. */
  static override createValidator(): AjvValidator {
    return new AjvValidator({
      onCreateAjv: (ajv) => configureAjv(ajv),
      options: { ...AJV_OPTIONS, allErrors: true, validateSchema: false, ownProperties: true },
    });
  }
}
