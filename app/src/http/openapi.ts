// The OpenAPI 3.1 document served at /openapi.json (the lab's users had FastAPI's generated docs).
// Every schema in it is one of domain/schemas.ts, the same values the requests are validated with.
// The API's paths are listed once, under `servers: /v1` (the lab's unversioned spellings are
// deprecated aliases, not listed); service endpoints override it with the server root.
import type { TSchema } from '@sinclair/typebox';
import { ItemId, LIMITS, ListQuery, NAMED_SCHEMAS } from '../domain/schemas.js';

const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const detail = (description: string) => ({ description, content: json(ref('Detail')) });
const idParam = { name: 'item_id', in: 'path', required: true, schema: ItemId };
const invalid = { description: 'Validation error', content: json(ref('HTTPValidationError')) };
const bodyErrors = {
  413: detail('Body over 1 MB'),
  415: detail('Content type is not application/json'),
  422: { description: 'Validation error, or a body that is not JSON (type json_invalid)', content: json(ref('HTTPValidationError')) },
};
const dbDown = { 503: detail('Database unavailable') };
/** Service endpoints: not versioned (a path-level server overrides the document's /v1). */
const unversioned = [{ url: '/', description: 'Service endpoints are not versioned' }];
const header = (name: string, description: string) => ({ name, in: 'header', required: false, schema: { type: 'string' }, description });
const etagHeader = { ETag: { description: "The item's version (changes on every write)", schema: { type: 'string' } } };
const ifMatch = header('If-Match', 'Apply only if the item is still at this ETag (else 412: lost-update protection)');
const conditional = {
  404: detail('Item not found'),
  412: detail('If-Match named a version the item no longer has'),
};

/**
 * The lab's handler names. FastAPI names an operation `{handler}{path}` with every non-word
 * character replaced by `_`, then `_{method}` (fastapi.utils.generate_unique_id): clients generated
 * from the lab's spec call these methods, so ours must carry the same ids.
 */
const HANDLERS: Record<string, Record<string, string>> = {
  '/': { get: 'root' },
  '/health': { get: 'health_check' },
  '/livez': { get: 'livez' },
  '/readyz': { get: 'readyz' },
  '/items': { get: 'read_items', post: 'create_item' },
  '/items/{item_id}': { get: 'read_item', put: 'update_item', patch: 'patch_item', delete: 'delete_item' },
  '/predict': { post: 'predict_sentiment' },
  '/predict/batch': { post: 'predict_batch' },
  '/model/info': { get: 'model_info' },
};

export function fastapiOperationId(handler: string, path: string, method: string): string {
  return `${handler}${path}`.replace(/\W/g, '_') + `_${method.toLowerCase()}`;
}

function withOperationIds(paths: Record<string, Record<string, Record<string, unknown>>>): typeof paths {
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (method === 'parameters' || method === 'servers') continue;
      const handler = HANDLERS[path]?.[method];
      if (!handler) throw new Error(`openapi: no handler name for ${method.toUpperCase()} ${path}`);
      op.operationId = fastapiOperationId(handler, path, method);
    }
  }
  return paths;
}

