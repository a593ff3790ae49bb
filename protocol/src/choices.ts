// The fixed choices a request's params offer, in a module of their own: both the request files
// (protocol/src/<area>.ts) and their params schemas (protocol/src/params/<area>.ts) read them,
// and a request file imports its schema's types, so the lists cannot live in either without
// the two importing each other.

/** How a workload is held still while its volumes are read (`berth.snapshots.quiesce`). */
export const QUIESCE_MODES = ['pause', 'stop', 'none'] as const;
export type QuiesceMode = (typeof QUIESCE_MODES)[number];

/** `tracked`: tracked files with their working-tree content plus `.git`; `full_copy`: everything under the folder. */
export const WORKSPACE_IMPORT_MODES = ['tracked', 'full_copy'] as const;
export type WorkspaceImportMode = (typeof WORKSPACE_IMPORT_MODES)[number];
