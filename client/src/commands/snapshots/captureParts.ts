import * as vscode from 'vscode';
import { QUIESCE_MODES, type QuiesceMode } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';

// What Take Snapshot and Take Project Snapshot share: the label prompt, the quiesce setting and
// the message that announces what was taken.

/** Asks for an optional label; undefined when the user dismissed the box. */
export function askLabel(title: string, prompt: string): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title,
    prompt,
    placeHolder: vscode.l10n.t('for example: before-upgrade'),
    validateInput: (v) => (v.length > 256 || [...v].some((c) => c < ' ' || c === '\u007f') ? vscode.l10n.t('At most 256 characters on one line.') : undefined),
  });
}

/** `berth.snapshots.quiesce`, or `pause` when the setting holds something else. */
export function quiesceSetting(): QuiesceMode {
  const value = vscode.workspace.getConfiguration('berth.snapshots').get<string>('quiesce', 'pause');
  return (QUIESCE_MODES as readonly string[]).includes(value) ? (value as QuiesceMode) : 'pause';
}

/** Shows `message`; with warnings, also how many, with a button that opens the log (where they are). */
export function announceCapture(ctx: Ctx, message: string, warnings: readonly string[], button: string, count: (n: number) => string): void {
  if (warnings.length === 0) {
    void vscode.window.showInformationMessage(message);
    return;
  }
  for (const w of warnings) ctx.log.warn(w);
  void vscode.window.showInformationMessage(`${message} ${count(warnings.length)}`, button).then((choice) => {
    if (choice === button) ctx.log.show();
  });
}
