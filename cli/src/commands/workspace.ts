import { resolve } from 'node:path';
import * as l10n from '@vscode/l10n';
import { WORKSPACE_IMPORT_MODES, type WorkspaceExportResult, type WorkspaceImportResult } from '../../../protocol/src';
import { InvalidParamsError } from '../../../server/src/errors';
import { resolveOutput } from '../../../server/src/output/userOutput';
import type { ExportDestination } from '../../../server/src/workspace/workspaceService';
import type { CommandSpec } from '../command';
import { choiceOption, stringOption } from '../options';

const STATUS_LETTER: Readonly<Record<string, string>> = { added: 'A', modified: 'M', deleted: 'D', typeChanged: 'T' };

const exportCommand: CommandSpec<WorkspaceExportResult & { output?: string }> = {
  resource: 'workspace',
  verb: 'export',
  args: '<workload>',
  summary: 'Write every change in a workload\'s repo since its base commit as a binary git patch (stdout unless --output).',
  positionals: { min: 1, max: 1 },
  options: {
    path: { type: 'string', description: 'repo path in the container (default: label berth.workspace.path, else /workspace)' },
    base: { type: 'string', description: 'diff against this commit instead of the one recorded at import' },
    output: { type: 'string', description: 'write the patch to this file ("-": stdout; a device or FIFO is written to, never replaced; with --json, the only way to get it)' },
  },
  async run(input, backend, ctx) {
    const [workload = ''] = input.positionals;
    const named = stringOption(input, 'output');
    const stdout = input.io?.stdout;
    let destination: ExportDestination;
    let output: string | undefined;
    if (named !== undefined) {
      const path = named === '-' ? '-' : resolve(named);
      // `-`, /dev/stdout and the file stdout goes to all mean stdout.
      const toStdout = (await resolveOutput(path, stdout ? { stdout } : {})).kind === 'stdout';
      if (toStdout && input.options.json === true) throw new InvalidParamsError(l10n.t('With --json, stdout holds the result; write the patch to a file, not to stdout.'));
      destination = { kind: 'file', path, ...(stdout ? { stdout } : {}) };
      if (!toStdout) output = path;
    } else if (input.options.json === true) {
      destination = { kind: 'discard' };
    } else if (stdout) {
      destination = { kind: 'file', path: '-', stdout };
    } else {
      throw new InvalidParamsError(l10n.t('This output has no raw stdout; pass --output FILE.'));
    }
    const result = await backend.workspace.export(
      { workload, path: stringOption(input, 'path'), base: stringOption(input, 'base') },
      destination,
      ctx,
    );
    return { ...result, ...(output ? { output } : {}) };
  },
  print(result, io) {
    // When the patch itself went to stdout (no --output, or one naming stdout), everything else
    // goes to stderr.
    const say = result.output ? (t: string) => io.out(t) : (t: string) => io.err(t);
    for (const warning of result.warnings) io.err(l10n.t('warning: {0}', warning));
    if (!result.output && !result.hasChanges) io.err(l10n.t('No changes.'));
    if (!result.output) return;
    say(l10n.t('{0} changed file(s) in {1}:{2} since {3} ({4}, {5}); patch written to {6}', result.files.length, result.workload, result.path, result.base.slice(0, 12), result.baseSource, result.method, result.output));
    for (const f of result.files) say(`${STATUS_LETTER[f.status] ?? '?'}  ${f.path}${f.binary ? `  ${l10n.t('(binary)')}` : ''}`);
  },
};

const importCommand: CommandSpec<WorkspaceImportResult> = {
  resource: 'workspace',
  verb: 'import',
  args: '<workload> <dir>',
  summary: 'Stream a local git repo into a workload\'s path and record its HEAD as the base for export.',
  positionals: { min: 2, max: 2 },
  options: {
    path: { type: 'string', description: 'repo path in the container (default: label berth.workspace.path, else /workspace)' },
    mode: { type: 'string', description: 'tracked (default: tracked files as on disk, plus .git) or full_copy (everything)' },
    branch: { type: 'string', description: 'create and check out this branch in the container' },
    from: { type: 'string', description: 'start the branch at this commit of the local repo (needs --branch)' },
    'read-only': { type: 'boolean', description: 'remove write permission from the copy afterwards' },
  },
  async run(input, backend, ctx) {
    const [workload = '', dir = ''] = input.positionals;
    return backend.workspace.import(
      {
        workload,
        dir: resolve(dir),
        path: stringOption(input, 'path'),
        mode: choiceOption(input, 'mode', WORKSPACE_IMPORT_MODES),
        branch: stringOption(input, 'branch'),
        from: stringOption(input, 'from'),
        readOnly: input.options['read-only'] === true,
      },
      ctx,
    );
  },
  print(result, io) {
    for (const warning of result.warnings) io.err(l10n.t('warning: {0}', warning));
    const size = (result.bytes / 1048576).toFixed(1);
    io.out(l10n.t('Imported {0} entries ({1} MiB, {2}) into {3}:{4}.', result.entries, size, result.mode, result.workload, result.path));
    if (result.branch) io.out(l10n.t('Checked out the new branch {0}.', result.branch));
    if (result.readOnly) io.out(l10n.t('The copy is read-only.'));
    io.out(result.base ? l10n.t('Base for export: {0}', result.base) : l10n.t('No base recorded (the repo has no commits).'));
  },
};

export const workspaceCommands: readonly CommandSpec<never>[] = [exportCommand as unknown as CommandSpec<never>, importCommand as unknown as CommandSpec<never>];
