import * as vscode from 'vscode';
import { WorkspaceFileContentRequest, type WorkspaceChangedFile } from '../../../protocol/src';
import type { Ctx } from '../ctx';

/** The scheme of the read-only documents that show both sides of an exported change. */
export const WORKSPACE_SCHEME = 'berth-workspace';

export type Side = 'base' | 'new';

/**
 * `berth-workspace://<exportId>/<path in the repo>?side=base|new`. Both sides share the file's own
 * path (the diff view calls a change whose sides have different paths a rename, and labels it
 * with the path), and the file name keeps its language.
 */
export function exportUri(exportId: string, side: Side, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: WORKSPACE_SCHEME, authority: exportId, path: `/${path}`, query: `side=${side}` });
}

function parse(uri: vscode.Uri): { exportId: string; side: Side; path: string } | undefined {
  const side = /^side=(base|new)$/.exec(uri.query)?.[1] as Side | undefined;
  if (!/^[0-9a-f]+$/.test(uri.authority) || !side || uri.path.length < 2) return undefined;
  return { exportId: uri.authority, side, path: uri.path.slice(1) };
}

/**
 * Serves both sides of each exported file from the backend (berth/workspace/fileContent). The
 * documents are read-only because a content provider's documents are; binary and oversized
 * files come back as a one-line note instead of their bytes.
 */
class ExportDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly ctx: Ctx) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const parsed = parse(uri);
    if (!parsed) return vscode.l10n.t('Not a Berth export document: {0}', uri.toString());
    try {
      const result = await this.ctx.request(WorkspaceFileContentRequest.type, parsed, token);
      return result.content;
    } catch (error) {
      return vscode.l10n.t('Berth could not read this version: {0}', error instanceof Error ? error.message : String(error));
    }
  }
}

export function registerExportDocuments(ctx: Ctx): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(WORKSPACE_SCHEME, new ExportDocuments(ctx));
}

/** The `vscode.changes` resource list: [label resource, old side or none, new side or none]. */
export function changesList(exportId: string, files: readonly WorkspaceChangedFile[]): [vscode.Uri, vscode.Uri | undefined, vscode.Uri | undefined][] {
  return files.map((file) => [
    exportUri(exportId, 'new', file.path),
    file.status === 'added' ? undefined : exportUri(exportId, 'base', file.path),
    file.status === 'deleted' ? undefined : exportUri(exportId, 'new', file.path),
  ]);
}
