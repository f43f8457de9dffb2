// The service's shapes, defined once (TypeBox: JSON Schema values with their TypeScript types).
// They drive request validation (compiled by ajv in http/validation.ts, FastAPI-shaped 422s),
// the Objection model's jsonSchema (data/models/item.ts), the OpenAPI document (http/openapi.ts)
// and the domain's types (types.ts). String lengths are code points, as Pydantic and OpenAPI's
// maxLength count them (ajv's default `unicode: true`); patterns run with the `u` flag (ajv's
// default `unicodeRegExp: true`), so a surrogate pair is one character everywhere.
import { Type, type Static } from '@sinclair/typebox';

export const SENTIMENT_LABELS = ['positive', 'negative', 'neutral'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

export const LIMITS = {
  nameMax: 255,
  descriptionMax: 10000,
  textMax: 10000,
  batchMax: 100,
  /** Total characters of one batch: bounds the scoring work (CPU) one request can ask for. */
  batchTextMax: 50000,
  listMax: 1000,
  listDefault: 100,
  int32Max: 2147483647,
} as const;

/**
 * Text PostgreSQL can store: no NUL, no UTF-16 surrogate without its other half (with the `u`
 * flag a lone surrogate is a code point of its own in D800-DFFF; a pair is one astral code point).
 */
export const STORABLE = '^[^\\u0000\\uD800-\\uDFFF]*$';
/**
 * Storable and not blank. Strings are never trimmed (stored as sent, as Pydantic does by default),
 * but a required name or text must hold a non-whitespace character (JavaScript's `\s`, the set
 * String.prototype.trim removes). A lookahead, so the match stays linear in the length.
 */
export const STORABLE_NOT_BLANK = '^(?=\\s*\\S)[^\\u0000\\uD800-\\uDFFF]*$';

/** Extension keyword: the summed code points of an array's strings (see http/validation.ts). */
export const MAX_TOTAL_LENGTH = 'x-maxTotalLength';

const Int32 = (min: number, extra: object = {}) => Type.Integer({ minimum: min, maximum: LIMITS.int32Max, ...extra });

export const Sentiment = Type.Unsafe<SentimentLabel>({ type: 'string', enum: [...SENTIMENT_LABELS] });
const Name = Type.String({ minLength: 1, maxLength: LIMITS.nameMax, pattern: STORABLE_NOT_BLANK });
const Description = Type.String({ maxLength: LIMITS.descriptionMax, pattern: STORABLE });
const Price = Int32(0);
const Text = Type.String({ minLength: 1, maxLength: LIMITS.textMax, pattern: STORABLE_NOT_BLANK });
const SentimentScore = Type.Number({ minimum: -1, maximum: 1 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

// Requests
export const ItemCreate = Type.Object({ name: Name, description: Description, price: Type.Optional(Int32(0, { default: 0 })) });
export const ItemUpdate = Type.Partial(Type.Object({ name: Name, description: Description, price: Price }));
export const ItemId = Int32(1);
export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: LIMITS.listMax, default: LIMITS.listDefault }),
  offset: Int32(0, { default: 0 }),
  sentiment: Type.Optional(Sentiment),
  // Not in the lab's API: an exact-name filter (served by the index ix_items_name).
  name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.nameMax, pattern: STORABLE, description: 'Only items with exactly this name.' })),
  // Not in the lab's API: a keyset cursor, whose cost does not grow with the depth of the page as offset's does.
  after_id: Type.Optional(
    Int32(0, { description: 'Keyset cursor: only items with an id above this one (pass the last id of the previous page). Costs the same at any depth, where offset costs grow with it; offset, if given too, skips rows after the cursor.' }),
  ),
});
export const PredictRequest = Type.Object({ text: Text });
export const PredictBatchRequest = Type.Object({
  texts: Type.Array(Text, { minItems: 1, maxItems: LIMITS.batchMax, [MAX_TOTAL_LENGTH]: LIMITS.batchTextMax }),
});

// Stored row: what the Objection model validates before a write.
export const ItemRow = Type.Object({
  id: Type.Optional(Type.Integer()),
  name: Name,
  description: Description,
  price: Type.Optional(Price),
  sentiment: Type.Optional(Nullable(Sentiment)),
  sentiment_score: Type.Optional(Nullable(SentimentScore)),
});

// Responses
export const Item = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  price: Type.Integer(),
  sentiment: Nullable(Sentiment),
  sentiment_score: Nullable(SentimentScore),
  created_at: Type.String({ format: 'date-time' }),
});
export const Prediction = Type.Object({
  sentiment: Sentiment,
  /** Probability of the chosen polarity (or, for neutral, how little evidence there was), 0..1. */
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  /** Signed polarity, -1 (negative) .. 1 (positive). */
  score: SentimentScore,
});
export const PredictBatchResponse = Type.Object({ predictions: Type.Array(Prediction) });
export const ModelInfo = Type.Object({
  name: Type.String(),
  version: Type.String(),
  kind: Type.String(),
  labels: Type.Unsafe<readonly SentimentLabel[]>(Type.Array(Sentiment)),
  loaded_at: Type.String({ format: 'date-time' }),
  load_time_ms: Type.Number(),
});
export const Root = Type.Object({ status: Type.Literal('online'), service: Type.String(), version: Type.String() });
export const Health = Type.Object({
  status: Type.Unsafe<'healthy' | 'unhealthy'>({ enum: ['healthy', 'unhealthy'] }),
  database: Type.Unsafe<'connected' | 'disconnected'>({ enum: ['connected', 'disconnected'] }),
  model: Type.String(),
  error: Type.Optional(Type.String()),
});
export const Detail = Type.Object({ detail: Type.String() });
export const HTTPValidationError = Type.Object({
  detail: Type.Array(
    Type.Object({ loc: Type.Array(Type.Union([Type.String(), Type.Integer()])), msg: Type.String(), type: Type.String() }),
  ),
});

export type Item = Static<typeof Item>;
/** A create/replace body after validation (price defaulted). */
export type NewItem = Required<Static<typeof ItemCreate>>;
export type ItemChanges = Static<typeof ItemUpdate>;
export type ListQuery = Static<typeof ListQuery>;
export type Prediction = Static<typeof Prediction>;
export type ModelInfo = Static<typeof ModelInfo>;

/** Named in the OpenAPI document's components (and referenced wherever they occur). */
export const NAMED_SCHEMAS = {
  Sentiment,
  Detail,
  HTTPValidationError,
  Root,
  Health,
  ItemCreate,
  ItemUpdate,
  Item,
  PredictRequest,
  PredictBatchRequest,
  Prediction,
  PredictBatchResponse,
  ModelInfo,
} as const;
