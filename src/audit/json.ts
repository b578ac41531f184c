import { z } from 'zod';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Any JSON value. Object fields that are undefined are dropped, as
 * JSON.stringify would, since optional fields of healgate's own types are.
 * zod 4 numbers refuse NaN and ±Infinity, which JSON cannot carry.
 */
export const jsonValueSchema: z.ZodType<JsonValue, unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValueSchema), jsonObjectSchema], {
    error: 'expected a JSON value (string, finite number, boolean, null, array or plain object)',
  }),
);

/**
 * Typed loosely on input because interfaces (ApprovalAction…) have no index
 * signature; the values are checked here at run time instead.
 */
const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> => {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

export const jsonObjectSchema: z.ZodType<{ [key: string]: JsonValue }, Readonly<Record<string, unknown>>> = z
  // A Date, Map or class instance would pass as a record with no fields and be stored as {}.
  .custom<Readonly<Record<string, unknown>>>(isPlainObject, { error: 'expected a plain JSON object' })
  .pipe(z.record(z.string(), jsonValueSchema.optional()))
  .transform((record) => {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
    return out;
  });
