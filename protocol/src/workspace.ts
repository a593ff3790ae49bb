import { RequestType } from 'vscode-jsonrpc';
import type { WorkspaceImportMode } from './choices';
import type {
  WorkspaceApplyParams,
  WorkspaceExportParams,
  WorkspaceFileContentParams,
  WorkspaceImportParams,
  WorkspaceSavePatchParams,
} from './params/workspace';

// Each request's params are declared once, as a schema in params/workspace.ts (the backend validates
// them with it); these are its types.
export type {
  WorkspaceApplyParams,
  WorkspaceExportParams,
  WorkspaceFileContentParams,
  WorkspaceImportParams,
  WorkspaceSavePatchParams,
} from './params/workspace';

/** Where the repo path came from: the request, the container label, the setting, or the default. */
export type WorkspacePathSource = 'param' | 'label' | 'setting' | 'default';

/**
 * Which commit the export diffed against: the one recorded when Berth imported the workspace,
 * the repo's HEAD (no record: commits made since the real base are then NOT in the patch), or
 * the one the caller named.
 */
export type WorkspaceBaseSource = 'import' | 'head' | 'explicit';

/** Where the diff ran: git inside the container, or the host's git on a copy of the repo. */
export type WorkspaceExportMethod = 'container-git' | 'local-fallback';

export type WorkspaceChangeStatus = 'added' | 'modified' | 'deleted' | 'typeChanged';

export interface WorkspaceChangedFile {
  /** Path relative to the repo root, `/`-separated (UTF-8; invalid bytes become U+FFFD). */
  readonly path: string;
  readonly status: WorkspaceChangeStatus;
  /** Git judged the content binary (or `.gitattributes` says so); the patch holds it in base85. */
  readonly binary: boolean;
  /** Git modes as octal strings, for example `100644`; `000000` where the side is absent. */
  readonly oldMode: string;
  readonly newMode: string;
  /** Full object IDs of both sides; all zeros where the side is absent. */
  readonly oldBlob: string;
  readonly newBlob: string;
  /** Line counts; absent for binary files. */
  readonly additions?: number;
  readonly deletions?: number;
}

export interface WorkspaceExportResult {
  /** The workload's container name. */
  readonly workload: string;
  readonly path: string;
  readonly pathSource: WorkspacePathSource;
  /** The full ID of the base commit (or of the empty tree when the repo has no commits). */
  readonly base: string;
  readonly baseSource: WorkspaceBaseSource;
  /** For `import`: whether the record came from the container's repo or Berth's state folder. */
  readonly baseRecord?: 'container' | 'state';
  /** The repo's HEAD commit, absent when it has none. */
  readonly head?: string;
  readonly method: WorkspaceExportMethod;
  readonly files: readonly WorkspaceChangedFile[];
  readonly hasChanges: boolean;
  /** Size of the patch in bytes. */
  readonly patchBytes: number;
  /** Things the user should know, already phrased for them (for example the HEAD fallback). */
  readonly warnings: readonly string[];
  /** Handle for berth/workspace/fileContent and berth/workspace/apply (RPC only). */
  readonly exportId?: string;
  /** Where the backend keeps the patch (RPC only; Berth's state folder, swept later). */
  readonly patchPath?: string;
}

/**
 * Client → server. Computes every change in a workload's repo since the base commit as a binary
 * patch, without touching the repo's index, HEAD, refs or stash. Reports progress; cancellable.
 */
export namespace WorkspaceExportRequest {
  export const method = 'berth/workspace/export';
  export const type = new RequestType<WorkspaceExportParams, WorkspaceExportResult, void>(method);
}

export { WORKSPACE_IMPORT_MODES, type WorkspaceImportMode } from './choices';

export interface WorkspaceImportResult {
  readonly workload: string;
  readonly path: string;
  readonly pathSource: WorkspacePathSource;
  readonly mode: WorkspaceImportMode;
  /** The commit recorded as the base that export diffs against; absent for a repo without commits. */
  readonly base?: string;
  readonly branch?: string;
  readonly readOnly: boolean;
  /** Entries and bytes streamed into the container. */
  readonly entries: number;
  readonly bytes: number;
  readonly gitInContainer: boolean;
  readonly warnings: readonly string[];
}

/** Client → server. Streams a local repo into a workload's path and records the base commit. */
export namespace WorkspaceImportRequest {
  export const method = 'berth/workspace/import';
  export const type = new RequestType<WorkspaceImportParams, WorkspaceImportResult, void>(method);
}

export interface WorkspaceFileContentResult {
  /** The text of that side; empty when the side does not exist (added or deleted files). */
  readonly content: string;
  /** Binary or too large to show: `content` is then a short note, not the file. */
  readonly placeholder: boolean;
}

/** Client → server. One side of one changed file of a kept export, for the diff view. */
export namespace WorkspaceFileContentRequest {
  export const method = 'berth/workspace/fileContent';
  export const type = new RequestType<WorkspaceFileContentParams, WorkspaceFileContentResult, void>(method);
}

export interface WorkspaceApplyResult {
  readonly repo: string;
  /** `clean`: the patch applied as is; `3way`: it needed (and got) a clean three-way merge. */
  readonly how: 'clean' | '3way';
  readonly files: number;
}

/**
 * Client → server. Applies a kept export's patch to a local repo with `git apply --3way`, or
 * refuses without changing anything when that would leave conflicts (error Conflict).
 */
export namespace WorkspaceApplyRequest {
  export const method = 'berth/workspace/apply';
  export const type = new RequestType<WorkspaceApplyParams, WorkspaceApplyResult, void>(method);
}

export interface WorkspaceSavePatchResult {
  readonly file: string;
  readonly bytes: number;
}

/**
 * Client → server. Writes a kept export's patch where the user chose, through the backend's one
 * writer of user-named paths (never over a device, FIFO, folder or link; regular files atomically).
 */
export namespace WorkspaceSavePatchRequest {
  export const method = 'berth/workspace/savePatch';
  export const type = new RequestType<WorkspaceSavePatchParams, WorkspaceSavePatchResult, void>(method);
}
