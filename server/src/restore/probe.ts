// What the helper finds on the engine host for each target, and the checks that must pass before
// anything is written: the live data is a real directory on the same filesystem as its parent
// (so a rename swaps it: rename(2) across filesystems fails with EXDEV, and renaming a mount
// point fails with EBUSY), not a mount point, not on overlayfs, writable; and
// guard 2: enough free space and inodes on each filesystem for the new data, with a margin.
import * as l10n from '@vscode/l10n';
import { OperationFailedError, RejectedError } from '../errors';
import { formatBytes } from '../snapshots/format';
import { FramedReader, type FramedRecord } from './framed';
import type { Helper } from './helper';
import type { PlannedVolume, RestorePlan } from './preflight';

export interface ProbedVolume {
  readonly index: number;
  /** device:inode of the live directory. */
  readonly liveId: string;
  readonly device: string;
  readonly availableBytes: number;
  /** Free inodes, or undefined when the filesystem does not count them. */
  readonly availableInodes: number | undefined;
  /** Size of the live data (du), bytes. */
  readonly currentBytes: number;
}

const OVERLAYFS_MAGIC = '794c7630';
const BLOCK = 4096;

export interface SpaceNeed {
  readonly bytes: number;
  readonly inodes: number;
}

/** Bytes and inodes that the new content of a volume takes, rounded to filesystem blocks. */
export function spaceNeeded(v: { readonly bytes: number; readonly files: number; readonly entries: number }, perFileBytes: readonly number[]): SpaceNeed {
  let bytes = 0;
  for (const size of perFileBytes) bytes += Math.ceil(size / BLOCK) * BLOCK;
  bytes += (v.entries - v.files) * BLOCK;
  return { bytes, inodes: v.entries };
}

/** The margin kept free on top of the need: 5 % plus 4 MiB per filesystem. */
export function withMargin(need: SpaceNeed): SpaceNeed {
  return { bytes: Math.ceil(need.bytes * 1.05) + 4 * 1024 * 1024, inodes: Math.ceil(need.inodes * 1.05) + 64 };
}

export async function probeTargets(helper: Helper, plan: RestorePlan, needs: ReadonlyMap<number, SpaceNeed>, signal?: AbortSignal): Promise<ProbedVolume[]> {
  const problems: string[] = [];
  const probed: ProbedVolume[] = [];
  for (const v of plan.volumes) {
    const helperDir = helperDirOf(plan, v);
    const records: FramedRecord[] = [];
    const reader = new FramedReader((r) => records.push(r));
    await helper.run(['probe', helperDir, v.liveName], { ...(signal ? { signal } : {}), stdout: reader.sink(), what: 'probe' });
    try {
      reader.finish();
    } catch (error) {
      throw new OperationFailedError(l10n.t('The restore helper\'s probe of {0} is unreadable: {1}', v.target, (error as Error).message));
    }
    const facts = parseProbe(records);
    const where = l10n.t('Volume {0} ({1}, {2} on the engine host)', v.index, v.target, v.hostDir);
    if (facts.error === 'parent-missing') {
      problems.push(l10n.t('{0}: its parent directory {1} is missing.', where, v.hostParent));
      continue;
    }
    if (facts.live === 'symlink') problems.push(l10n.t('{0}: it is a symbolic link; Berth only swaps real directories.', where));
    else if (facts.live === 'missing') problems.push(l10n.t('{0}: the directory does not exist.', where));
    else if (facts.live === 'not-a-directory') problems.push(l10n.t('{0}: it is not a directory (single-file mounts are not restored).', where));
    if (facts.liveId === undefined) continue;
    const device = facts.liveId.split(':')[0] ?? '';
    if (facts.parentDevice !== device || facts.mountPoints.includes(`${helperDir}/${v.liveName}`)) {
      problems.push(l10n.t('{0}: it is a mount point of its own, so it cannot be swapped by rename (EBUSY). Mount its parent directory instead, or restore by hand.', where));
    }
    if (facts.fsType === OVERLAYFS_MAGIC) {
      problems.push(l10n.t('{0}: it lives on an overlay filesystem, where renaming a directory from a lower layer fails (EXDEV).', where));
    }
    if (!facts.writable) problems.push(l10n.t('{0}: its parent directory is read-only on the engine host.', where));
    probed.push({ index: v.index, liveId: facts.liveId, device, availableBytes: facts.availableBytes, availableInodes: facts.availableInodes, currentBytes: facts.duBytes });
  }
  if (problems.length === 0) problems.push(...spaceProblems(plan, probed, needs));
  if (problems.length > 0) {
    throw new RejectedError(l10n.t('The restore cannot proceed, so nothing was changed:\n{0}', problems.map((p) => `- ${p}`).join('\n')), { detail: 'preflight' });
  }
  return probed;
}

