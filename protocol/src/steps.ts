// The named steps of every multi-step operation, one list per operation, in order. A step name is
// at once the crash-test seam (BERTH_CRASH_AT=<step>, server/src/crash.ts), the progress phase,
// the log line and, for a restore, the journal's `step`. Code that names a step takes one of
// these types, so a misspelt step fails to compile instead of silently disabling a crash test;
// the crash tests iterate these lists. docs/ARCHITECTURE.md ("Multi-step operations") says what
// a crash at each leaves and how recovery resolves it.

// Every plugin operation starts with the script's sweep: `<op>.sweep.recover` finishes or undoes
// an interrupted operation from its journal, `<op>.sweep.clean` deletes leftovers.

/**
 * Plugin install (plugin.sh `install`). `install.aside` moves the live copy aside to
 * `.previous/<name>.<stamp>`, as `rollback.aside` and `remove.aside` do. It was called
 * `install.snapshot` before; plugin journals record no step name, so a journal written at that
 * step by an earlier release is recovered by what is on disk, like any other.
 */
export const INSTALL_STEPS = [
  'install.prepare',
  'install.sweep.recover',
  'install.sweep.clean',
  'install.stage',
  'install.verify',
  'install.journal',
  'install.aside',
  'install.swap',
  'install.marker',
  'install.gc',
] as const;
export type InstallStep = (typeof INSTALL_STEPS)[number];

/** Plugin roll-back to the newest previous version (plugin.sh `rollback`). */
export const ROLLBACK_STEPS = [
  'rollback.sweep.recover',
  'rollback.sweep.clean',
  'rollback.journal',
  'rollback.aside',
  'rollback.restore',
  'rollback.finish',
] as const;
export type RollbackStep = (typeof ROLLBACK_STEPS)[number];

/** Plugin remove (plugin.sh `remove`). */
export const REMOVE_STEPS = [
  'remove.sweep.recover',
  'remove.sweep.clean',
  'remove.previous',
  'remove.aside',
  'remove.delete',
] as const;
export type RemoveStep = (typeof REMOVE_STEPS)[number];

/** The explicit plugin sweep (plugin.sh `sweep`). */
export const SWEEP_STEPS = ['sweep.recover', 'sweep.clean'] as const;
export type SweepStep = (typeof SWEEP_STEPS)[number];

/** Every step plugin.sh announces with a `STEP` line (a unit test reads the script to check it). */
export const PLUGIN_SCRIPT_STEPS = [...INSTALL_STEPS, ...ROLLBACK_STEPS, ...REMOVE_STEPS, ...SWEEP_STEPS] as const;
export type PluginScriptStep = (typeof PLUGIN_SCRIPT_STEPS)[number];

/** Snapshot capture; `capture.read-volume` repeats per volume. */
export const CAPTURE_STEPS = [
  'capture.lock',
  'capture.journal',
  'capture.quiesce',
  'capture.read-volume',
  'capture.resume',
  'capture.write-manifest',
  'capture.commit',
  'capture.catalog',
] as const;
export type CaptureStep = (typeof CAPTURE_STEPS)[number];

/**
 * A project snapshot (docs/snapshots.md, "Project snapshots"): every service locked, the
 * pre-snapshot hooks run, every service with data quiesced, all read, all released, then the
 * members committed. Each member's own capture steps fire within (capture.journal,
 * capture.quiesce, capture.read-volume, capture.resume, capture.write-manifest, capture.commit,
 * capture.catalog).
 */
export const PROJECT_CAPTURE_STEPS = ['project.lock', 'project.hooks', 'project.quiesce', 'project.read', 'project.resume', 'project.commit'] as const;
export type ProjectCaptureStep = (typeof PROJECT_CAPTURE_STEPS)[number];

/**
 * A scheduled run (docs/schedules.md): `schedule.claim` after the slot's claim is durable (the
 * slot will not be taken again, whatever happens next), `schedule.record` after the outcome is.
 */
