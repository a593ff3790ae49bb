import * as z from 'zod/mini';
import { WORKSPACE_IMPORT_MODES } from '../choices';
import { field, type SentParams } from './common';
import { withProgress } from './progress';

/** Repo path inside the container; wins over the `berth.workspace.path` label. */
const path = z.optional(field.containerPath);
/** The `berth.workspace.path` setting: used when the container has no such label. */
const defaultPath = z.optional(field.containerPath);

export const WorkspaceExportParams = withProgress(
  z.strictObject({
    workload: field.workload,
    path,
    defaultPath,
    /** Diff against this commit-ish instead of the recorded base. */
    base: z.optional(field.gitRevision),
  }),
);
export type WorkspaceExportParams = SentParams<typeof WorkspaceExportParams>;

export const WorkspaceImportParams = withProgress(
  z.strictObject({
    workload: field.workload,
    /** Absolute path of the local repository's top folder. */
    dir: field.hostPath,
    path,
    defaultPath,
    /** `tracked` (default): tracked files with their working-tree content plus `.git`. */
    mode: z.optional(z.enum(WORKSPACE_IMPORT_MODES)),
    /** Create and check out this branch in the container. */
    branch: z.optional(field.gitRevision),
    /** Start the branch at this commit-ish of the local repo (needs `branch`). */
    from: z.optional(field.gitRevision),
    /** Remove write permission from the copy afterwards. */
    readOnly: z.optional(z.boolean()),
  }),
);
export type WorkspaceImportParams = SentParams<typeof WorkspaceImportParams>;

export const WorkspaceFileContentParams = z.strictObject({
  exportId: field.exportId,
  /** The file's path relative to the repo root, as the export listed it. */
  path: field.hostPath,
  /** Which side of the change; default `new`. */
  side: z._default(z.enum(['base', 'new']), 'new'),
});
export type WorkspaceFileContentParams = SentParams<typeof WorkspaceFileContentParams>;

export const WorkspaceApplyParams = withProgress(
  z.strictObject({
    exportId: field.exportId,
    /** Absolute path of a local repository (its top folder). */
    repo: field.hostPath,
  }),
);
export type WorkspaceApplyParams = SentParams<typeof WorkspaceApplyParams>;

export const WorkspaceSavePatchParams = z.strictObject({
  exportId: field.exportId,
  /** Absolute path the user chose. A regular or new file is replaced whole; a device or FIFO is written to. */
  file: field.hostPath,
});
export type WorkspaceSavePatchParams = SentParams<typeof WorkspaceSavePatchParams>;
