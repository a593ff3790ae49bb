import { resolve } from 'node:path';
import * as l10n from '@vscode/l10n';
import {
  QUIESCE_MODES,
  type AdoptSnapshotResult,
  type CreateProjectSnapshotResult,
  type CreateSnapshotResult,
  type HookOutcome,
  type PruneSnapshotsResult,
  type DeleteSnapshotResult,
  type ExportSnapshotResult,
  type ImportSnapshotResult,
  type ListSnapshotsResult,
  type SnapshotInfo,
  type VerifySnapshotResult,
} from '../../../protocol/src';
import { CreateSnapshotParams, PruneSnapshotsParams } from '../../../protocol/src/params';
import { InvalidParamsError, OperationFailedError } from '../../../server/src/errors';
import { resolveOutput } from '../../../server/src/output/userOutput';
import { outcomeText } from '../../../server/src/hooks/runner';
import { formatBytes } from '../../../server/src/snapshots/format';
import { reasonText } from '../../../server/src/snapshots/retention';
import type { CommandSpec } from '../command';
import { table } from '../format';
import { choiceOption, countOption, stringOption } from '../options';
import { RETENTION_OPTIONS, retentionOptions } from '../retentionOptions';

const list: CommandSpec<ListSnapshotsResult> = {
  resource: 'snapshots',
  verb: 'list',
  args: '[<workload>]',
  summary: 'List snapshot records (one per capture), newest first, of all workloads or one (name, ID or identity); then orphaned data and records set aside.',
  positionals: { min: 0, max: 1 },
  async run(input, backend, ctx) {
    return backend.snapshots.listAll(input.positionals[0], ctx.signal);
  },
  print(result, io) {
    if (result.snapshots.length === 0 && result.orphans.length === 0 && result.quarantined.length === 0) {
      io.out(l10n.t('No snapshots.'));
      return;
    }
    if (result.snapshots.length > 0) {
      const rows = result.snapshots.map((s) => [
        s.recordId,
        s.id.slice(0, 12),
        s.workload.key,
        s.capturedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
        s.label + (s.pinned ? ' [pinned]' : '') + (s.set ? ` [${s.set.id} ${s.set.service}]` : ''),
        String(s.volumes.length),
        String(s.files),
        formatBytes(s.bytes),
        formatBytes(s.storedBytes),
        s.quiesce,
        s.dataMissing ? l10n.t('DATA MISSING') : s.verified.state,
      ]);
      io.out(table(['RECORD', 'ID', 'WORKLOAD', 'CAPTURED', 'LABEL', 'VOLUMES', 'FILES', 'SIZE', 'STORED', 'QUIESCE', 'VERIFIED'], rows));
    }
    if (result.orphans.length > 0) {
      io.out('');
      io.out(l10n.t('Orphaned snapshot data (kept; no readable record refers to it). "berth snapshots adopt <id>" makes a record from its own manifest:'));
      for (const o of result.orphans) {
        const m = o.manifest;
        io.out(
          m
            ? `  ${o.id.slice(0, 12)}  ${m.workload.key}  ${m.capturedAt}${m.label ? `  "${m.label}"` : ''}  ${formatBytes(m.bytes)}`
            : `  ${o.id.slice(0, 12)}  ${l10n.t('cannot be adopted: {0}', o.problem ?? '?')}`,
        );
      }
    }
    if (result.quarantined.length > 0) {
      io.out('');
      io.out(l10n.t('Records that could not be read (set aside under snapshots/quarantine/, never deleted):'));
      for (const q of result.quarantined) {
        const what = q.contentId ? (q.objectPresent ? l10n.t('data of {0} kept', q.contentId.slice(0, 12)) : l10n.t('data of {0} not in the store', q.contentId.slice(0, 12))) : '';
        io.out(`  ${q.entry ? `quarantine/${q.entry}` : q.from}: ${q.reason}${what ? ` (${what})` : ''}`);
      }
    }
  },
};