export function openApiDocument(info: { service: string; version: string }): object {
  const doc = {
    openapi: '3.1.0',
    info: {
      title: info.service,
      version: info.version,
      description:
        'Items with sentiment analysis (wire-compatible with the FastAPI lab). The API is served under /v1; ' +
        "the lab's unversioned paths (/items, /predict, /model/info) still answer, as deprecated aliases (Deprecation and Link headers).",
    },
    servers: [{ url: '/v1', description: 'API version 1' }],
    paths: {
      '/': { servers: unversioned, get: { summary: 'Service status', responses: { 200: { description: 'Online', content: json(ref('Root')) } } } },
      '/health': { servers: unversioned,
        get: {
          summary: 'Health (database and model)',
          responses: { 200: { description: 'Healthy', content: json(ref('Health')) }, 503: { description: 'Unhealthy', content: json(ref('Health')) } },
        },
      },
      '/livez': { servers: unversioned, get: { summary: 'Liveness probe', responses: { 200: { description: 'Alive' } } } },
      '/readyz': { servers: unversioned, get: { summary: 'Readiness probe (database and model)', responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } } } },
      '/items': {
        get: {
          summary: 'List items',
          parameters: Object.entries(ListQuery.properties).map(([name, schema]) => ({ name, in: 'query', schema })),
          responses: {
            200: {
              description: 'Items ordered by id',
              headers: { Link: { description: 'On a full page: `<...?after_id=N>; rel="next"`, the next page by keyset cursor', schema: { type: 'string' } } },
              content: json({ type: 'array', items: ref('Item') }),
            },
            422: invalid,
            ...dbDown,
          },
        },
        post: {
          summary: 'Create an item (sentiment of the description computed and stored)',
          parameters: [header('Idempotency-Key', 'Retry-safe creation: the same key and body within 24 h return the first response (Idempotent-Replayed: true)')],
          requestBody: { required: true, content: json(ref('ItemCreate')) },
          responses: {
            201: { description: 'Created; Location header names the new item', headers: { Location: { schema: { type: 'string' } }, ...etagHeader }, content: json(ref('Item')) },
            409: detail('A request with this Idempotency-Key is still being processed'),
            ...bodyErrors,
            ...dbDown,
          },
        },
      },
      '/items/{item_id}': {
        parameters: [idParam],
        get: {
          summary: 'Read an item',
          parameters: [header('If-None-Match', 'ETags the client holds: 304 Not Modified if the item is still at one of them')],
          responses: {
            200: { description: 'The item', headers: etagHeader, content: json(ref('Item')) },
            304: { description: 'Not modified (If-None-Match)', headers: etagHeader },
            404: detail('Item not found'),
            422: invalid,
            ...dbDown,
          },
        },
        put: {
          summary: 'Replace an item',
          parameters: [ifMatch],
          requestBody: { required: true, content: json(ref('ItemCreate')) },
          responses: { 200: { description: 'The item', headers: etagHeader, content: json(ref('Item')) }, ...conditional, ...bodyErrors, ...dbDown },
        },
        patch: {
          summary: 'Update some fields of an item',
          parameters: [ifMatch],
          requestBody: { required: true, content: json(ref('ItemUpdate')) },
          responses: { 200: { description: 'The item', headers: etagHeader, content: json(ref('Item')) }, ...conditional, ...bodyErrors, ...dbDown },
        },
        delete: { summary: 'Delete an item', parameters: [ifMatch], responses: { 204: { description: 'Deleted' }, ...conditional, 422: invalid, ...dbDown } },
      },
      '/predict': {
        post: {
          summary: 'Sentiment of a text',
          requestBody: { required: true, content: json(ref('PredictRequest')) },
          responses: { 200: { description: 'Prediction', content: json(ref('Prediction')) }, ...bodyErrors, 503: detail('Model not loaded') },
        },
      },
      '/predict/batch': {
        post: {
          summary: `Sentiment of up to ${LIMITS.batchMax} texts`,
          requestBody: { required: true, content: json(ref('PredictBatchRequest')) },
          responses: {
            200: { description: 'Predictions in input order', content: json(ref('PredictBatchResponse')) },
            ...bodyErrors,
            503: detail('Model not loaded'),
          },
        },
      },
      '/model/info': { get: { summary: 'Sentiment model information', responses: { 200: { description: 'Model', content: json(ref('ModelInfo')) }, 503: detail('Model not loaded') } } },
    },
    components: { schemas: Object.fromEntries(Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [name, withRefs(schema, name)])) },
  };
  withOperationIds(doc.paths as unknown as Record<string, Record<string, Record<string, unknown>>>);
  return { ...doc, paths: withRefs(doc.paths) };
}

/** Named schemas by their JSON (TypeBox copies a schema wherever it is composed in). */
const NAME_OF = new Map<string, string>(Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [JSON.stringify(schema), name]));

/**
 * A plain JSON copy in which every named schema met below the top is a `$ref` to its component
 * (TypeBox's symbol keys are dropped, as JSON.stringify drops them).
 */
function withRefs(value: unknown, self?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => withRefs(v));
  if (typeof value !== 'object' || value === null) return value;
  const name = NAME_OF.get(JSON.stringify(value));
  if (name !== undefined && name !== self) return ref(name);
  return Object.fromEntries(Object.entries(value as TSchema).map(([k, v]) => [k, withRefs(v)]));
}
