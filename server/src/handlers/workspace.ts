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
import { objectParams, optionalBoolean, optionalEnum, optionalString, requiredString } from '../params';
import { onRequest, type RequestOptions } from '../rpc';

export interface WorkspaceHandlerHooks {
  readonly onEngineUnreachable?: () => void;
  readonly stateDir?: () => string;
}

/** berth/workspace/*: export (kept for the diff view), import, one side of a file, apply, save the patch. */
export function registerWorkspaceHandlers(connection: Connection, log: Log, backend: Backend, hooks: WorkspaceHandlerHooks = {}): void {
  const options = (fields: readonly string[], title: string): RequestOptions => ({ fields, title, ...hooks });

  onRequest(
    connection,
    log,
    WorkspaceExportRequest.type,
    async (raw, ctx) => {
      const method = WorkspaceExportRequest.method;
      const params = objectParams(raw, method);
      const path = optionalString(params, 'path', method, 1024);
      const defaultPath = optionalString(params, 'defaultPath', method, 1024);
      const base = optionalString(params, 'base', method, 512);
      return backend.workspace.export(
        {
          workload: requiredString(params, 'workload', method, 512),
          ...(path ? { path } : {}),
          ...(defaultPath ? { defaultPath } : {}),
          ...(base !== undefined ? { base } : {}),
        },
        { kind: 'keep' },
        ctx,
      );
    },
    options(['workload', 'path', 'defaultPath', 'base'], l10n.t('Exporting workspace changes')),
  );

  onRequest(
    connection,
    log,
    WorkspaceImportRequest.type,
    async (raw, ctx) => {
      const method = WorkspaceImportRequest.method;
      const params = objectParams(raw, method);
      const path = optionalString(params, 'path', method, 1024);
      const defaultPath = optionalString(params, 'defaultPath', method, 1024);
      const mode = optionalEnum(params, 'mode', method, ['tracked', 'full_copy'] as const);
      const branch = optionalString(params, 'branch', method, 512);
      const from = optionalString(params, 'from', method, 512);
      const readOnly = optionalBoolean(params, 'readOnly', method);
      return backend.workspace.import(
        {
          workload: requiredString(params, 'workload', method, 512),
          dir: requiredString(params, 'dir', method, 4096),
          ...(path ? { path } : {}),
          ...(defaultPath ? { defaultPath } : {}),
          ...(mode ? { mode } : {}),
          ...(branch !== undefined ? { branch } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(readOnly !== undefined ? { readOnly } : {}),
        },
        ctx,
      );
    },
    options(['workload', 'dir', 'path', 'defaultPath', 'mode', 'branch', 'from', 'readOnly'], l10n.t('Importing a repository')),
  );

  onRequest(
    connection,
    log,
    WorkspaceFileContentRequest.type,
    async (raw, ctx) => {
      const method = WorkspaceFileContentRequest.method;
      const params = objectParams(raw, method);
      const side = optionalEnum(params, 'side', method, ['base', 'new'] as const) ?? 'new';
      return backend.workspace.fileContent(requiredString(params, 'exportId', method, 64), requiredString(params, 'path', method, 4096), side, ctx.signal);
    },
    options(['exportId', 'path', 'side'], l10n.t('Reading an exported file')),
  );

  onRequest(
    connection,
    log,
    WorkspaceApplyRequest.type,
    async (raw, ctx) => {
      const method = WorkspaceApplyRequest.method;
      const params = objectParams(raw, method);
      return backend.workspace.apply(requiredString(params, 'exportId', method, 64), requiredString(params, 'repo', method, 4096), ctx);
    },
    options(['exportId', 'repo'], l10n.t('Applying exported changes')),
  );

  onRequest(
    connection,
    log,
    WorkspaceSavePatchRequest.type,
    async (raw) => {
      const method = WorkspaceSavePatchRequest.method;
      const params = objectParams(raw, method);
      return backend.workspace.savePatch(requiredString(params, 'exportId', method, 64), requiredString(params, 'file', method, 4096));
    },
    options(['exportId', 'file'], l10n.t('Saving a patch')),
  );
}
