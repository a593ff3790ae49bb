import * as z from 'zod/mini';

// The building blocks of every request's params schema. Each string a request carries is
// bounded: the backend echoes, logs and stores these values, and a megabyte "workload" must be
// refused at the door with a clear error, not carried into an engine call.

/**
 * NUL cuts a string short in every C API Berth's values reach (paths, the engine's names, git),
 * so what was checked would not be what is acted on.
 */
const NO_NUL = /^[^\0]*$/;

/** A non-empty string of at most `maxLength` characters, without NUL. */
export function boundedString(maxLength: number) {
  return z.string().check(z.minLength(1), z.maxLength(maxLength), z.regex(NO_NUL));
}

/**
 * The bounded strings requests carry, one per kind of value, so a bound is chosen once: a new
 * field of an existing kind gets the same bound.
 */
export const field = {
  /** A workload: container ID (64 hex digits), container name, or identity key (`compose:<project>/<service>#n`). */
  workload: boundedString(512),
  /** An absolute path on this machine; 4096 is Linux's PATH_MAX. */
  hostPath: boundedString(4096),
  /** An absolute path inside a container (a plugin root, a repo). */
  containerPath: boundedString(1024),
  /** A snapshot: record ID, label (labels are at most 256 characters), or content ID or prefix. */
  snapshotRef: boundedString(256),
  /** A snapshot's label. */
  snapshotLabel: boundedString(256),
  /** A content ID (64 hex digits) or a prefix of one. */
  contentId: boundedString(64),
  /** The handle of a kept workspace export (berth/workspace/export answers it). */
  exportId: boundedString(64),
  /** A git commit-ish or branch name. */
  gitRevision: boundedString(512),
  /** A plugin's name (one path segment; the plugin service allows fewer characters still). */
  pluginName: boundedString(512),
};

/** A whole number from `minimum` to `maximum`. */
export function boundedInt(minimum: number, maximum: number) {
  return z.int().check(z.minimum(minimum), z.maximum(maximum));
}

/** The params of a request that takes none (an absent or empty params object). */
export const NoParams = z.strictObject({});

/**
 * Every params schema is a strict object: a field the request does not take is refused
 * (InvalidParams naming it), never ignored, so a misspelt optional field (`wiat: true`) cannot
 * silently change what happens, and a newer client learns that this backend does not know it.
 */
export type ParamsSchema = z.ZodMiniObject<z.core.$ZodLooseShape, z.core.$strict>;

/**
 * What a sender writes: the schema's input, or `void` for a request that takes no params (the
 * client then sends none).
 */
// (zod types the input of an empty strict object as `Record<string, never>`: its keys are `string`.)
export type SentParams<S extends ParamsSchema> = string extends keyof z.input<S> ? void : Readonly<z.input<S>>;

/** What the handler gets: the schema's output (defaults filled in), without the progress token. */
export type ParsedParams<S extends ParamsSchema> = Omit<z.output<S>, 'workDoneToken'>;
