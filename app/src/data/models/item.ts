// Objection model of the items table. jsonSchema is the last line of defence for writes;
// request validation happens earlier, in the HTTP layer.
import { Model } from 'objection';
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

  static override jsonSchema = {
    type: 'object',
    required: ['name', 'description'],
    properties: {
      id: { type: 'integer' },
      name: { type: 'string', minLength: 1, maxLength: 255 },
      description: { type: 'string', maxLength: 10000 },
      price: { type: 'integer', minimum: 0, maximum: 2147483647 },
      sentiment: { type: ['string', 'null'], enum: ['positive', 'negative', 'neutral', null] },
      sentiment_score: { type: ['number', 'null'], minimum: -1, maximum: 1 },
    },
  };
}
