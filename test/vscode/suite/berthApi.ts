// Helpers for suites that run in the extension host: Berth's exported API (its Ctx), requests by
// method name, and tree-node checks that work across bundles.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RequestType } from 'vscode-jsonrpc';
import type { Ctx } from '../../../client/src/ctx';
import type { BerthApi } from '../../../client/src/extension';
import type { ComposeProjectItem } from '../../../client/src/views/workloads/ComposeProjectItem';
import type { WorkloadNode } from '../../../client/src/views/workloads/WorkloadsProvider';
import type { WorkloadItem } from '../../../client/src/views/workloads/WorkloadItem';
import { EXTENSION_ID } from '../harness/paths';
import { eventually } from './runner';

/** Activates Berth (or takes the running activation) and waits for its backend. */
export async function activateBerth(): Promise<BerthApi> {
  const extension = vscode.extensions.getExtension<BerthApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is loaded`);
  const berth = await extension.activate();
  await eventually('the backend to be ready', () => berth.ctx.backendState, (state) => state === 'ready');
  return berth;
}

// The tree's nodes come from the extension's own bundle, so `instanceof` against classes bundled
// here would never match; the public contextValue tells the node kinds apart.
export function isWorkload(node: WorkloadNode, name: string): node is WorkloadItem {
  return node.contextValue?.startsWith('workload.') === true && (node as WorkloadItem).workload.name === name;
}
export function isProject(node: WorkloadNode, project: string): node is ComposeProjectItem {
  return node.contextValue === 'composeProject' && (node as ComposeProjectItem).project === project;
}
export function hasCode(code: number, message?: RegExp): (error: unknown) => boolean {
  return (error) => (error as { code?: unknown }).code === code && (!message || message.test((error as Error).message));
}

/**
 * ctx.request by method name. A RequestType built by this bundle's copy of vscode-jsonrpc does
 * not work with the extension's copy (its ParameterStructures are compared by identity), so the
 * suite sends method names; the token makes jsonrpc send `params` as the one parameter, exactly
 * as the typed requests do.
 */
export async function send<R>(ctx: Ctx, method: string, params: unknown): Promise<R> {
  const source = new vscode.CancellationTokenSource();
  try {
    return await ctx.request(method as unknown as RequestType<unknown, R, void>, params, source.token);
  } finally {
    source.dispose();
  }
}

/** A host folder for the bind mount: the workspace VS Code opened (the harness made it). */
export function scratchDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(folder, 'a workspace folder is open');
  return folder;
}