export const SCHEDULE_STEPS = ['schedule.claim', 'schedule.record'] as const;
export type ScheduleStep = (typeof SCHEDULE_STEPS)[number];

/** Snapshot export to a file. */
export const EXPORT_STEPS = ['export.write', 'export.commit'] as const;
export type ExportStep = (typeof EXPORT_STEPS)[number];

/** Snapshot import from a file. */
export const IMPORT_STEPS = ['import.scan', 'import.write', 'import.commit', 'import.catalog'] as const;
export type ImportStep = (typeof IMPORT_STEPS)[number];

/** Snapshot delete. */
export const DELETE_STEPS = ['delete.records'] as const;
export type DeleteStep = (typeof DELETE_STEPS)[number];

/** Retention (`--keep`, prune). */
export const RETENTION_STEPS = ['retention.records'] as const;
export type RetentionStep = (typeof RETENTION_STEPS)[number];

/** The migration of schema-1 catalog records; both steps repeat per old record. */
export const CATALOG_MIGRATION_STEPS = ['catalog.migrate.records', 'catalog.migrate.legacy'] as const;
export type CatalogMigrationStep = (typeof CATALOG_MIGRATION_STEPS)[number];

/**
 * The named steps of a restore, in order; the per-volume ones are `restore.stage`,
 * `restore.verify-staged`, `restore.aside` and `restore.swap-in`. docs/restore.md says what each
 * leaves on disk and how recovery resolves a crash there.
 */
export const RESTORE_STEPS = [
  'restore.lock',
  'restore.verify',
  'restore.helper',
  'restore.journal',
  'restore.stage',
  'restore.verify-staged',
  'restore.stop',
  'restore.aside',
  'restore.swap-in',
  'restore.commit',
  'restore.start',
  'restore.safety',
  'restore.cleanup',
] as const;
export type RestoreStep = (typeof RESTORE_STEPS)[number];

/** The named steps of the restore recovery sweep. */
export const RECOVERY_STEPS = ['recover.helper', 'recover.settle', 'recover.start', 'recover.safety', 'recover.cleanup'] as const;
export type RecoveryStep = (typeof RECOVERY_STEPS)[number];

/** Workspace export as a patch. */
export const WORKSPACE_EXPORT_STEPS = ['workspace.export.diff', 'workspace.export.copy-out', 'workspace.export.write'] as const;
export type WorkspaceExportStep = (typeof WORKSPACE_EXPORT_STEPS)[number];

/** Workspace import of a local repo. */
export const WORKSPACE_IMPORT_STEPS = ['workspace.import.prepare-target', 'workspace.import.copy', 'workspace.import.finish', 'workspace.import.record'] as const;
export type WorkspaceImportStep = (typeof WORKSPACE_IMPORT_STEPS)[number];

/** Every named step of every operation. */
export const ALL_STEPS = [
  ...PLUGIN_SCRIPT_STEPS,
  ...CAPTURE_STEPS,
  ...PROJECT_CAPTURE_STEPS,
  ...SCHEDULE_STEPS,
  ...EXPORT_STEPS,
  ...IMPORT_STEPS,
  ...DELETE_STEPS,
  ...RETENTION_STEPS,
  ...CATALOG_MIGRATION_STEPS,
  ...RESTORE_STEPS,
  ...RECOVERY_STEPS,
  ...WORKSPACE_EXPORT_STEPS,
  ...WORKSPACE_IMPORT_STEPS,
] as const;
export type Step = (typeof ALL_STEPS)[number];

const PLUGIN_SCRIPT_STEP_SET: ReadonlySet<string> = new Set(PLUGIN_SCRIPT_STEPS);

/** Whether a name the plugin script reported is one of its steps (the script's output is not trusted). */
export function isPluginScriptStep(name: string): name is PluginScriptStep {
  return PLUGIN_SCRIPT_STEP_SET.has(name);
}