const create: CommandSpec<CreateSnapshotResult | CreateProjectSnapshotResult> = {
  resource: 'snapshots',
  verb: 'create',
  args: '[<workload>] [--project P]',
  summary: 'Capture the named volumes and bind mounts of a workload into the store; with --project, every service of a compose project as one consistent set.',
  positionals: { min: 0, max: 1 },
  touchesWorkloads: true,
  options: {
    project: { type: 'string', description: 'a compose project: all its services quiesced together, one set' },
    label: { type: 'string', description: 'a free-form label (labelled snapshots are kept by retention)' },
    quiesce: { type: 'string', description: 'pause (default), stop or none while reading' },
    keep: { type: 'string', description: 'afterwards keep only the newest N (plus pinned/labelled)' },
  },
  async run(input, backend, ctx) {
    const project = stringOption(input, 'project');
    const workload = input.positionals[0];
    if ((project === undefined) === (workload === undefined)) {
      throw new InvalidParamsError(l10n.t('"berth snapshots create" takes a workload, or --project <project>: exactly one of them.'));
    }
    const label = stringOption(input, 'label');
    const quiesce = choiceOption(input, 'quiesce', QUIESCE_MODES);
    if (project !== undefined) {
      if (input.options.keep !== undefined) throw new InvalidParamsError(l10n.t('--keep applies to one workload; for a project use "berth snapshots prune project:<name> --keep-last N".'));
      return backend.snapshots.createProject({ project, label, quiesce }, ctx);
    }
    return backend.snapshots.create({ workload: workload ?? '', label, quiesce, keep: countOption(input, 'keep', CreateSnapshotParams) }, ctx);
  },
  print(result, io) {
    if ('set' in result) {
      io.out(l10n.t('Project snapshot {0} of {1}: {2} service(s).', result.set.id, result.set.project, result.set.members));
      for (const s of result.snapshots) {
        io.out(`  ${s.set?.service ?? s.workload.label}: ${s.recordId}  ${s.id.slice(0, 12)}  ${l10n.t('{0} volume(s), {1} files, {2} (stored {3}), quiesce {4}', s.volumes.length, s.files, formatBytes(s.bytes), formatBytes(s.storedBytes), s.quiesce)}`);
      }
      if (result.withoutData.length > 0) io.out(l10n.t('Without volumes (not captured): {0}', result.withoutData.join(', ')));
      io.out(`SET: ${result.set.id}`);
      printHooks(result.hooks, io);
      for (const w of result.warnings) io.err(l10n.t('warning: {0}', w));
      return;
    }
    const s = result.snapshot;
    io.out(l10n.t('Snapshot {0} of {1}: {2} volume(s), {3} files, {4} (stored {5}), quiesce {6}.', s.recordId, s.workload.label, s.volumes.length, s.files, formatBytes(s.bytes), formatBytes(s.storedBytes), s.quiesce));
    if (result.sameContentAs) io.out(l10n.t('Unchanged since snapshot {0}: the data is stored once and shared.', result.sameContentAs));
    else if (result.existing) io.out(l10n.t('The store already held this content: the data is stored once and shared.'));
    io.out(`RECORD: ${s.recordId}`);
    io.out(`ID: ${s.id}`);
    printHooks(result.hooks, io);
    for (const w of result.warnings) io.err(l10n.t('warning: {0}', w));
    if (result.pruned.length > 0) io.out(l10n.t('Retention removed: {0}', result.pruned.join(', ')));
  },
};

/** One line per hook that ran; its output went to the log (--verbose). */
function printHooks(hooks: readonly HookOutcome[] | undefined, io: { out(t: string): void }): void {
  for (const h of hooks ?? []) io.out(l10n.t('Hook {0} of {1}: {2}', h.event, h.workload, outcomeText(h)));
}

