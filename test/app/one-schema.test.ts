// One schema (app/src/domain/schemas.ts) drives request validation, the Objection model and the
// OpenAPI document. These tests hold the three to the same answers on the same inputs: the
// published document compiled by a stock ajv (as a client generator or gateway would use it), the
// service's request parsers, and the model's own validation before a write.
import Ajv from 'ajv';
import { createDatabase } from '../../app/src/data/database';
import { openApiDocument } from '../../app/src/http/openapi';
import { parseItemChanges, parseNewItem, parsePredict } from '../../app/src/http/validation';
import { ItemModel } from '../../app/src/data/models/item';
import { KnexItemsRepository } from '../../app/src/data/items-repository';
import { ValidationError } from '../../app/src/domain/errors';
import { dbConfig } from './support';

const doc = openApiDocument({ service: 'fastapiapp', version: 'test' }) as { components: { schemas: Record<string, object> } };
// A stock ajv with its defaults (code-point lengths, `u` patterns); strict off for OpenAPI's own keys.
const stock = new Ajv({ strict: false });
stock.addSchema(doc, 'openapi');
const published = (name: string) => {
  const v = stock.getSchema(`openapi#/components/schemas/${name}`);
  if (!v) throw new Error(`no component ${name}`);
  return (x: unknown) => v(x) as boolean;
};

const accepts = (parse: (b: unknown) => unknown, body: unknown): boolean => {
  try {
    parse(structuredClone(body));
    return true;
  } catch (err) {
    if (err instanceof ValidationError) return false;
    throw err;
  }
};
const modelAccepts = (fields: object): boolean => {
  try {
    ItemModel.fromJson(fields);
    return true;
  } catch {
    return false;
  }
};

const emoji = '😀';
const bodies: [string, boolean, Record<string, unknown>][] = [
  ['a plain item', true, { name: 'Lamp', description: 'A desk lamp', price: 5 }],
  ['255 emoji as the name (510 UTF-16 units)', true, { name: emoji.repeat(255), description: '' }],
  ['256 emoji as the name', false, { name: emoji.repeat(256), description: '' }],
  ['10,000 emoji as the description', true, { name: 'n', description: emoji.repeat(10000) }],
  ['10,001 characters of description', false, { name: 'n', description: 'x'.repeat(10001) }],
  ['a name with spaces around it', true, { name: '  Lamp  ', description: 'd' }],
  ['a blank name', false, { name: '   ', description: 'd' }],
  ['a name of a no-break space and a newline', false, { name: '\u00a0\n', description: 'd' }],
  ['an empty name', false, { name: '', description: 'd' }],
  ['a blank description', true, { name: 'n', description: '  ' }],
  ['NUL in the name', false, { name: 'a\u0000b', description: 'd' }],
  ['a lone high surrogate in the description', false, { name: 'n', description: 'x\ud800y' }],
  ['a lone low surrogate in the name', false, { name: '\udc00', description: 'd' }],
  ['a negative price', false, { name: 'n', description: 'd', price: -1 }],
  ['a price over int32', false, { name: 'n', description: 'd', price: 2147483648 }],
  ['a fractional price', false, { name: 'n', description: 'd', price: 1.5 }],
];

describe('one schema: the OpenAPI document, request validation and the model agree', () => {
  it.each(bodies)('when the item body has %s, then all three answer the same (valid: %s)', (_label, valid, body) => {
    expect(published('ItemCreate')(body)).toBe(valid);
    expect(accepts(parseNewItem, body)).toBe(valid);
    expect(accepts(parseItemChanges, body)).toBe(valid);
    expect(published('ItemUpdate')(body)).toBe(valid);
    expect(modelAccepts({ ...body, price: body.price ?? 0 })).toBe(valid);
  });

  it.each([
    ['one emoji', true, emoji],
    ['10,000 emoji', true, emoji.repeat(10000)],
    ['10,001 emoji', false, emoji.repeat(10001)],
    ['a tab and a newline only', false, '\t\n'],
    ['text with a lone surrogate', false, 'good \ud83d'],
  ])('when the text to predict is %s, then the document and the parser agree (valid: %s)', (_label, valid, text) => {
    expect(published('PredictRequest')({ text })).toBe(valid);
    expect(accepts(parsePredict, { text })).toBe(valid);
  });

  it('when a body carries fields outside the schema, then they are dropped, not passed on', () => {
    expect(parseNewItem({ name: 'n', description: 'd', id: 7, sentiment: 'positive' })).toEqual({ name: 'n', description: 'd', price: 0 });
    expect(parseItemChanges({ created_at: 'x' })).toEqual({});
  });

  it('when the model rejects a write, then the 422 is worded as the request validation words it', async () => {
    const db = createDatabase(dbConfig('postgres://127.0.0.1:1/none')); // never connects: the model validates before any query
    try {
      const repo = new KnexItemsRepository(db);
      const write = repo.create({ name: emoji.repeat(256), description: 'd\u0000', price: 0, sentiment: null, sentiment_score: null });
      await expect(write).rejects.toBeInstanceOf(ValidationError);
      const fromModel = await write.catch((err: ValidationError) => err.issues);
      const fromRequest = (() => {
        try {
          parseNewItem({ name: emoji.repeat(256), description: 'd\u0000' });
        } catch (err) {
          return (err as ValidationError).issues;
        }
      })();
      expect(fromModel).toEqual([
        { loc: ['body', 'name'], msg: 'String should have at most 255 characters', type: 'string_too_long' },
        { loc: ['body', 'description'], msg: 'String should not contain NUL (\\u0000) or unpaired surrogate characters', type: 'string_unicode' },
      ]);
      expect(fromModel).toEqual(fromRequest);
    } finally {
      await db.close();
    }
  });
});
