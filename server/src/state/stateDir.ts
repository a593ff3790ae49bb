import * as l10n from '@vscode/l10n';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { echo } from '../echo';
import { RejectedError } from '../errors';

/**
 * Where durable records live, so that the CLI and the extension see the same ones:
 * BERTH_STATE_DIR, else the `berth.stateDir` setting, else $XDG_DATA_HOME/berth
 * (default ~/.local/share/berth).
 */
export function resolveStateDir(setting: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.BERTH_STATE_DIR?.trim();
  if (fromEnv) return checked(fromEnv, 'BERTH_STATE_DIR');
  const fromSetting = setting?.trim();
  if (fromSetting) return checked(fromSetting, l10n.t('the berth.stateDir setting'));
  const xdg = env.XDG_DATA_HOME?.trim();
  const dataHome = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'share');
  return join(dataHome, 'berth');
}

function checked(dir: string, from: string): string {
  if (!isAbsolute(dir)) {
    throw new RejectedError(l10n.t('The state directory from {0} must be an absolute path, not "{1}".', from, echo(dir)), { path: dir });
  }
  return resolve(dir);
}
