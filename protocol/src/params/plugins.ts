import * as z from 'zod/mini';
import { field, type SentParams } from './common';
import { withProgress } from './progress';

// Plugins: directories under a workload's plugin root, installed atomically (docs/plugins.md).

/** Overrides the `berth.plugins.root` setting for this call (the CLI's --root); the label still wins. */
const root = z.optional(field.containerPath);

export const ListPluginsParams = z.strictObject({
  /** One workload (ID, name or identity); omitted means every running workload. */
  workload: z.optional(field.workload),
  root,
  /** With no workload: also list workloads whose plugin root does not exist. Default false. */
  includeEmpty: z.optional(z.boolean()),
});
export type ListPluginsParams = SentParams<typeof ListPluginsParams>;

/** What every operation that changes a workload's plugins takes; progress messages name the step. */
const MutatingParams = withProgress(
  z.strictObject({
    workload: field.workload,
    root,
    /** Wait for another operation's lock instead of failing with Busy at once. */
    wait: z.optional(z.boolean()),
  }),
);

export const InstallPluginParams = z.extend(MutatingParams, {
  /** Absolute path of a local folder; its content becomes the plugin directory. */
  folder: field.hostPath,
  /** The plugin's name; default: the folder's base name. */
  name: z.optional(field.pluginName),
});
export type InstallPluginParams = SentParams<typeof InstallPluginParams>;

/** Roll-back and remove: one installed plugin. */
export const PluginRefParams = z.extend(MutatingParams, {
  name: field.pluginName,
});
export type PluginRefParams = SentParams<typeof PluginRefParams>;

export const SweepPluginsParams = MutatingParams;
export type SweepPluginsParams = SentParams<typeof SweepPluginsParams>;
