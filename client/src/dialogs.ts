import * as vscode from 'vscode';

/** The first workspace folder, where the folder pickers of repository commands start. */
export function firstWorkspaceFolder(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/** Asks for one local folder; undefined when the user closed the dialog. */
export async function pickFolder(title: string, openLabel: string, startAt?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    openLabel,
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    ...(startAt ? { defaultUri: startAt } : {}),
  });
  return picked?.[0];
}
