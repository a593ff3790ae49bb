import * as vscode from 'vscode';
import type { BerthSettings } from '../../protocol/src';

export const SECTION = 'berth';

/** The settings the backend needs; empty strings mean "not set". */
export function readBackendSettings(): BerthSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const dockerHost = config.get<string>('dockerHost', '').trim();
  const stateDir = config.get<string>('stateDir', '').trim();
  const pluginsRoot = config.get<string>('plugins.root', '').trim();
  const helperImage = config.get<string>('helperImage', '').trim();
  // Sent as written: the backend checks each schedule and reports what it cannot run.
  const schedules = config.get<unknown>('schedules');
  return {
    ...(dockerHost ? { dockerHost } : {}),
    ...(stateDir ? { stateDir } : {}),
    ...(pluginsRoot ? { pluginsRoot } : {}),
    ...(helperImage ? { helperImage } : {}),
    ...(schedules !== undefined && schedules !== null ? { schedules } : {}),
  };
}

export function affectsBackend(event: vscode.ConfigurationChangeEvent): boolean {
  return ['dockerHost', 'stateDir', 'plugins.root', 'helperImage', 'schedules'].some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
}

/** `berth.workspace.path`: the repo path in containers without a `berth.workspace.path` label. */
export function readWorkspacePath(): string | undefined {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('workspace.path', '').trim();
  return value || undefined;
}
