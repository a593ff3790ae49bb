import * as vscode from 'vscode';
import { WorkspaceFileContentRequest, type WorkspaceChangedFile } from '../../../protocol/src';
import type { Ctx } from '../ctx';

/** The scheme of the read-only documents that show both sides of an exported change. */
export const WORKSPACE_SCHEME = 'berth-workspace';

export type Side = 'base' | 'new';

/** `berth-workspace:/<exportId>/<side>/<path in the repo>`: the path keeps the file's name and type. */
export function exportUri(exportId: string, side: Side, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: WORKSPACE_SCHEME, path: `/${exportId}/${side}/${path}` });
}

function parse(uri: vscode.Uri): { exportId: string; side: Side; path: string } | undefined {
  const match = /^\/([0-9a-f]+)\/(base|new)\/(.+)$/s.exec(uri.path);
  if (!match) return undefined;
  return { exportId: match[1] ?? '', side: match[2] as Side, path: match[3] ?? '' };
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