/** Guard 2, per filesystem: several targets may share one. */
function spaceProblems(plan: RestorePlan, probed: readonly ProbedVolume[], needs: ReadonlyMap<number, SpaceNeed>): string[] {
  const byDevice = new Map<string, { volumes: PlannedVolume[]; need: SpaceNeed; probe: ProbedVolume }>();
  for (const p of probed) {
    const v = plan.volumes.find((x) => x.index === p.index);
    const need = needs.get(p.index);
    if (!v || !need) continue;
    const entry = byDevice.get(p.device) ?? { volumes: [], need: { bytes: 0, inodes: 0 }, probe: p };
    entry.volumes.push(v);
    entry.need = { bytes: entry.need.bytes + need.bytes, inodes: entry.need.inodes + need.inodes };
    byDevice.set(p.device, entry);
  }
  const problems: string[] = [];
  for (const { volumes, need, probe } of byDevice.values()) {
    const required = withMargin(need);
    const names = volumes.map((v) => v.target).join(', ');
    if (probe.availableBytes < required.bytes) {
      problems.push(
        l10n.t(
          'Not enough free space for {0}: the new data needs {1} plus a margin ({2} in all), but the filesystem on the engine host has {3} free.',
          names,
          formatBytes(need.bytes),
          formatBytes(required.bytes),
          formatBytes(probe.availableBytes),
        ),
      );
    }
    if (probe.availableInodes !== undefined && probe.availableInodes < required.inodes) {
      problems.push(l10n.t('Not enough free inodes for {0}: the new data needs {1} (with margin), the filesystem has {2} free.', names, required.inodes, probe.availableInodes));
    }
  }
  return problems;
}

export function helperDirOf(plan: RestorePlan, v: PlannedVolume): string {
  const parent = plan.parents.find((p) => p.hostDir === v.hostParent);
  if (!parent) throw new Error(`no helper mount for ${v.hostParent}`);
  return parent.helperDir;
}

export interface ProbeFacts {
  readonly error?: string;
  readonly parentDevice?: string;
  readonly fsType?: string;
  readonly live?: string;
  readonly liveId?: string;
  readonly writable: boolean;
  readonly availableBytes: number;
  readonly availableInodes: number | undefined;
  readonly duBytes: number;
  readonly mountPoints: string[];
}

const PROBE_RECORDS = ['facts', 'du', 'mountinfo'] as const;
const FACTS = new Set(['error', 'parent', 'fstype', 'live', 'writable', 'space']);

/**
 * Decodes the probe's records: exactly `facts` (key=value lines of numbers and fixed words, each
 * known key at most once), `du` (the size in KiB comes first, before the path) and `mountinfo`
 * (the kernel escapes paths in it). Any other record, a missing or repeated one, an unknown
 * fact or a line that is no fact is outside the protocol and throws: guard 2 and the
 * rename-ability checks are decided on these facts, so none is guessed.
 */
export function parseProbe(records: readonly FramedRecord[]): ProbeFacts {
  const outside = (why: string) => new OperationFailedError(l10n.t('The restore helper\'s probe is outside its protocol: {0}.', why), { detail: 'protocol' });
  const parts = new Map<string, string>();
  for (const r of records) {
    if (!(PROBE_RECORDS as readonly string[]).includes(r.name)) throw outside(`record "${r.name}"`);
    if (parts.has(r.name) || r.parts.length !== 1) throw outside(`record "${r.name}" repeated or split`);
    parts.set(r.name, r.parts[0]?.toString('utf8') ?? '');
  }
  for (const name of PROBE_RECORDS) if (!parts.has(name)) throw outside(`no "${name}" record`);
  const part = (name: (typeof PROBE_RECORDS)[number]) => parts.get(name) ?? '';
  const head = new Map<string, string>();
  for (const line of part('facts').split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq) : '';
    if (!FACTS.has(key) || head.has(key)) throw outside(`fact line "${line.slice(0, 60)}"`);
    head.set(key, line.slice(eq + 1));
  }
  const live = head.get('live');
  const liveMatch = live ? /^(\d+:\d+) \d+ \d+ \d+$/.exec(live) : null;
  const space = /^(\d+) (\d+) (\d+) (\d+)$/.exec(head.get('space') ?? '');
  const du = /^(\d+)\s/.exec(part('du'));
  const mountPoints = part('mountinfo')
    .split('\n')
    .map((l) => unescapeMountPath(l.split(' ')[4] ?? ''))
    .filter((p) => p !== '');
  const inodeTotal = space ? Number(space[4]) : 0;
  const error = head.get('error');
  const parentDevice = head.get('parent')?.split(':')[0];
  const fsType = head.get('fstype');
  return {
    ...(error !== undefined ? { error } : {}),
    ...(parentDevice !== undefined ? { parentDevice } : {}),
    ...(fsType !== undefined ? { fsType: fsType.toLowerCase().replace(/^0x/, '') } : {}),
    ...(live !== undefined ? { live: liveMatch ? 'directory' : live } : {}),
    ...(liveMatch?.[1] !== undefined ? { liveId: liveMatch[1] } : {}),
    writable: head.get('writable') === 'yes',
    availableBytes: space ? Number(space[1]) * Number(space[2]) : 0,
    // Some filesystems (btrfs, some network ones) report no inode counts: nothing to check.
    availableInodes: space && inodeTotal > 0 ? Number(space[3]) : undefined,
    duBytes: du ? Number(du[1]) * 1024 : 0,
    mountPoints,
  };
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040, \011, \012, \134). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
