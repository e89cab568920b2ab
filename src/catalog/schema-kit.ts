// Small builders for JSON Schema fields (TypeBox, so the TypeScript type of a config follows from
// its schema instead of being written twice). Each field is one line: its type, its default, its
// doc string and bounds. `alias` names a friendly CLI flag (`--sigma`) that sets every field
// carrying it.
import { Type, type Static, type TArray, type TBoolean, type TInteger, type TNumber, type TObject, type TProperties, type TSchema, type TString, type TUnsafe } from '@sinclair/typebox';

export type { Static, TObject, TSchema, TProperties };

export interface FieldExtras {
  /** The CLI alias that sets this field (without the dashes): `--sigma` sets every field with alias 'sigma'. */
  alias?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

export const num = (def: number, description: string, x: FieldExtras = {}): TNumber => Type.Number({ default: def, description, ...x });
export const int = (def: number, description: string, x: FieldExtras = {}): TInteger => Type.Integer({ default: def, description, ...x });
export const str = (def: string, description: string, x: FieldExtras & { minLength?: number; pattern?: string } = {}): TString =>
  Type.String({ default: def, description, ...x });
export const bool = (def: boolean, description: string, x: FieldExtras = {}): TBoolean => Type.Boolean({ default: def, description, ...x });

/** One of a fixed list of strings. */
export const oneOf = <const T extends readonly string[]>(values: T, def: T[number], description: string, x: FieldExtras = {}): TUnsafe<T[number]> =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], default: def, description, ...x });

/** A group of fields; missing groups and fields get their defaults. */
export const obj = <P extends TProperties>(description: string, properties: P): TObject<P> =>
  Type.Object(properties, { description, default: {}, additionalProperties: false });

/** A list of items with a default (the list carries the default and the doc string, not its items). */
export function list<S extends TSchema>(items: S, def: Static<S>[], description: string, x: FieldExtras & { minItems?: number; maxItems?: number; uniqueItems?: boolean } = {}): TArray<S> {
  const { default: _d, description: _s, ...item } = items as TSchema;
  return Type.Array(item as S, { default: def, description, ...x });
}

/** A group with no fields (a kind without options). */
export const noOptions = (): TObject<{}> => Type.Object({}, { default: {}, additionalProperties: false });

export const prob = { minimum: 0, maximum: 1 };
export const positive = { exclusiveMinimum: 0 };
