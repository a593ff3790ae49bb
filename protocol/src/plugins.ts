import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { InstallPluginParams, ListPluginsParams, PluginRefParams, SweepPluginsParams } from './params/plugins';
import type { Workload } from './workloads';

// Each request's params are declared once, as a schema in params/plugins.ts (the backend validates
// them with it); these are its types.
export type { InstallPluginParams, ListPluginsParams, PluginRefParams, SweepPluginsParams } from './params/plugins';

// Plugins: directories under a workload's plugin root, installed atomically (docs/plugins.md).

/**
 * Where a workload's plugin root came from: its label, the request's own `root` (the CLI's
 * --root), the `berth.plugins.root` setting, the BERTH_PLUGINS_ROOT environment variable, or the
 * default.
 */
export type PluginRootSource = 'label' | 'request' | 'setting' | 'environment' | 'default';

/** The default plugin root inside a container. */
export const DEFAULT_PLUGIN_ROOT = '/configs/plugins';
/** The container label that overrides the plugin root for one workload. */
export const PLUGIN_ROOT_LABEL = 'berth.plugins.root';

/** One installed version: the stamp of the install that made it and its manifest version. */
export interface PluginVersion {
  /** The install's stamp (`<UTC time to the ms>Z-<pid>-<random>`), when its marker names one. */
  readonly stamp?: string;
  /** `version` from the plugin's plugin.json at install time, when it had one. */
  readonly version?: string;
}

export interface PluginPrevious extends PluginVersion {
  /** The stamp of the `.previous/<name>.<stamp>` directory (when it was set aside). */
  readonly setAside: string;
  /** Whether the previous version carries a `.complete` marker (roll-back needs one). */
  readonly complete: boolean;
}

export interface PluginInfo extends PluginVersion {
  readonly name: string;
  /** `complete`: `.complete` present; `incomplete`: a plugin directory without it. */
  readonly state: 'complete' | 'incomplete';
  /** Container path of the live directory. */
  readonly path: string;
  /** The newest previous version, kept for roll-back. */
  readonly previous?: PluginPrevious;
  /** The local folder it was last installed from by Berth on this machine, if known. */
  readonly source?: string;
}

/** What a leftover is: a staged copy, an operation journal, an older or orphaned previous version, or junk. */
export type PluginLeftoverKind = 'staging' | 'journal' | 'previous' | 'other';

/** A `.staging/*` or `.previous/*` entry that no operation owns; the sweeper removes it. */
export interface PluginLeftover {
  readonly kind: PluginLeftoverKind;
  /** Container path, when its name is printable. */
  readonly path?: string;
  /** The plugin it belonged to, when its name says so. */
  readonly name?: string;
  readonly stamp?: string;
}

export interface WorkloadPlugins {
  readonly workload: Workload;
  readonly root: string;
  readonly rootSource: PluginRootSource;
  /** Whether the root directory exists in the container. */
  readonly rootExists: boolean;
  readonly plugins: readonly PluginInfo[];
  readonly leftovers: readonly PluginLeftover[];
  /** The operation that holds the workload's lock right now; its staging entries are not leftovers yet. */
  readonly busy?: string;
  /** How the listing was read: an exec of sh in the workload, or the engine's archive API. */
  readonly via: 'exec' | 'archive';
  /** Set instead of plugins when this workload could not be listed. */
  readonly error?: { readonly code: number; readonly message: string };
}

export interface ListPluginsResult {
  readonly workloads: readonly WorkloadPlugins[];
}
/** Client → server. Lists plugins, previous versions and leftovers, grouped by workload. */
export namespace ListPluginsRequest {
  export const method = 'berth/plugins/list';
  export const type = new RequestType<ListPluginsParams, ListPluginsResult, void>(method);
}

export interface InstallPluginResult extends PluginVersion {
  readonly workload: string;
  readonly name: string;
  readonly root: string;
  readonly path: string;
  readonly stamp: string;
  /** The stamp under which the replaced version now sits in `.previous`, when there was one. */
  readonly previous?: string;
  /** Older previous versions deleted by the gc step. */
  readonly gcRemoved: number;
  readonly files: number;
  readonly bytes: number;
  /** How the content got in: one exec of sh reading the tar on stdin, putArchive plus execs, or a helper container. */
  readonly via: 'exec' | 'putArchive' | 'helper';
  /** What the sweep before the install recovered or removed. */
  readonly swept: readonly string[];
}
/** Client → server. Installs (or reinstalls) a plugin from a local folder, with progress and cancel before the swap. */
export namespace InstallPluginRequest {
  export const method = 'berth/plugins/install';
  export const type = new RequestType<InstallPluginParams, InstallPluginResult, void>(method);
}

export interface RollbackPluginResult {
  readonly workload: string;
  readonly name: string;
  readonly root: string;
  /** The version that is live now. */
  readonly restored: PluginVersion & { readonly setAside: string };
  /** The stamp under which the replaced live version now sits in `.previous`, when there was one. */
  readonly replaced?: string;
}
/** Client → server. Swaps the newest previous version back to live; the replaced one becomes the previous. */
export namespace RollbackPluginRequest {
  export const method = 'berth/plugins/rollback';
  export const type = new RequestType<PluginRefParams, RollbackPluginResult, void>(method);
}

export interface RemovePluginResult {
  readonly workload: string;
  readonly name: string;
  readonly root: string;
  readonly previousRemoved: number;
}
/** Client → server. Removes a plugin and its previous versions. */
export namespace RemovePluginRequest {
  export const method = 'berth/plugins/remove';
  export const type = new RequestType<PluginRefParams, RemovePluginResult, void>(method);
}

export interface SweepPluginsResult {
  readonly workload: string;
  readonly root: string;
  /** Interrupted operations finished (`<name> rolled-back|rolled-forward`). */
  readonly recovered: readonly string[];
  /**
   * Leftovers deleted (`.staging/<entry>`, `.previous/<entry>`). A name the container chose is
   * shown with control characters and bytes that are not UTF-8 escaped (`\n`, `\xe9`, `\\`).
   */
  readonly removed: readonly string[];
}
/** Client → server. Recovers interrupted operations and deletes leftovers. Idempotent. */
export namespace SweepPluginsRequest {
  export const method = 'berth/plugins/sweep';
  export const type = new RequestType<SweepPluginsParams, SweepPluginsResult, void>(method);
}

export interface PluginsChangedParams {
  /** The workload's container ID. */
  readonly workload: string;
}
/** Server → client. A plugin operation (or the startup sweep) changed a workload's plugins. */
export namespace PluginsChangedNotification {
  export const method = 'berth/plugins/didChange';
  export const type = new NotificationType<PluginsChangedParams>(method);
}
