import * as vscode from 'vscode';
import type { RecoveryReport } from '../../../../protocol/src';

/** One sentence per interrupted restore, or undefined when recovery did nothing worth saying. */
export function describeRecovery(report: RecoveryReport): string | undefined {
  const parts: string[] = [];
  for (const r of report.restores) {
    switch (r.outcome) {
      case 'rolled-back':
        parts.push(vscode.l10n.t('The interrupted restore of {0} was rolled back: its volumes hold their old data{1}.', r.workload, r.restarted ? vscode.l10n.t(' and it runs again') : ''));
        break;
      case 'completed':
        parts.push(
          vscode.l10n.t(
            'The interrupted restore of {0} was completed: its volumes hold snapshot {1}{2}; the replaced data is snapshot {3}.',
            r.workload,
            r.snapshot.slice(0, 12),
            r.restarted ? vscode.l10n.t(' and it runs again') : '',
            (r.safetySnapshot ?? '').slice(0, 12),
          ),
        );
        break;
      case 'pending':
        parts.push(vscode.l10n.t('The interrupted restore of {0} is not finished yet: {1}', r.workload, [...r.notes, ...r.problems].join('; ')));
        break;
      case 'skipped-busy':
        break;
    }
    if (r.conflicts.length > 0) parts.push(vscode.l10n.t('Data found in the way was kept at: {0}', r.conflicts.join(', ')));
  }
  if (report.corruptJournals.length > 0) parts.push(vscode.l10n.t('{0} unreadable journal(s) were set aside; see the log.', report.corruptJournals.length));
  if (report.helpersRemoved > 0 && parts.length === 0) parts.push(vscode.l10n.t('Removed {0} helper container(s) left by crashed operations.', report.helpersRemoved));
  return parts.length > 0 ? parts.join(' ') : undefined;
}
