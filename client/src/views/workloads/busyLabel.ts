import * as vscode from 'vscode';

/** What a busy workload shows beside its name, by the operation the client runs on it. */
export function busyLabel(operation: string): string {
  switch (operation) {
    case 'restore':
      return vscode.l10n.t('restoring…');
    case 'capture':
      return vscode.l10n.t('taking a snapshot…');
    default:
      return vscode.l10n.t('busy: {0}', operation);
  }
}
