import { posix } from 'node:path';
import * as l10n from '@vscode/l10n';
import { DEFAULT_PLUGIN_ROOT, PLUGIN_ROOT_LABEL, type Mount, type PluginRootSource, type Workload } from '../../../protocol/src';
import { quoted } from '../echo';
import { RejectedError } from '../errors';

export interface PluginRoot {
  readonly path: string;
  readonly source: PluginRootSource;
}

/**
 * Validates a plugin root: an absolute POSIX path, not `/`, without `..` segments, control
 * characters or backslashes, at most 1024 characters. Returns it normalized (no `.` segments,
 * no doubled or trailing slashes).
 */
export function validatePluginRoot(value: string, from: string): string {
  const shown = quoted(value);
  const reject = (why: string) => new RejectedError(l10n.t('The plugin root {0} from {1} is not usable: {2}.', shown, from, why), { path: value });
  if (value.length > 1024) throw reject(l10n.t('it is longer than 1024 characters'));
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) throw reject(l10n.t('it holds control characters or backslashes'));
  if (!value.startsWith('/')) throw reject(l10n.t('it must be an absolute path'));
  if (value.split('/').includes('..')) throw reject(l10n.t('it must not contain ".." segments'));
  const normalized = posix.normalize(value).replace(/\/+$/, '');
  if (normalized === '' || normalized === '/') throw reject(l10n.t('it must not be "/"'));
  const last = normalized.slice(normalized.lastIndexOf('/') + 1);
  if (last === '.staging' || last === '.previous') throw reject(l10n.t('it must not be Berth\'s own .staging or .previous folder'));
  return normalized;
}

/**
 * A plugin root asked for by someone other than the workload's label, with where it came from:
 * the request itself (the CLI's --root), the `berth.plugins.root` setting, or BERTH_PLUGINS_ROOT.
 * `from` is how messages name that place, so an unusable value is blamed on where it was given.
 */
export interface RequestedRoot {
  readonly value: string;
  readonly source: Exclude<PluginRootSource, 'label' | 'default'>;
  readonly from: string;
}

/**
 * The workload's plugin root: its `berth.plugins.root` label, else the requested root (the
 * request's, else the setting's, else BERTH_PLUGINS_ROOT's), else /configs/plugins.
 */
export function resolvePluginRoot(workload: Workload, requested: RequestedRoot | undefined): PluginRoot {
  const source = pluginRootSource(workload, requested);
  if (source === 'label') {
    const label = (workload.labels[PLUGIN_ROOT_LABEL] ?? '').trim();
    return { path: validatePluginRoot(label, l10n.t('the label {0} of {1}', PLUGIN_ROOT_LABEL, workload.name)), source };
  }
  if (source !== 'default' && requested) return { path: validatePluginRoot(requested.value.trim(), requested.from), source };
  return { path: DEFAULT_PLUGIN_ROOT, source: 'default' };
}

/** Where the workload's plugin root comes from (also when its value is unusable). */
export function pluginRootSource(workload: Workload, requested: RequestedRoot | undefined): PluginRootSource {
  const label = workload.labels[PLUGIN_ROOT_LABEL];
  if (label !== undefined && label.trim() !== '') return 'label';
  if (requested !== undefined && requested.value.trim() !== '') return requested.source;
  return 'default';
}

/** The mount that holds `path` inside the container (the longest matching target), if any. */
export function mountHolding(workload: Workload, path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const mount of workload.mounts) {
    const target = mount.target.replace(/\/+$/, '') || '/';
    const inside = target === '/' || path === target || path.startsWith(`${target}/`);
    if (inside && (!best || target.length > best.target.length)) best = mount;
  }
  return best;
}
