// How the schemas of schemas.ts are checked, wherever they are (request validation in
// http/validation.ts, the Objection model): the same keyword semantics on every ajv instance, and
// ajv's errors in Pydantic's words (FastAPI's 422 `detail` items `{loc, msg, type}`).
import { _, str, type Ajv, type ErrorObject, type KeywordCxt, type Options } from 'ajv';
import { useFunc } from 'ajv/dist/compile/util.js';
import ucs2length from 'ajv/dist/runtime/ucs2length.js';
import type { ValidationIssue } from './errors.js';
import { MAX_TOTAL_LENGTH, STORABLE } from './schemas.js';

export type Loc = (string | number)[];
export type Source = 'body' | 'query' | 'path';

/**
 * Lengths count code points and patterns run with the `u` flag, as Pydantic and OpenAPI mean them:
 * ajv's defaults (`unicode` cannot be turned off any more and is deprecated as an option).
 */
export const AJV_OPTIONS: Options = { unicodeRegExp: true, strict: true };

function withinTotal(max: number, data: unknown[]): boolean {
  let units = 0;
  for (const t of data) if (typeof t === 'string') units += t.length;
  if (units <= max) return true;
  let n = 0;
  for (const t of data) if (typeof t === 'string') n += ucs2length(t);
  return n <= max;
}

function maxTotalLength(max: number, data: unknown[]): boolean {
  const ok = withinTotal(max, data);
  maxTotalLength.errors = ok ? undefined : [{ keyword: MAX_TOTAL_LENGTH, params: { limit: max } }];
  return ok;
}
maxTotalLength.errors = undefined as Partial<ErrorObject>[] | undefined;

/** The schemas' keywords on an ajv instance (ajv's length keywords replaced, the batch total added). */
export function configureAjv(ajv: Ajv): Ajv {
  ajv.removeKeyword('minLength').removeKeyword('maxLength');
  ajv.addKeyword({
    // ajv's own length keywords, with a shortcut: a string has at most as many code points as
    // UTF-16 units and at least half as many, so only a length near the limit needs counting
    // (counting 10,000 characters costs ~50 µs, all the rest of a batch's validation ~10 µs).
    keyword: ['minLength', 'maxLength'],
    type: 'string',
    schemaType: 'number',
    error: {
      message: ({ keyword, schemaCode }) => str`must NOT have ${keyword === 'maxLength' ? 'more' : 'fewer'} than ${schemaCode} characters`,
      params: ({ schemaCode }) => _`{limit: ${schemaCode}}`,
    },
    code(cxt: KeywordCxt) {
      const { keyword, data, schemaCode } = cxt;
      const cp = useFunc(cxt.gen, ucs2length);
      cxt.fail(
        keyword === 'maxLength'
          ? _`${data}.length > ${schemaCode} && ${cp}(${data}) > ${schemaCode}`
          : _`${data}.length < ${schemaCode} || (${data}.length < 2 * ${schemaCode} && ${cp}(${data}) < ${schemaCode})`,
      );
    },
  });
  ajv.addKeyword({ keyword: MAX_TOTAL_LENGTH, type: 'array', schemaType: 'number', errors: true, validate: maxTotalLength });
  return ajv;
}

const storable = new RegExp(STORABLE, 'u');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const quoted = (labels: readonly string[]) => labels.slice(0, -1).map((l) => `'${l}'`).join(', ') + ` or '${labels[labels.length - 1]}'`;

/** The value at a path of the validated data (to word an error about it). */
export function valueAt(data: unknown, path: Loc): unknown {
  let v = data;
  for (const k of path) v = (v as Record<string | number, unknown> | undefined)?.[k];
  return v;
}

/** One ajv error; `loc` is where it points (for `required`, the object missing the field). */
export function issueOf(e: Pick<ErrorObject, 'keyword' | 'params' | 'message'>, source: Source, loc: Loc, value: unknown): ValidationIssue {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { loc: [...loc, p.missingProperty as string], msg: 'Field required', type: 'missing' };
    case 'type':
      if (source !== 'body' && p.type === 'integer') return { loc, msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' };
      switch (p.type) {
        case 'string': return { loc, msg: 'Input should be a valid string', type: 'string_type' };
        case 'integer': return { loc, msg: 'Input should be a valid integer', type: 'int_type' };
        case 'number': return { loc, msg: 'Input should be a valid number', type: 'float_type' };
        case 'array': return { loc, msg: 'Input should be a valid list', type: 'list_type' };
        case 'object': return { loc, msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' };
      }
      break;
    case 'minLength':
      return { loc, msg: `String should have at least ${plural(p.limit as number, 'character')}`, type: 'string_too_short' };
    case 'maxLength':
      return { loc, msg: `String should have at most ${plural(p.limit as number, 'character')}`, type: 'string_too_long' };
    case 'pattern':
      // STORABLE or STORABLE_NOT_BLANK: which half failed decides the error.
      return typeof value === 'string' && !storable.test(value)
        ? { loc, msg: 'String should not contain NUL (\\u0000) or unpaired surrogate characters', type: 'string_unicode' }
        : { loc, msg: 'String should have at least 1 character', type: 'string_too_short' };
    case 'minimum':
      return { loc, msg: `Input should be greater than or equal to ${p.limit}`, type: 'greater_than_equal' };
    case 'maximum':
      return { loc, msg: `Input should be less than or equal to ${p.limit}`, type: 'less_than_equal' };
    case 'minItems':
      return { loc, msg: `List should have at least ${plural(p.limit as number, 'item')} after validation, not ${(value as unknown[]).length}`, type: 'too_short' };
    case 'maxItems':
      return { loc, msg: `List should have at most ${plural(p.limit as number, 'item')} after validation, not ${(value as unknown[]).length}`, type: 'too_long' };
    case 'enum':
      return { loc, msg: `Input should be ${quoted(p.allowedValues as string[])}`, type: 'enum' };
    case MAX_TOTAL_LENGTH:
      return { loc, msg: `Texts should have at most ${p.limit} characters in total`, type: 'too_long' };
  }
  return { loc, msg: e.message ?? 'Invalid value', type: 'value_error' };
}

