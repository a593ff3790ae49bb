import { InvalidParamsError } from './errors';

// Validators for RPC params. Every handler checks its params with these before doing anything,
// so malformed input gets InvalidParams with a message naming the field, never a crash.

export type Params = Readonly<Record<string, unknown>>;

export function objectParams(value: unknown, method: string): Params {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidParamsError(`${method} takes an object of named params.`);
  }
  return value as Params;
}

export function requiredString(params: Params, field: string, method: string, maxLength = 4096): string {
  const value = params[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidParamsError(`${method} needs "${field}" as a non-empty string.`);
  }
  if (value.length > maxLength || value.includes('\0')) {
    throw new InvalidParamsError(`"${field}" of ${method} is longer than ${maxLength} characters or holds a NUL byte.`);
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
  if (typeof value !== 'boolean') throw new InvalidParamsError(`"${field}" of ${method} must be true or false.`);
  return value;
}

export function optionalInteger(params: Params, field: string, method: string, min: number, max: number): number | undefined {
  const value = params[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParamsError(`"${field}" of ${method} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

export function optionalEnum<T extends string>(params: Params, field: string, method: string, allowed: readonly T[]): T | undefined {
  const value = params[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidParamsError(`"${field}" of ${method} must be one of: ${allowed.join(', ')}.`);
  }
  return value as T;
}
