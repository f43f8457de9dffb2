// Typed builders for a Kubernetes structural schema, on TypeBox: every value is at once the JSON the
// CRD's openAPIV3Schema carries and, through Static<>, its TypeScript type. TypeBox's own Object,
// Array, String, Integer and Boolean already emit structural JSON; this file adds what Kubernetes
// spells differently (string enums, int-or-string, maps) and a marker for fields with a default, so
// the type of a defaulted spec (StaticDefaulted) is derived from the same definition.
import { Type, type SchemaOptions, type Static, type TArray, type TObject, type TOptional, type TSchema, type TUnsafe } from '@sinclair/typebox';

export interface ValidationRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps this CRD uses (the JSON crdSchema returns). */
export interface SchemaProps {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  properties?: Record<string, SchemaProps>;
  additionalProperties?: SchemaProps | boolean;
  items?: SchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  anyOf?: SchemaProps[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}

/** Options of a schema node: JSON Schema keywords plus the Kubernetes extensions, checked by name. */
export type KubeOptions = SchemaOptions & Omit<SchemaProps, 'type' | 'properties' | 'items' | 'required' | 'anyOf' | 'default'>;

/** A string limited to the given values (`enum`, as Kubernetes writes it; TypeBox's Union would emit anyOf/const). */
export function StringEnum<const T extends readonly string[]>(values: T, options: KubeOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** An integer or a string (x-kubernetes-int-or-string); constraints sit beside the two-type anyOf. */
export function IntOrString(options: KubeOptions = {}): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({ ...options, anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true });
}

/** An object of string values under any keys (additionalProperties; TypeBox's Record would emit patternProperties). */
export function StringMap(value: KubeOptions, options: KubeOptions = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ ...options, type: 'object', additionalProperties: { ...value, type: 'string' } });
}

/** An object the schema does not describe (metadata: the API server validates it itself). */
export function OpaqueObject(options: KubeOptions = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ ...options, type: 'object' });
}

/**
 * A string the operator's code types as one of `T`, which the schema does not limit to them (status
 * the operator writes, where the CRD carries no enum).
 */
export function TypedString<T extends string>(options: KubeOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, type: 'string' });
}

/**
 * An object the operator always writes whole: its fields are required in the TypeScript type, but the
 * CRD carries no `required` list for it (the API server does not refuse a status it would not).
 */
export function WrittenWhole<T extends TObject>(object: T): T {
  const { required: _required, ...rest } = object;
  return rest as T;
}

declare const HasDefault: unique symbol;
/** An optional field the API server fills in when absent (type-level marker; the JSON carries `default`). */
export type TDefaulted<T extends TSchema> = TOptional<T> & { readonly [HasDefault]: true };

/** An optional field with a default: the CRD's `default`, and required in StaticDefaulted. */
export function Defaulted<T extends TSchema>(schema: T, value: Static<T>): TDefaulted<T> {
  return Type.Optional({ ...schema, default: value }) as unknown as TDefaulted<T>;
}

type Flatten<T> = { [K in keyof T]: T[K] } & {};
type Optionals<P> = { [K in keyof P]: P[K] extends TOptional<TSchema> ? (P[K] extends TDefaulted<TSchema> ? never : K) : never }[keyof P];

/** The Static type of a value after schema defaulting: fields with a default are present. */
export type StaticDefaulted<T> =
  T extends TObject<infer P>
    ? Flatten<{ [K in Exclude<keyof P, Optionals<P>>]: StaticDefaulted<P[K]> } & { [K in Optionals<P>]?: StaticDefaulted<P[K]> }>
    : T extends TArray<infer I>
      ? StaticDefaulted<I>[]
      : T extends TSchema
        ? Static<T>
        : never;

/** The plain JSON of a TypeBox schema (its symbol-keyed TypeBox markers dropped): what the CRD carries. */
export function crdSchema(schema: TSchema): SchemaProps {
  return JSON.parse(JSON.stringify(schema)) as SchemaProps;
}
