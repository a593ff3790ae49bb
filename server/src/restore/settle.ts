// Driving every volume of a journal to exactly old or exactly new, and removing what is left
// over once that is safe. Shared by the restore's own rollback and by the recovery sweep. The
// decisions are made by the agent from device:inode ids found on disk (helperScript.ts), so a
// repeat after a crash at any point continues where the last attempt stopped.
import { posix } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { Engine } from '../engine/engine';
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

/** Removes moved-aside old data; the caller must have stored the safety snapshot first. */
export async function removeAsides(agent: Agent, journal: RestoreJournal): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, v] of journal.volumes.entries()) {
    const answer = await agent.send('rmaside', i);
    if (!answer.startsWith('ok ')) problems.push(describe(v, answer));
  }
  return problems;
}

function describe(v: JournalVolume, answer: string): string {
  return l10n.t('{0} ({1} on the engine host): {2}', v.target, posix.join(v.hostParent, v.liveName), answer);
}
