import * as l10n from '@vscode/l10n';
import { ExitCodes, type RecoveryReport, type RestoreSnapshotResult } from '../../../protocol/src';
import { InvalidParamsError } from '../../../server/src/errors';
import { echo } from '../../../server/src/echo';
import { mergeRecoveryReports } from '../../../server/src/restore/recoveryReport';
import { formatBytes } from '../../../server/src/snapshots/format';
import type { CommandSpec } from '../command';

const restore: CommandSpec<RestoreSnapshotResult> = {
  resource: 'snapshots',
  verb: 'restore',
  args: '<workload> <snapshot>',
  summary: 'Replace the workload\'s volumes with a snapshot (needs --yes). The old data is kept as a "pre-restore" snapshot.',
  positionals: { min: 2, max: 2 },
  options: { yes: { type: 'boolean', description: 'confirm: the live data of the workload is replaced and the workload is stopped meanwhile' } },
  touchesWorkloads: true,
  async run(input, backend, ctx) {
    const [workload = '', ref = ''] = input.positionals;
    if (input.options.yes !== true) {
      throw new InvalidParamsError(
        l10n.t('Restoring replaces the live data of {0} with snapshot {1} and stops it meanwhile (a safety copy is kept). Add --yes to confirm. Nothing was changed.', echo(workload), echo(ref)),
      );
    }
    const id = await backend.restore.snapshotId(ref, workload);
    return backend.restore.restore({ workload, snapshot: id, confirm: id }, ctx);
  },
  print(result, io) {
    const volumes = result.volumes.map((v) => `${v.target} (${formatBytes(v.bytes)})`).join(', ');
    io.out(l10n.t('Restored {0} from snapshot {1}: {2}. Downtime {3} ms; the workload is {4}.', result.workload.name, result.snapshot.slice(0, 12), volumes, result.downtimeMs, result.finalState));
    if (result.safetySnapshot) io.out(l10n.t('Safety copy of the replaced data: snapshot {0} (label "pre-restore").', result.safetySnapshot.slice(0, 12)));
    if (result.safetyPending) {
      io.err(l10n.t('warning: the safety copy is not stored yet ({0}); the old data is kept on the engine host at {1} until "berth recover" stores it.', result.safetyPending, (result.safetyCopies ?? []).join(', ')));
    }
    if (result.cancelRefused) io.err(`berth: ${result.cancelRefused}`);
    for (const w of result.warnings) io.err(l10n.t('warning: {0}', w));
  },
};

const recover: CommandSpec<RecoveryReport> = {
  resource: 'recover',
  verb: '',
  args: '',
  summary: 'Finish or undo operations that a crash interrupted (restores, captures); exit 1 while some remain.',
  positionals: { min: 0, max: 0 },
  async run(_input, backend) {
    // The start-up recovery of this very process may have done part of the work already: the
    // report covers both.
    const report = await backend.restore.recover();
    const startup = backend.startupRecovery();
    return startup ? mergeRecoveryReports(startup, report) : report;
  },
  print(report, io) {
    if (!report.didSomething && report.restores.length === 0 && report.problems.length === 0) {
      io.out(l10n.t('Nothing to recover.'));
      return;
    }
    if (report.helpersRemoved > 0) io.out(l10n.t('Removed {0} helper container(s) left by crashed operations.', report.helpersRemoved));
    for (const r of report.restores) {
      const volumes = r.volumes.map((v) => `${v.target}: ${v.live}`).join(', ');
      io.out(l10n.t('Restore of {0} from snapshot {1} (interrupted at {2}): {3}.', r.workload, r.snapshot.slice(0, 12), r.step, r.outcome));
      if (volumes) io.out(`  ${volumes}`);
      if (r.restarted) io.out(l10n.t('  started again'));
      if (r.safetySnapshot) io.out(l10n.t('  safety copy: snapshot {0}', r.safetySnapshot.slice(0, 12)));
      for (const c of r.conflicts) io.out(l10n.t('  data found in the way kept at {0}', c));
      for (const n of r.notes) io.out(`  ${n}`);
      for (const p of r.problems) io.err(`  ${p}`);
    }
    for (const c of report.corruptJournals) io.err(l10n.t('Unreadable journal set aside: {0}', c));
    for (const p of report.problems) io.err(p);
  },
  exitCode(report) {
    const unfinished = report.problems.length > 0 || report.corruptJournals.length > 0 || report.restores.some((r) => r.outcome === 'pending' || r.outcome === 'skipped-busy');
    return unfinished ? ExitCodes.Failed : ExitCodes.Ok;
  },
};

export const restoreCommands: readonly CommandSpec<never>[] = [restore as unknown as CommandSpec<never>];
export const recoverCommands: readonly CommandSpec<never>[] = [recover as unknown as CommandSpec<never>];
