import { posix } from 'node:path';
import * as l10n from '@vscode/l10n';
import { DEFAULT_PLUGIN_ROOT, PLUGIN_ROOT_LABEL, type Mount, type PluginRootSource, type Workload } from '../../../protocol/src';
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
  const shown = JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
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
 * The workload's plugin root: its `berth.plugins.root` label, else the setting (or the CLI's
 * --root / BERTH_PLUGINS_ROOT), else /configs/plugins.
 */
export function resolvePluginRoot(workload: Workload, setting: string | undefined): PluginRoot {
  const label = workload.labels[PLUGIN_ROOT_LABEL];
  if (label !== undefined && label.trim() !== '') {
    return { path: validatePluginRoot(label.trim(), l10n.t('the label {0} of {1}', PLUGIN_ROOT_LABEL, workload.name)), source: 'label' };
  }
  if (setting !== undefined && setting.trim() !== '') {
    return { path: validatePluginRoot(setting.trim(), l10n.t('the berth.plugins.root setting')), source: 'setting' };
  }
  return { path: DEFAULT_PLUGIN_ROOT, source: 'default' };
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