const verify: CommandSpec<VerifySnapshotResult> = {
  resource: 'snapshots',
  verb: 'verify',
  args: '<snapshot>',
  summary: 'Re-read a stored snapshot (record ID, label or content ID): every file\'s size and SHA-256, and the content ID. Exit 1 names the failing entry.',
  positionals: { min: 1, max: 1 },
  options: { workload: { type: 'string', description: 'only this workload\'s records (identity or name)' } },
  async run(input, backend, ctx) {
    const result = await backend.snapshots.verify({ id: input.positionals[0] ?? '', workload: stringOption(input, 'workload') }, ctx);
    if (!result.ok) {
      const failure = result.failure;
      throw new OperationFailedError(l10n.t('Snapshot {0} failed verification: {1}', result.id.slice(0, 12), failure?.message ?? '?'), {
        step: 'verify',
        ...(failure?.path ? { path: failure.path } : {}),
      });
    }
    return result;
  },
  print(result, io) {
    io.out(l10n.t('Snapshot {0} is intact: {1} files, {2} checked; the ID matches the content.', result.id.slice(0, 12), result.files, formatBytes(result.bytes)));
    for (const w of result.warnings ?? []) io.err(`berth: ${w}`);
  },
};

const remove: CommandSpec<DeleteSnapshotResult> = {
  resource: 'snapshots',
  verb: 'delete',
  args: '<snapshot>',
  summary: 'Delete one snapshot record (record ID, label or content ID; refused when it names several). Its data goes when no record needs it.',
  positionals: { min: 1, max: 1 },
  options: { workload: { type: 'string', description: 'only this workload\'s records (identity or name)' } },
  async run(input, backend) {
    return backend.snapshots.remove({ id: input.positionals[0] ?? '', workload: stringOption(input, 'workload') });
  },
  print(result, io) {
    for (const d of result.deleted) io.out(l10n.t('Deleted snapshot {0} ({1}) of {2}.', d.recordId, d.id.slice(0, 12), d.workload));
    if (result.freedBytes > 0) io.out(l10n.t('Freed {0}.', formatBytes(result.freedBytes)));
  },
};

const exportCommand: CommandSpec<ExportSnapshotResult & { toStdout?: boolean }> = {
  resource: 'snapshots',
  verb: 'export',
  args: '<snapshot> <file>',
  summary: 'Write the portable file: one gzip tar with manifest.json first, then 0/, 1/, …. "-" writes it to stdout; a device or FIFO is written to, never replaced.',
  positionals: { min: 2, max: 2 },
  options: { workload: { type: 'string', description: 'only this workload\'s records (identity or name)' } },
  async run(input, backend, ctx) {
    const named = input.positionals[1] ?? '';
    const output = input.io?.stdout ? { stdout: input.io.stdout } : {};
    const file = named === '-' ? '-' : resolve(named);
    // `-`, /dev/stdout and the file stdout goes to all mean stdout.
    const toStdout = (await resolveOutput(file, output)).kind === 'stdout';
    if (toStdout && input.options.json === true) {
      throw new InvalidParamsError(l10n.t('With --json, stdout holds the result; write the snapshot to a file, not to stdout.'));
    }
    const result = await backend.snapshots.export({ id: input.positionals[0] ?? '', workload: stringOption(input, 'workload') }, file, ctx, output);
    return { ...result, ...(toStdout ? { toStdout } : {}) };
  },
  print(result, io) {
    // When the snapshot itself went to stdout, the summary goes to stderr.
    const say = result.toStdout ? (t: string) => io.err(t) : (t: string) => io.out(t);
    say(l10n.t('Wrote {0} ({1}), SHA-256 {2}.', result.toStdout ? l10n.t('standard output') : result.file, formatBytes(result.bytes), result.sha256));
  },
};

const importCommand: CommandSpec<ImportSnapshotResult> = {
  resource: 'snapshots',
  verb: 'import',
  args: '<file>',
  summary: 'Check a portable snapshot file completely, then store it. Unsafe input exits 5 and stores nothing.',
  positionals: { min: 1, max: 1 },
  async run(input, backend, ctx) {
    return backend.snapshots.import(resolve(input.positionals[0] ?? ''), ctx);
  },
  print(result, io) {
    const s = result.snapshot;
    io.out(
      result.existing
        ? l10n.t('Snapshot {0} of {1} was already in the store.', s.recordId, s.workload.key)
        : l10n.t('Imported snapshot {0} of {1}: {2} volume(s), {3} files, {4}.', s.recordId, s.workload.key, s.volumes.length, s.files, formatBytes(s.bytes)),
    );
    io.out(`RECORD: ${s.recordId}`);
    io.out(`ID: ${s.id}`);
  },
};

