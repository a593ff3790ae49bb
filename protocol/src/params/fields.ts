import type * as z from 'zod/mini';
import type { ParamsSchema } from './common';

// The field list of a params schema and what each field takes, read from the schema itself:
// the backend names them in its InvalidParams messages, and the tests derive their malformed
// params from them. Reads zod's `_zod.def`, its documented surface for tools built on schemas.

/** What one field takes. `other` is a schema kind this reader does not describe (yet). */
export type FieldRule =
  | { readonly kind: 'string'; readonly minLength: number; readonly maxLength: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'integer'; readonly minimum: number; readonly maximum: number }
  | { readonly kind: 'oneOf'; readonly values: readonly string[] }
  | { readonly kind: 'stringOrInteger'; readonly maxLength: number }
  | { readonly kind: 'other' };

export interface FieldInfo {
  readonly name: string;
  /** False for optional fields and fields with a default. */
  readonly required: boolean;
  readonly rule: FieldRule;
}

/** Every field of a params schema, in declaration order. */
export function fieldsOf(schema: ParamsSchema): FieldInfo[] {
  return Object.entries(schema._zod.def.shape).map(([name, field]) => ({
    name,
    // `optin` is set on optional fields and on fields with a default (zod 4.6 calls those 'defaulted').
    required: field._zod.optin === undefined,
    rule: ruleOf(field),
  }));
}

function ruleOf(schema: z.core.$ZodType): FieldRule {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
      return ruleOf(def.innerType);
    case 'boolean':
      return { kind: 'boolean' };
    case 'string': {
      let minLength = 0;
      let maxLength = Number.MAX_SAFE_INTEGER;
      for (const check of checksOf(def)) {
        if (check.check === 'min_length') minLength = Math.max(minLength, check.minimum);
        if (check.check === 'max_length') maxLength = Math.min(maxLength, check.maximum);
      }
      return { kind: 'string', minLength, maxLength };
    }
    case 'number': {
      // `z.int()` is a number with an integer format (its def is a $ZodNumberFormatDef).
      const format = (def as { readonly format?: string }).format;
      if (format !== 'safeint' && format !== 'int32') return { kind: 'other' };
      let minimum = Number.MIN_SAFE_INTEGER;
      let maximum = Number.MAX_SAFE_INTEGER;
      for (const check of checksOf(def)) {
        if (check.check === 'greater_than' && typeof check.value === 'number') minimum = Math.max(minimum, check.inclusive ? check.value : check.value + 1);
        if (check.check === 'less_than' && typeof check.value === 'number') maximum = Math.min(maximum, check.inclusive ? check.value : check.value - 1);
      }
      return { kind: 'integer', minimum, maximum };
    }
    case 'enum':
      return { kind: 'oneOf', values: Object.values(def.entries).map(String) };
    case 'union': {
      const [first, second, ...rest] = def.options.map(ruleOf);
      if (rest.length === 0 && first?.kind === 'string' && second?.kind === 'integer') return { kind: 'stringOrInteger', maxLength: first.maxLength };
      return { kind: 'other' };
    }
    default:
      return { kind: 'other' };
  }
}

/** The defs of a schema's checks: `{ check: 'max_length', maximum: 512 }` and the like. */
function checksOf(def: z.core.$ZodTypeDef): z.core.$ZodChecks['_zod']['def'][] {
  return (def.checks ?? []).map((check) => (check as z.core.$ZodChecks)._zod.def);
}
