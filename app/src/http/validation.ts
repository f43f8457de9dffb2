// Request validation: the schemas of domain/schemas.ts compiled by ajv, with FastAPI/Pydantic-style
// errors: 422 `detail: [{loc, msg, type}]`, one issue per location, every location reported.
// Each parser returns a typed value (defaults applied, unknown fields dropped) or throws one
// ValidationError.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';
import { ValidationError, type ValidationIssue } from '../domain/errors.js';
import { AJV_OPTIONS, configureAjv, issueOf, valueAt, type Loc, type Source } from '../domain/schema-validation.js';
import {
  ItemCreate,
  ItemId,
  ItemUpdate,
  ListQuery,
  MAX_TOTAL_LENGTH,
  PredictBatchRequest,
  PredictRequest,
  type ItemChanges,
  type NewItem,
} from '../domain/schemas.js';

/**
 * The one ajv instance for requests: every error (FastAPI lists them all), defaults filled in,
 * fields outside the schema removed (FastAPI ignores them), the schemas' keywords as everywhere
 * (configureAjv: code-point lengths, `u` patterns, the batch total).
 */
const ajv = configureAjv(new Ajv({ ...AJV_OPTIONS, allErrors: true, useDefaults: true, removeAdditional: 'all' }));

const pointer = (instancePath: string): Loc =>
  instancePath === '' ? [] : instancePath.slice(1).split('/').map((k) => (/^\d+$/.test(k) ? Number(k) : k.replace(/~1/g, '/').replace(/~0/g, '~')));

function issues(errors: ErrorObject[], source: Source, data: unknown): ValidationIssue[] {
  const seen = new Set<string>();
  const out: ValidationIssue[] = [];
  for (const e of errors) {
    const path = pointer(e.instancePath);
    const issue = issueOf(e, source, [source, ...path], valueAt(data, path));
    // The total-length bound is reported only when every text is valid on its own.
    if (e.keyword === MAX_TOTAL_LENGTH && errors.length > 1) continue;
    const key = issue.loc.join('\u0000');
    if (seen.has(key)) continue; // the first problem per location, as Pydantic reports
    seen.add(key);
    out.push(issue);
  }
  return out;
}

function fail(validate: ValidateFunction, source: Source, data: unknown): never {
  throw new ValidationError(issues(validate.errors ?? [], source, data));
}

function bodyParser<S extends TSchema, T = Static<S>>(schema: S): (body: unknown) => T {
  const validate = ajv.compile(schema);
  return (body) => {
    if (body === undefined) throw new ValidationError([{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
    if (!validate(body)) fail(validate, 'body', body);
    return body as T;
  };
}

/** Query and path values arrive as strings: decimal integers are read as numbers before validation. */
const DECIMAL = /^-?\d{1,10}$/;
const asInt = (v: unknown) => (typeof v === 'string' && DECIMAL.test(v) ? Number(v) : v);

/** POST/PUT body: name and description required, price optional (default 0). */
export const parseNewItem = bodyParser<typeof ItemCreate, NewItem>(ItemCreate);
/** PATCH body: any subset of name, description, price. */
export const parseItemChanges = bodyParser<typeof ItemUpdate, ItemChanges>(ItemUpdate);
const predictBody = bodyParser(PredictRequest);
const predictBatchBody = bodyParser(PredictBatchRequest);
export const parsePredict = (body: unknown): string => predictBody(body).text;
export const parsePredictBatch = (body: unknown): string[] => predictBatchBody(body).texts;

const validateItemId = ajv.compile(ItemId);
/** Path id: a positive 32-bit integer in decimal ("abc", "-1", "1.5", 30 digits are all 422). */
export function parseItemId(raw: unknown): number {
  const id = typeof raw === 'string' && !raw.startsWith('-') ? asInt(raw) : raw;
  if (!validateItemId(id)) {
    const e = (validateItemId.errors ?? [])[0] as ErrorObject;
    throw new ValidationError([issueOf(e, 'path', ['path', 'item_id'], id)]);
  }
  return id as number;
}

const validateListQuery = ajv.compile(ListQuery);
export function parseListQuery(query: Record<string, unknown>): Static<typeof ListQuery> {
  const q: Record<string, unknown> = {};
  if (query.limit !== undefined) q.limit = asInt(query.limit);
  if (query.offset !== undefined) q.offset = asInt(query.offset);
  if (query.sentiment !== undefined) q.sentiment = query.sentiment;
  if (query.name !== undefined) q.name = query.name;
  if (query.after_id !== undefined) q.after_id = asInt(query.after_id);
  if (!validateListQuery(q)) fail(validateListQuery, 'query', q);
  return q as Static<typeof ListQuery>;
}
