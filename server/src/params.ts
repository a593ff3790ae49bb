import * as l10n from '@vscode/l10n';
import { InvalidParamsError } from './errors';

// Validators for RPC params. Every handler checks its params with these before doing anything,
// so malformed input gets InvalidParams with a message naming the field, never a crash.

export type Params = Readonly<Record<string, unknown>>;

export function objectParams(value: unknown, method: string): Params {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidParamsError(l10n.t('{0} takes an object of named params.', method));
  }
  return value as Params;
}

export function requiredString(params: Params, field: string, method: string, maxLength = 4096): string {
  const value = params[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidParamsError(l10n.t('{0} needs "{1}" as a non-empty string.', method, field));
  }
  if (value.length > maxLength || value.includes('\0')) {
    throw new InvalidParamsError(l10n.t('"{0}" of {1} is longer than {2} characters or holds a NUL byte.', field, method, maxLength));
  }
  return value;
}

export function optionalString(params: Params, field: string, method: string, maxLength = 4096): string | undefined {
  if (params[field] === undefined) return undefined;
  return requiredString(params, field, method, maxLength);
}

export function optionalBoolean(params: Params, field: string, method: string): boolean | undefined {
  const value = params[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new InvalidParamsError(l10n.t('"{0}" of {1} must be true or false.', field, method));
  return value;
}

export function optionalInteger(params: Params, field: string, method: string, min: number, max: number): number | undefined {
  const value = params[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParamsError(l10n.t('"{0}" of {1} must be a whole number from {2} to {3}.', field, method, min, max));
  }
  return value;
}

export function optionalEnum<T extends string>(params: Params, field: string, method: string, allowed: readonly T[]): T | undefined {
  const value = params[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidParamsError(l10n.t('"{0}" of {1} must be one of: {2}.', field, method, allowed.join(', ')));
  }
  return value as T;
}
