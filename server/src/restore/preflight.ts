// Guard 1: where a snapshot's volumes go, derived ONLY from the workload's current container
// config (its mounts, matched by mount target), never from the sources the manifest recorded.
// All or nothing: every mismatch is collected and the restore refuses with the whole list before
// anything is touched.
import { posix } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { SnapshotManifest } from '../archive/manifest';
import { mountTargetProblem } from '../archive/paths';
import type { ContainerDetails, Engine } from '../engine/engine';
import { BerthError, RejectedError } from '../errors';
import { planMounts } from '../snapshots/capture';

export interface PlannedVolume {
  readonly index: number;
  readonly target: string;
  readonly type: 'volume' | 'bind';
  /** Volume name or bind host path, from the container's current config. */
  readonly source: string;
  readonly nested: readonly string[];
  /** The engine-host directory whose content is replaced. */
  readonly hostDir: string;
  readonly hostParent: string;
  readonly liveName: string;
  readonly bytes: number;
  readonly files: number;
  readonly entries: number;
}

export interface RestorePlan {
  readonly volumes: readonly PlannedVolume[];
  /** One helper mount per distinct parent directory. */
  readonly parents: readonly { readonly hostDir: string; readonly helperDir: string }[];
  readonly engineRoot: string;
}

type EngineMount = ContainerDetails['Mounts'][number];

/** Checks every manifest volume against the container's current mounts; throws listing all mismatches. */
export async function planRestore(engine: Engine, details: ContainerDetails, manifest: SnapshotManifest, signal?: AbortSignal): Promise<RestorePlan> {
  const engineRoot = normalizeHostPath((await engine.info(signal)).DockerRootDir) ?? '/var/lib/docker';
  const problems: string[] = [];
  const { volumes: capturable } = planMounts(details.Mounts, Object.keys(details.HostConfig?.Tmpfs ?? {}));
  const planned: PlannedVolume[] = [];
  for (const v of manifest.volumes) {
    const where = l10n.t('Volume {0} ({1})', v.index, v.target);
    const mounts = details.Mounts.filter((m) => m.Destination === v.target);
    const tmpfs = Object.keys(details.HostConfig?.Tmpfs ?? {}).includes(v.target);
    const mount: EngineMount | undefined = mounts[0];
    if (!mount) {
      problems.push(tmpfs ? l10n.t('{0}: the container mounts a tmpfs there now, which cannot be restored into.', where) : l10n.t('{0}: the container has no mount at {1} now.', where, v.target));
      continue;
    }
    if (mount.Type !== v.type) {
      problems.push(l10n.t('{0}: the snapshot holds a {1}, but {2} is a {3} mount now.', where, v.type, v.target, mount.Type));
      continue;
    }
    if (!mount.RW) {
      problems.push(l10n.t('{0}: the mount is read-only in the container; Berth does not restore into read-only mounts.', where));
      continue;
    }
    const current = capturable.find((c) => c.target === v.target);
    if (!current) {
      problems.push(l10n.t('{0}: the mount at {1} is an anonymous volume or otherwise not restorable.', where, v.target));
      continue;
    }
    let hostDir: string | undefined;
    if (mount.Type === 'volume') {
      hostDir = await volumeDataDir(engine, mount, where, engineRoot, problems, signal);
    } else {
      hostDir = normalizeHostPath(mount.Source);
      if (!hostDir) problems.push(l10n.t('{0}: the bind source "{1}" is not an absolute, normalized path.', where, mount.Source));
      else if (hostDir === '/') problems.push(l10n.t('{0}: the bind source is the root directory /, which is never replaced.', where));
      else if (hostDir === engineRoot || isInside(engineRoot, hostDir)) problems.push(l10n.t('{0}: the bind source {1} is the engine\'s data directory {2} or one of its ancestors.', where, hostDir, engineRoot));
      else if (isInside(hostDir, engineRoot)) problems.push(l10n.t('{0}: the bind source {1} lies inside the engine\'s data directory {2}.', where, hostDir, engineRoot));
    }
    if (!hostDir) continue;
    planned.push({
      index: v.index,
      target: v.target,
      type: v.type,
      source: current.source,
      nested: current.nested,
      hostDir,
      hostParent: posix.dirname(hostDir),
      liveName: posix.basename(hostDir),
      bytes: v.bytes,
      files: v.files,
      entries: v.entries.length,
    });
  }
  for (const a of planned) {
    for (const b of planned) {
      if (a.index >= b.index) continue;
      if (a.hostDir === b.hostDir) problems.push(l10n.t('Volumes {0} and {1} ({2}, {3}) are the same directory {4} on the engine host.', a.index, b.index, a.target, b.target, a.hostDir));
      else if (isInside(a.hostDir, b.hostDir) || isInside(b.hostDir, a.hostDir)) {
        problems.push(l10n.t('Volumes {0} and {1} overlap on the engine host ({2} and {3}): one cannot be swapped without moving the other.', a.index, b.index, a.hostDir, b.hostDir));
      }
    }
  }
  if (problems.length > 0) {
    throw new RejectedError(
      l10n.t('The snapshot does not fit {0} as it is configured now, so nothing was changed:\n{1}', details.Name.replace(/^\//, ''), problems.map((p) => `- ${p}`).join('\n')),
      { detail: 'mismatch' },
    );
  }
  const parents: { hostDir: string; helperDir: string }[] = [];
  for (const v of planned) {
    if (!parents.some((p) => p.hostDir === v.hostParent)) parents.push({ hostDir: v.hostParent, helperDir: `/berth/p${parents.length}` });
  }
  return { volumes: planned, parents, engineRoot };
}

async function volumeDataDir(engine: Engine, mount: EngineMount, where: string, engineRoot: string, problems: string[], signal?: AbortSignal): Promise<string | undefined> {
  const name = mount.Name ?? '';
  let volume;
  try {
    volume = await engine.inspectVolume(name, signal);
  } catch (error) {
    if (error instanceof BerthError && error.codeName === 'NotFound') {
      problems.push(l10n.t('{0}: the volume {1} does not exist any more.', where, name));
      return undefined;
    }
    throw error;
  }
  if (volume.Driver !== 'local') {
    problems.push(l10n.t('{0}: the volume {1} uses the driver "{2}"; only local volumes can be swapped by rename.', where, name, volume.Driver));
    return undefined;
  }
  if (volume.Options && Object.keys(volume.Options).length > 0) {
    // A local volume with options mounts a device or another directory over _data while in use.
    problems.push(l10n.t('{0}: the volume {1} has driver options ({2}); its data is mounted over its directory, which a rename cannot swap.', where, name, Object.keys(volume.Options).join(', ')));
    return undefined;
  }
  const dir = normalizeHostPath(volume.Mountpoint);
  if (!dir || !dir.endsWith(`/volumes/${name}/_data`)) {
    problems.push(l10n.t('{0}: the volume {1} has an unexpected data directory "{2}".', where, name, volume.Mountpoint));
    return undefined;
  }
  if (dir === engineRoot || !isInside(dir, engineRoot)) {
    problems.push(l10n.t('{0}: the data directory {1} of volume {2} is not inside the engine\'s data directory {3}.', where, dir, name, engineRoot));
    return undefined;
  }
  return dir;
}

/** An absolute, normalized POSIX path, or undefined. */
function normalizeHostPath(path: string): string | undefined {
  if (path === '/') return '/';
  return mountTargetProblem(path) ? undefined : path;
}

/** Whether `path` lies strictly inside `dir`. */
function isInside(path: string, dir: string): boolean {
  return dir === '/' ? path !== '/' : path.startsWith(`${dir}/`);
}
