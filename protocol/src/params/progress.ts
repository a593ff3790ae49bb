import * as z from 'zod/mini';

/**
 * LSP's `ProgressToken`, bounded: the backend keeps it for the life of the request and sends it
 * back with every `$/progress`, so a megabyte token would be echoed once per step.
 */
export const ProgressToken = z.union([z.string().check(z.minLength(1), z.maxLength(256)), z.int()]);

/**
 * The work-done progress mixin, as vscode-languageserver-node's `WorkDoneProgressParams`: a
 * request whose params extend it (`withProgress(schema)`) reports its named steps as
 * `$/progress` for the token the client chose, and the client shows them. The backend accepts
 * the token on every request (LSP's generic work-done progress: at least `begin` and `end`); the
 * mixin says which requests report steps, and types the client's params.
 */
export const WithProgress = z.strictObject({
  /** The client-chosen token that the backend's `$/progress` notifications carry. */
  workDoneToken: z.optional(ProgressToken),
});
export type WithProgress = Readonly<z.input<typeof WithProgress>>;

/** `schema`'s params plus `workDoneToken`. */
export function withProgress<Shape extends z.core.$ZodLooseShape>(schema: z.ZodMiniObject<Shape, z.core.$strict>) {
  return z.extend(schema, WithProgress.shape);
}
