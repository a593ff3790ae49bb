import * as l10n from '@vscode/l10n';
import type { RecoveredRestore, RecoveryReport } from '../../../protocol/src';

/** The note on a restore whose volumes the start-up recovery settled and whose safety copy it deferred. */
export function deferredSafetyNote(): string {
  return l10n.t('The safety copy is stored in the background.');
}

/**
 * Two runs of the recovery sweep as one report (the start-up recovery, then the run that stored
 * the safety copies it deferred, or `berth recover` right after it): a restore both runs saw is
 * one entry with the later outcome and what either run did; one only the earlier run finished
 * stays as it was. Problems are the later run's: one that still holds was found again.
 */
export function mergeRecoveryReports(earlier: RecoveryReport, later: RecoveryReport): RecoveryReport {
  const laterById = new Map(later.restores.map((r) => [r.id, r]));
  const restores: RecoveredRestore[] = [];
  for (const before of earlier.restores) {
    const after = laterById.get(before.id);
    if (after) restores.push(combine(before, after));
    // Unfinished then and not seen now: another process finished it meanwhile.
    else if (before.outcome === 'completed' || before.outcome === 'rolled-back') restores.push(before);
  }
  const seen = new Set(earlier.restores.map((r) => r.id));
  restores.push(...later.restores.filter((r) => !seen.has(r.id)));
  return {
    restores,
    helpersRemoved: earlier.helpersRemoved + later.helpersRemoved,
    corruptJournals: [...earlier.corruptJournals, ...later.corruptJournals],
    problems: later.problems,
    didSomething: earlier.didSomething || later.didSomething,
  };
}

function combine(before: RecoveredRestore, after: RecoveredRestore): RecoveredRestore {
  const deferred = deferredSafetyNote();
  return {
    ...after,
    volumes: after.volumes.length > 0 ? after.volumes : before.volumes,
    restarted: before.restarted || after.restarted,
    conflicts: [...new Set([...before.conflicts, ...after.conflicts])],
    notes: [...new Set([...before.notes.filter((n) => n !== deferred), ...after.notes])],
  };
}
