import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { fieldsOf, WithProgress, type FieldInfo, type ParamsSchema, type ParsedParams } from '../../protocol/src/params';
import { echo } from './echo';
import { InvalidParamsError } from './errors';

// The backend's one validation of request params: each request's schema (protocol/src/params/)
// parses them, and a failure becomes InvalidParams naming the field and what it takes. Handlers
// get typed params and check nothing themselves.

export interface ParsedRequest<S extends ParamsSchema> {
  readonly params: ParsedParams<S>;
  readonly workDoneToken: string | number | undefined;
}

/**
 * The parser of one request's params, built once when its handler is registered. Every request
 * may carry a `workDoneToken` (LSP's work-done progress is generic: a request that reports no
 * steps still shows `begin` and `end`), checked by the `WithProgress` mixin's own schema and
 * taken out of the params the handler sees.
 */
export function paramsParser<S extends ParamsSchema>(schema: S, method: string): (raw: unknown) => ParsedRequest<S> {
  const accepted = z.extend(schema, WithProgress.shape);
  const fields = fieldsOf(accepted);
  const named = fields.map((f) => f.name).filter((name) => name !== 'workDoneToken');
  return (raw) => {
    // An absent params member (or null) is "no fields given": required ones are then missing.
    const given: unknown = raw ?? {};
    if (typeof given !== 'object' || Array.isArray(given)) {
      throw new InvalidParamsError(
        named.length === 0 ? l10n.t('{0} takes no params.', method) : l10n.t('{0} takes an object of named params ({1}).', method, named.join(', ')),
      );
    }
    const parsed = accepted.safeParse(given);
    if (!parsed.success) throw new InvalidParamsError(problem(parsed.error.issues, given as Readonly<Record<string, unknown>>, fields, named, method));
    const { workDoneToken, ...params } = parsed.data as { workDoneToken?: string | number };
    return { params: params as ParsedParams<S>, workDoneToken };
  };
}

/**
 * One message for the first problem. A field the request does not take goes first: a misspelt
 * required field is then reported as the misspelling, not as the field missing.
 */
function problem(issues: readonly z.core.$ZodIssue[], given: Readonly<Record<string, unknown>>, fields: readonly FieldInfo[], named: readonly string[], method: string): string {
  const unknown = issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknown) {
    const key = echo(unknown.keys[0] ?? '');
    return named.length === 0 ? l10n.t('{0} takes no params, but got "{1}".', method, key) : l10n.t('{0} does not take "{1}"; it takes: {2}.', method, key, named.join(', '));
  }
  const name = String(issues[0]?.path[0] ?? '');
  const field = fields.find((f) => f.name === name);
  if (!field) return l10n.t('The params of {0} are not valid.', method);
  const value = Object.hasOwn(given, name) ? given[name] : undefined;
  return value === undefined ? missing(field, method) : wrong(field, value, method);
}

function missing(field: FieldInfo, method: string): string {
  const rule = field.rule;
  switch (rule.kind) {
    case 'string':
      return l10n.t('{0} needs "{1}" as a non-empty string of at most {2} characters.', method, field.name, rule.maxLength);
    case 'boolean':
      return l10n.t('{0} needs "{1}" as true or false.', method, field.name);
    case 'integer':
      return l10n.t('{0} needs "{1}" as a whole number from {2} to {3}.', method, field.name, rule.minimum, rule.maximum);
    case 'oneOf':
      return l10n.t('{0} needs "{1}" as one of: {2}.', method, field.name, rule.values.join(', '));
    default:
      return l10n.t('{0} needs "{1}".', method, field.name);
  }
}

function wrong(field: FieldInfo, value: unknown, method: string): string {
  const rule = field.rule;
  switch (rule.kind) {
    case 'string':
      if (typeof value === 'string' && value.includes('\0')) return l10n.t('"{0}" of {1} holds a NUL byte.', field.name, method);
      if (typeof value === 'string' && value.length > rule.maxLength) {
        return l10n.t('"{0}" of {1} is too long: {2}; at most {3} characters are allowed.', field.name, method, echo(value), rule.maxLength);
      }
      return l10n.t('"{0}" of {1} must be a non-empty string of at most {2} characters.', field.name, method, rule.maxLength);
    case 'boolean':
      return l10n.t('"{0}" of {1} must be true or false.', field.name, method);
    case 'integer':
      return l10n.t('"{0}" of {1} must be a whole number from {2} to {3}.', field.name, method, rule.minimum, rule.maximum);
    case 'oneOf':
      return l10n.t('"{0}" of {1} must be one of: {2}.', field.name, method, rule.values.join(', '));
    case 'stringOrInteger':
      return l10n.t('"{0}" of {1} must be a non-empty string of at most {2} characters or a whole number.', field.name, method, rule.maxLength);
    default:
      return l10n.t('"{0}" of {1} is not valid.', field.name, method);
  }
}