const pin: CommandSpec<{ snapshots: SnapshotInfo[] }> = {
  resource: 'snapshots',
  verb: 'pin',
  args: '<snapshot>',
  summary: 'Pin one snapshot record so retention keeps it (--unpin to undo); refused when the name matches several.',
  positionals: { min: 1, max: 1 },
  options: {
    unpin: { type: 'boolean', description: 'remove the pin' },
    workload: { type: 'string', description: 'only this workload\'s records (identity or name)' },
  },
  async run(input, backend) {
    const snapshots = await backend.snapshots.pin({ id: input.positionals[0] ?? '', workload: stringOption(input, 'workload') }, input.options.unpin !== true);
    return { snapshots };
  },
  print(result, io) {
    for (const s of result.snapshots) io.out(s.pinned ? l10n.t('Pinned {0} of {1}.', s.recordId, s.workload.key) : l10n.t('Unpinned {0} of {1}.', s.recordId, s.workload.key));
  },
};

const prune: CommandSpec<PruneSnapshotsResult> = {
  resource: 'snapshots',
  verb: 'prune',
  args: '<workload | project:<name>>',
  summary: 'Apply retention now with restic\'s rules (the newest snapshot of each period is kept); pinned, labelled and recent pre-restore snapshots stay. --dry-run shows what would go and why.',
  positionals: { min: 1, max: 1 },
  options: {
    ...RETENTION_OPTIONS,
    keep: { type: 'string', description: 'the same as --keep-last (the first release\'s option)' },
    'dry-run': { type: 'boolean', description: 'decide and print what would be kept and removed; remove nothing' },
  },
  async run(input, backend, ctx) {
    const target = input.positionals[0] ?? '';
    const group = target.startsWith('project:') ? { project: target.slice('project:'.length) } : { workload: target };
    if (group.project === '') throw new InvalidParamsError(l10n.t('Name the project after "project:", for example project:shop.'));
    return backend.snapshots.prune({ ...group, keep: countOption(input, 'keep', PruneSnapshotsParams), ...retentionOptions(input), dryRun: input.options['dry-run'] === true }, ctx.signal);
  },
  print(result, io) {
    if (result.policy) io.out(l10n.t('Policy: keep {0}.', result.policy));
    for (const d of result.decisions ?? []) {
      const when = d.capturedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
      const what = `${d.id}  ${when}${d.label ? `  "${d.label}"` : ''}`;
      io.out(d.keep ? `  ${l10n.t('keep')}    ${what}  (${d.reasons.map(reasonText).join(', ')})` : `  ${l10n.t('remove')}  ${what}`);
    }
    const count = result.removed.length;
    if (result.dryRun) io.out(count === 0 ? l10n.t('Nothing would be removed (dry run).') : l10n.t('Would remove {0} record(s) (dry run; nothing was changed).', count));
    else io.out(count === 0 ? l10n.t('Nothing to remove.') : l10n.t('Removed {0} record(s), freed {1}.', count, formatBytes(result.freedBytes ?? 0)));
  },
};

const adopt: CommandSpec<AdoptSnapshotResult> = {
  resource: 'snapshots',
  verb: 'adopt',
  args: '<id>',
  summary: 'Make a catalog record for orphaned snapshot data (listed by "snapshots list") from its own manifest; the record is pinned.',
  positionals: { min: 1, max: 1 },
  async run(input, backend) {
    return { snapshot: await backend.snapshots.adopt(input.positionals[0] ?? '') };
  },
  print(result, io) {
    const s = result.snapshot;
    io.out(l10n.t('Adopted snapshot {0} of {1} as record {2} (pinned), from its own manifest.', s.id.slice(0, 12), s.workload.key, s.recordId));
    io.out(`RECORD: ${s.recordId}`);
  },
};

export const snapshotCommands: readonly CommandSpec<never>[] = [list, create, verify, remove, exportCommand, importCommand, pin, prune, adopt] as unknown as CommandSpec<never>[];
