// Driving every volume of a journal to exactly old or exactly new, and removing what is left
// over once that is safe. Shared by the restore's own rollback and by the recovery sweep. The
// decisions are made by the agent from device:inode ids found on disk (helper.sh), so a
// repeat after a crash at any point continues where the last attempt stopped.
import { posix } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { SnapshotManifest } from '../archive/manifest';
import { restoreProblem } from '../archive/restorable';
import type { Engine } from '../engine/engine';
import { errorMessage } from '../errors';
import { asideNotHeld, type KeptAside } from './asideGuard';
import { startAgent, type Agent, type AgentVolume, type Helper } from './helper';
import type { JournalVolume, RestoreJournal } from './journal';

export function agentVolumes(journal: RestoreJournal): AgentVolume[] {
  return journal.volumes.map((v) => ({
    helperDir: v.helperDir,
    liveName: v.liveName,
    stageName: v.stageName,
    asideName: v.asideName,
    conflictName: v.conflictName,
    oldId: v.oldId,
    newId: v.newId ?? 'unknown',
  }));
}

export function openAgent(engine: Engine, helper: Helper, journal: RestoreJournal): Promise<Agent> {
  return startAgent(engine, helper, agentVolumes(journal));
}

export interface SettleOutcome {
  /** Per volume (journal order): what is live now. */
  readonly live: ('old' | 'new' | 'unknown')[];
  /** Host paths where data found in the way was kept. */
  readonly conflicts: string[];
  readonly problems: string[];
}

/** Makes each volume exactly old (`old`) or exactly new (`new`). Never throws for one volume's failure. */
export async function settleVolumes(agent: Agent, journal: RestoreJournal, direction: 'old' | 'new'): Promise<SettleOutcome> {
  const outcome: SettleOutcome = { live: [], conflicts: [], problems: [] };
  for (const [i, v] of journal.volumes.entries()) {
    const answer = await agent.send(direction === 'old' ? 'settle-old' : 'settle-new', i);
    if (answer.startsWith('ok ')) {
      outcome.live.push(direction);
      if (answer.endsWith(' conflict')) outcome.conflicts.push(posix.join(v.hostParent, v.conflictName));
      if (direction === 'old') v.state = 'rolled-back';
    } else {
      outcome.live.push('unknown');
      outcome.problems.push(describe(v, answer));
    }
  }
  return outcome;
}

/** Removes staging directories (never the live one: the agent checks). */
export async function removeStages(agent: Agent, journal: RestoreJournal): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, v] of journal.volumes.entries()) {
    const answer = await agent.send('rmstage', i);
    if (!answer.startsWith('ok ')) problems.push(describe(v, answer));
  }
  return problems;
}

/**
 * Removes moved-aside old data; the caller must have stored the safety snapshot first. An aside
 * is removed only when the helper's complete listing of it shows that the safety snapshot holds
 * every entry (asideGuard.ts); otherwise it stays on the engine host and is reported as kept.
 */
export async function removeAsides(agent: Agent, helper: Helper, journal: RestoreJournal, safety: SnapshotManifest | undefined): Promise<{ problems: string[]; kept: KeptAside[] }> {
  const problems: string[] = [];
  const kept: KeptAside[] = [];
  // Held means restorable too: a snapshot that a restore would refuse holds nothing usable.
  const unrestorable = safety ? restoreProblem(safety) : undefined;
  for (const [i, v] of journal.volumes.entries()) {
    if ((await agent.ids(i)).aside === v.oldId) {
      let why: string[];
      try {
        why = unrestorable ? [unrestorable.message] : await asideNotHeld(helper, v.helperDir, v.asideName, safety?.volumes.find((m) => m.target === v.target));
      } catch (error) {
        why = [l10n.t('it could not be listed completely ({0})', errorMessage(error))];
      }
      if (why.length > 0) {
        kept.push({ path: posix.join(v.hostParent, v.asideName), reason: why.join('; ') });
        continue;
      }
    }
    const answer = await agent.send('rmaside', i);
    if (!answer.startsWith('ok ')) problems.push(describe(v, answer));
  }
  return { problems, kept };
}

/** The message for old data kept beside a volume (result warnings, recovery notes, the log). */
export function keptMessage(k: KeptAside): string {
  return l10n.t('The replaced data was kept at {0} on the engine host, because the pre-restore snapshot does not hold all of it: {1}. Nothing of it was deleted; remove that directory yourself once you no longer need it.', k.path, k.reason);
}

function describe(v: JournalVolume, answer: string): string {
  return l10n.t('{0} ({1} on the engine host): {2}', v.target, posix.join(v.hostParent, v.liveName), answer);
}
