import * as l10n from '@vscode/l10n';
import { fieldsOf, type ParamsSchema } from '../../protocol/src/params';
import { echo } from '../../server/src/echo';
import { InvalidParamsError } from '../../server/src/errors';
import type { CommandInput } from './command';

// Typed values out of a command's parsed options. Choices and bounds come from the request's
// params schema (protocol/src/params/), so `berth` and the backend accept the same values.
// A bad value is a usage error (exit 2).

/** A string option's value; undefined when it was not given. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const value = input.options[name];
  return typeof value === 'string' ? value : undefined;
}

/** An option that takes one of `choices`: the list the request's schema is built from. */
export function choiceOption<T extends string>(input: CommandInput, name: string, choices: readonly T[]): T | undefined {
  const value = stringOption(input, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new InvalidParamsError(l10n.t('--{0} must be one of: {1} (not "{2}").', name, choices.join(', '), echo(value)));
  }
  return value as T;
}

/**
 * A whole-number option, bounded as the field of the same name (or `field`) in the request's
 * params schema.
 */
export function countOption(input: CommandInput, name: string, schema: ParamsSchema, field: string = name): number | undefined {
  const raw = input.options[name];
  if (raw === undefined) return undefined;
  const rule = fieldsOf(schema).find((f) => f.name === field)?.rule;
  if (rule?.kind !== 'integer') throw new Error(`"${field}" is not a whole-number field of the request's params`);
  // Digits only: Number() would also take "1e3", " 7" and "0x10".
  const value = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= rule.minimum && value <= rule.maximum)) {
    throw new InvalidParamsError(l10n.t('--{0} takes a whole number from {1} to {2}.', name, rule.minimum, rule.maximum));
  }
  return value;
}
