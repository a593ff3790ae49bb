// The helper-container driver: creates the short-lived container that mounts each target's
// parent directory, runs the helper script's subcommands in it, and drives the swap agent. The
// backend never touches the engine host's filesystem itself; everything goes through here.
import type { Writable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import { displayName, nameFromBytes } from '../archive/names';
import type { Engine } from '../engine/engine';
import type { ExecResult } from '../engine/exec';
import { BerthError, OperationFailedError, RejectedError } from '../errors';
import { currentOwner, ownerAlive, type Owner } from '../snapshots/liveness';
import HELPER_SCRIPT from './helper.sh';
import type { JournalVolume } from './journal';

/** The script every helper exec runs (helper.sh; its header is the protocol). */
export { HELPER_SCRIPT };

export const HELPER_LABEL = 'berth.helper';
const OWNER_LABEL = 'berth.helper.owner';
const JOURNAL_LABEL = 'berth.helper.restore';

export interface HelperMount {
  readonly hostDir: string;
  readonly helperDir: string;
  readonly readOnly?: boolean;
}

export interface Helper {
  readonly id: string;
  readonly image: string;
  /** Runs a script subcommand; throws when it cannot run or exits non-zero. */
  run(args: readonly string[], options?: { signal?: AbortSignal; stdout?: Writable; what?: string }): Promise<ExecResult>;
  remove(): Promise<void>;
}

/**
 * The labels of a restore helper: what it is, who owns it (host, PID, start time: the sweep
 * removes helpers whose owner is gone) and which restore it serves. BERTH_HELPER_LABELS
 * (`k=v,k=v`) adds labels, so a CI run can find and remove its own.
 */
export function helperLabels(owner: Owner, journalId: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (env.BERTH_HELPER_LABELS ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return { ...out, [HELPER_LABEL]: 'restore', [OWNER_LABEL]: ownerLabel(owner), [JOURNAL_LABEL]: journalId };
}

export function ownerLabel(owner: Owner): string {
  return `${owner.host}:${owner.pid}:${owner.startTime || '0'}`;
}

/**
 * Creates and starts a helper running `sh` as root (it renames directories owned by root and
 * keeps numeric ownership) with no network. A failure to start with the workload's own image
 * almost always means the image has no /bin/sh: the error says so and names the setting.
 */
export async function startHelper(
  engine: Engine,
  image: string,
  imageSource: 'setting' | 'workload',
  mounts: readonly HelperMount[],
  journalId: string,
  signal: AbortSignal | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Helper> {
  const owner = await currentOwner();
  const binds = mounts.map((m) => `${m.hostDir}:${m.helperDir}${m.readOnly ? ':ro' : ''}`);
  const id = await engine.createHelperContainer(
    {
      image,
      entrypoint: ['/bin/sh', '-c'],
      // Sleeps until removed; the recovery sweep removes helpers whose owner died.
      cmd: ['trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'],
      binds,
      user: '0:0',
      labels: helperLabels(owner, journalId, env),
    },
    signal,
  );
  const helper = helperHandle(engine, id, image);
  try {
    try {
      await engine.startContainer(id, signal);
    } catch (error) {
      if (imageSource === 'workload' && error instanceof BerthError && error.codeName === 'OperationFailed') {
        throw new RejectedError(
          l10n.t(
            'Cannot run a helper container from the workload\'s image {0}: it probably has no /bin/sh ({1}). Set berth.helperImage (or BERTH_HELPER_IMAGE) to a local image with sh, find, stat, du, mv, rm, mkdir, sha256sum, xargs, cat, readlink, wc, printf and basename. Nothing was changed.',
            image,
            error.message,
          ),
          { detail: 'no-shell' },
        );
      }
      throw error;
    }
    const tools = await helper.run(['tools'], { ...(signal ? { signal } : {}), what: 'tools' });
    const missing = parseMissingTools(tools.stdout).join(' ');
    if (missing !== '') {
      throw new RejectedError(
        l10n.t('The helper image {0} lacks tools the restore needs: {1}. Set berth.helperImage (or BERTH_HELPER_IMAGE) to a local image that has them. Nothing was changed.', image, missing),
        { detail: 'helper-tools' },
      );
    }
    return helper;
  } catch (error) {
    await helper.remove();
    throw error;
  }
}

function helperHandle(engine: Engine, id: string, image: string): Helper {
  let removed = false;
  return {
    id,
    image,
    async run(args, options = {}) {
      const result = await engine.exec(id, {
        cmd: ['sh', '-c', HELPER_SCRIPT, 'berth-restore', ...args],
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.stdout ? { stdout: options.stdout } : {}),
        maxOutputBytes: 64 * 1024 * 1024,
      });
      if (result.exitCode !== 0) {
        throw new OperationFailedError(
          l10n.t('The restore helper failed at "{0}" (exit code {1}): {2}', options.what ?? args[0] ?? '', result.exitCode, result.stderr.trim().slice(0, 2000) || l10n.t('no message')),
          { detail: `exit ${result.exitCode}` },
        );
      }
      return result;
    },
    async remove() {
      if (removed) return;
      removed = true;
      await engine.removeContainer(id, AbortSignal.timeout(60_000)).catch(() => undefined);
    },
  };
}

/**
 * The swap agent: one long-lived shell in the helper that renames on command. Each command is
 * answered by one line (`ok …` or `fail …`); the journal is written between commands, so every
 * rename has its journal entry before it, without paying an exec round trip per rename during
 * the workload's downtime. If the backend dies, stdin closes and the agent stops.
 */
export interface Agent {
  /** Sends one command; resolves with its answer, checked against the agent's grammar (checkAnswer). */
  send(command: string, index?: number): Promise<string>;
  /** The device:inode ids (or `none`) of one volume's live, stage, aside and conflict names. */
  ids(index: number): Promise<AgentIds>;
  close(): Promise<void>;
}

/** What the swap agent needs of a journal volume. */
export type AgentVolume = Pick<JournalVolume, 'helperDir' | 'liveName' | 'stageName' | 'asideName' | 'conflictName' | 'oldId'> & { readonly newId: string };

export async function startAgent(engine: Engine, helper: Helper, volumes: readonly AgentVolume[]): Promise<Agent> {
  const lines: string[] = [];
  let waiting: ((line: string | undefined) => void) | undefined;
  let ended = false;
  let buffer = '';
  const push = (line: string | undefined) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(line);
    } else if (line !== undefined) {
      lines.push(line);
    }
  };
  const args = ['agent', String(volumes.length)];
  for (const v of volumes) args.push(v.helperDir, v.liveName, v.stageName, v.asideName, v.conflictName, v.oldId, v.newId);
  const session = await engine.execSession(helper.id, ['sh', '-c', HELPER_SCRIPT, 'berth-restore', ...args], (chunk) => {
    buffer += chunk.toString('utf8');
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
  void session.ended.then(() => {
    ended = true;
    push(undefined);
  });

  const next = (timeoutMs: number): Promise<string | undefined> => {
    const queued = lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  };

  const first = await next(60_000);
  if (first !== 'ready') {
    session.destroy();
    throw new OperationFailedError(l10n.t('The restore helper did not start its swap agent ({0}).', first ?? (session.stderr().trim() || l10n.t('no answer'))));
  }
  const agent: Agent = {
    async send(command, index) {
      if (ended) throw new OperationFailedError(l10n.t('The restore helper stopped answering (its container was removed?).'));
      session.write(`${command}${index === undefined ? '' : ` ${index}`}\n`);
      // Renames are instant; removing a large directory is not.
      const answer = await next(command.startsWith('rm') ? 30 * 60_000 : 120_000);
      if (answer === undefined) throw new OperationFailedError(l10n.t('The restore helper stopped answering during "{0}".', command));
      return checkAnswer(command, answer);
    },
    async ids(index) {
      return parseIds(await agent.send('ids', index));
    },
    async close() {
      if (!ended) {
        session.write('exit\n');
        session.end();
      }
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([session.ended, timeout]);
      session.destroy();
    },
  };
  return agent;
}

/** Removes restore helpers whose owning process is gone (crash leftovers); returns how many. */
export async function sweepHelpers(engine: Engine, signal?: AbortSignal): Promise<number> {
  const containers = await engine.listContainers(true, signal);
  let removed = 0;
  for (const c of containers) {
    if (c.Labels?.[HELPER_LABEL] !== 'restore') continue;
    const owner = parseOwnerLabel(c.Labels[OWNER_LABEL] ?? '');
    if (owner && (await ownerAlive(owner))) continue;
    try {
      await engine.removeContainer(c.Id, signal);
      removed++;
    } catch {
      // Another sweeper may be removing it right now (409); the next sweep retries otherwise.
    }
  }
  return removed;
}

/** Helpers that belong to one restore journal (whoever started them). */
export async function helpersOfJournal(engine: Engine, journalId: string, signal?: AbortSignal): Promise<string[]> {
  const containers = await engine.listContainers(true, signal);
  return containers.filter((c) => c.Labels?.[HELPER_LABEL] === 'restore' && c.Labels[JOURNAL_LABEL] === journalId).map((c) => c.Id);
}

function parseOwnerLabel(label: string): Owner | undefined {
  const match = /^(.*):(\d+):(\d+)$/.exec(label);
  if (!match) return undefined;
  return { host: match[1] ?? '', pid: Number(match[2]), startTime: match[3] === '0' ? '' : (match[3] ?? '') };
}

/** The agent's `ids` answer: each name's `device:inode`, or `none` when nothing is there. */
export interface AgentIds {
  readonly live: string;
  readonly stage: string;
  readonly aside: string;
  readonly conflict: string;
}

const ID = '(\\d+:\\d+|none)';
const IDS_ANSWER = new RegExp(`^ok ids live=${ID} stage=${ID} aside=${ID} conflict=${ID}$`);
/** `ok|fail <command>` and at most two lower-case words (helper.sh header, the agent's answers). */
const ANSWER = /^(?:ok|fail) ([a-z-]+)(?: [a-z-]+){0,2}$/;

function outsideProtocol(what: string, text: string): OperationFailedError {
  return new OperationFailedError(l10n.t('The restore helper answered "{0}" to "{1}", which is outside its protocol; nothing more was done on its word.', displayName(nameFromBytes(Buffer.from(text.slice(0, 200), 'latin1'))), what), {
    detail: 'protocol',
  });
}

/**
 * Checks one answer of the swap agent against its grammar (helper.sh header): `ids` gets its
 * four ids and nothing else, `exit` gets `bye`, every other command `ok|fail <command>` and at
 * most two words. An answer outside it (a second `stage=`, another command's answer, stray
 * text) is an error: the restore acts only on answers it can read exactly.
 */
export function checkAnswer(command: string, answer: string): string {
  const fits = command === 'exit' ? answer === 'bye' : command === 'ids' && answer.startsWith('ok ') ? IDS_ANSWER.test(answer) : ANSWER.exec(answer)?.[1] === command;
  if (!fits) throw outsideProtocol(command, answer);
  return answer;
}

/** The ids of an `ids` answer (already checked, or checked here). */
export function parseIds(answer: string): AgentIds {
  const m = IDS_ANSWER.exec(checkAnswer('ids', answer));
  if (!m) throw outsideProtocol('ids', answer);
  return { live: m[1] as string, stage: m[2] as string, aside: m[3] as string, conflict: m[4] as string };
}

/** `mkstage` prints exactly `id=<device>:<inode>` and a newline. */
export function parseStageId(stdout: string): string {
  const m = /^id=(\d+:\d+)\n$/.exec(stdout);
  if (!m) throw outsideProtocol('mkstage', stdout);
  return m[1] as string;
}

/** `tools` prints exactly `missing=` and a space before each missing tool's name, then a newline. */
export function parseMissingTools(stdout: string): string[] {
  const m = /^missing=((?: [a-z0-9]+)*)\n$/.exec(stdout);
  if (!m) throw outsideProtocol('tools', stdout);
  return (m[1] as string).split(' ').filter(Boolean);
}
