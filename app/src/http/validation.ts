// Request validation with FastAPI/pydantic-style errors: 422 `detail: [{loc, msg, type}]`.
// Each parser returns a typed value or throws one ValidationError listing every problem.
import { ValidationError, type ValidationIssue } from '../domain/errors.js';
import type { ItemChanges, NewItem } from '../domain/items.js';
import { SENTIMENT_LABELS, type ListQuery, type SentimentLabel } from '../domain/types.js';

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

type Loc = (string | number)[];
type Issues = ValidationIssue[];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireObject(body: unknown, issues: Issues): Record<string, unknown> | undefined {
  if (body === undefined) {
    issues.push({ loc: ['body'], msg: 'Field required', type: 'missing' });
    return undefined;
  }
  if (!isObject(body)) {
    issues.push({ loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' });
    return undefined;
  }
  return body;
}

/** What PostgreSQL text cannot hold: NUL, and UTF-16 surrogates without their other half. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function codePoints(v: string): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < v.length) {
      const d = v.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function codePointsOfAll(texts: string[]): number {
  return texts.reduce((n, t) => n + codePoints(t), 0);
}

function str(v: unknown, loc: Loc, issues: Issues, opts: { min: number; max: number }): string | undefined {
  if (v === undefined) {
    issues.push({ loc, msg: 'Field required', type: 'missing' });
    return undefined;
  }
  if (typeof v !== 'string') {
    issues.push({ loc, msg: 'Input should be a valid string', type: 'string_type' });
    return undefined;
  }
  if (UNSTORABLE.test(v)) {
    issues.push({ loc, msg: 'String should not contain NUL (\\u0000) or unpaired surrogate characters', type: 'string_unicode' });
    return undefined;
  }
  if (v.trim().length < opts.min) {
    issues.push({ loc, msg: `String should have at least ${opts.min} character${opts.min === 1 ? '' : 's'}`, type: 'string_too_short' });
    return undefined;
  }
  // Pydantic and OpenAPI's maxLength count code points; UTF-16 units are never fewer.
  if (v.length > opts.max && codePoints(v) > opts.max) {
    issues.push({ loc, msg: `String should have at most ${opts.max} characters`, type: 'string_too_long' });
    return undefined;
  }
  return v;
}

function nonNegativeInt(v: unknown, loc: Loc, issues: Issues): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    issues.push({ loc, msg: 'Input should be a valid integer', type: 'int_type' });
    return undefined;
  }
  if (v < 0) {
    issues.push({ loc, msg: 'Input should be greater than or equal to 0', type: 'greater_than_equal' });
    return undefined;
  }
  if (v > LIMITS.int32Max) {
    issues.push({ loc, msg: `Input should be less than or equal to ${LIMITS.int32Max}`, type: 'less_than_equal' });
    return undefined;
  }
  return v;
}

function done<T>(issues: Issues, value: T): T {
  if (issues.length > 0) throw new ValidationError(issues);
  return value;
}

const NAME = { min: 1, max: LIMITS.nameMax };
const DESCRIPTION = { min: 0, max: LIMITS.descriptionMax };

/** POST/PUT body: name and description required, price optional (default 0). */
export function parseNewItem(body: unknown): NewItem {
  const issues: Issues = [];
  const o = requireObject(body, issues);
  if (!o) return done(issues, undefined as never);
  const name = str(o.name, ['body', 'name'], issues, NAME);
  const description = str(o.description, ['body', 'description'], issues, DESCRIPTION);
  const price = o.price === undefined ? 0 : nonNegativeInt(o.price, ['body', 'price'], issues);
  return done(issues, { name: name as string, description: description as string, price: price as number });
}

/** PATCH body: any subset of name, description, price. */
export function parseItemChanges(body: unknown): ItemChanges {
  const issues: Issues = [];
  const o = requireObject(body, issues);
  if (!o) return done(issues, undefined as never);
  const changes: ItemChanges = {};
  if (o.name !== undefined) changes.name = str(o.name, ['body', 'name'], issues, NAME);
  if (o.description !== undefined) changes.description = str(o.description, ['body', 'description'], issues, DESCRIPTION);
  if (o.price !== undefined) changes.price = nonNegativeInt(o.price, ['body', 'price'], issues);
  return done(issues, changes);
}

/** Path id: a positive 32-bit integer in decimal ("abc", "-1", "1.5", 30 digits are all 422). */
export function parseItemId(raw: unknown): number {
  if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw)) {
    throw new ValidationError([{ loc: ['path', 'item_id'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' }]);
  }
  const id = Number(raw);
  if (id < 1 || id > LIMITS.int32Max) {
    throw new ValidationError([{ loc: ['path', 'item_id'], msg: `Input should be between 1 and ${LIMITS.int32Max}`, type: 'int_range' }]);
  }
  return id;
}

function queryInt(raw: unknown, name: string, def: number, min: number, max: number, issues: Issues): number {
  if (raw === undefined) return def;
  if (typeof raw !== 'string' || !/^-?\d{1,10}$/.test(raw)) {
    issues.push({ loc: ['query', name], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' });
    return def;
  }
  const n = Number(raw);
  if (n < min) issues.push({ loc: ['query', name], msg: `Input should be greater than or equal to ${min}`, type: 'greater_than_equal' });
  else if (n > max) issues.push({ loc: ['query', name], msg: `Input should be less than or equal to ${max}`, type: 'less_than_equal' });
  return n;
}

export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const issues: Issues = [];
  const limit = queryInt(query.limit, 'limit', LIMITS.listDefault, 1, LIMITS.listMax, issues);
  const offset = queryInt(query.offset, 'offset', 0, 0, LIMITS.int32Max, issues);
  let sentiment: SentimentLabel | undefined;
  if (query.sentiment !== undefined) {
    if (typeof query.sentiment === 'string' && (SENTIMENT_LABELS as readonly string[]).includes(query.sentiment)) {
      sentiment = query.sentiment as SentimentLabel;
    } else {
      issues.push({ loc: ['query', 'sentiment'], msg: "Input should be 'positive', 'negative' or 'neutral'", type: 'enum' });
    }
  }
  return done(issues, { limit, offset, ...(sentiment ? { sentiment } : {}) });
}

export function parsePredict(body: unknown): string {
  const issues: Issues = [];
  const o = requireObject(body, issues);
  if (!o) return done(issues, undefined as never);
  const text = str(o.text, ['body', 'text'], issues, { min: 1, max: LIMITS.textMax });
  return done(issues, text as string);
}

export function parsePredictBatch(body: unknown): string[] {
  const issues: Issues = [];
  const o = requireObject(body, issues);
  if (!o) return done(issues, undefined as never);
  const texts = o.texts;
  if (texts === undefined) issues.push({ loc: ['body', 'texts'], msg: 'Field required', type: 'missing' });
  else if (!Array.isArray(texts)) issues.push({ loc: ['body', 'texts'], msg: 'Input should be a valid list', type: 'list_type' });
  else if (texts.length < 1) issues.push({ loc: ['body', 'texts'], msg: 'List should have at least 1 item after validation, not 0', type: 'too_short' });
  else if (texts.length > LIMITS.batchMax) {
    issues.push({ loc: ['body', 'texts'], msg: `List should have at most ${LIMITS.batchMax} items after validation, not ${texts.length}`, type: 'too_long' });
  } else {
    let total = 0;
    texts.forEach((t, i) => (total += str(t, ['body', 'texts', i], issues, { min: 1, max: LIMITS.textMax })?.length ?? 0));
    if (issues.length === 0 && total > LIMITS.batchTextMax && codePointsOfAll(texts as string[]) > LIMITS.batchTextMax) {
      issues.push({ loc: ['body', 'texts'], msg: `Texts should have at most ${LIMITS.batchTextMax} characters in total`, type: 'too_long' });
    }
  }
  return done(issues, texts as string[]);
}
