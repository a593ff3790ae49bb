import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import {
  WorkspaceApplyRequest,
  WorkspaceExportRequest,
  WorkspaceFileContentRequest,
  WorkspaceImportRequest,
  WorkspaceSavePatchRequest,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { onRequest, type RequestOptions } from '../rpc';

export interface WorkspaceHandlerHooks {
  readonly onEngineUnreachable?: () => void;
  readonly stateDir?: () => string;
}

/** berth/workspace/*: export (kept for the diff view), import, one side of a file, apply, save the patch. */
export function registerWorkspaceHandlers(connection: Connection, log: Log, backend: Backend, hooks: WorkspaceHandlerHooks = {}): void {
  const options = (title: string): RequestOptions => ({ title, ...hooks });

  onRequest(
    connection,
    log,
    WorkspaceExportRequest,
    async (params, ctx) => backend.workspace.export(params, { kind: 'keep' }, ctx),
    options(l10n.t('Exporting workspace changes')),
  );

  onRequest(
    connection,
    log,
    WorkspaceImportRequest,
    async (params, ctx) => backend.workspace.import(params, ctx),
    options(l10n.t('Importing a repository')),
  );

  onRequest(
    connection,
    log,
    WorkspaceFileContentRequest,
    async ({ exportId, path, side }, ctx) => backend.workspace.fileContent(exportId, path, side, ctx.signal),
    options(l10n.t('Reading an exported file')),
  );

  onRequest(
    connection,
    log,
    WorkspaceApplyRequest,
    async ({ exportId, repo }, ctx) => backend.workspace.apply(exportId, repo, ctx),
    options(l10n.t('Applying exported changes')),
  );

  onRequest(
    connection,
    log,
    WorkspaceSavePatchRequest,
    async ({ exportId, file }) => backend.workspace.savePatch(exportId, file),
    options(l10n.t('Saving a patch')),
  );
}
