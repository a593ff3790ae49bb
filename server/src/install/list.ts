import * as l10n from '@vscode/l10n';
import type { ListPluginsResult, Workload, WorkloadPlugins } from '../../../protocol/src';
import type { ListPluginsParams, ParsedParams } from '../../../protocol/src/params';
import { readArchiveEntries } from '../archive/pluginTar';
import { BerthError, NotFoundError, OperationFailedError, errorMessage } from '../errors';
import { lockHolder } from '../locks';
import { requestedRoot, type PluginDeps } from './context';
import { classify, listingFromArchive, listingFromEvents, wantsMarker, type RawListing } from './listing';
import { pluginRootSource, resolvePluginRoot } from './root';
import { NoShellError, runScript } from './runner';
import { ScriptExit } from './script';
import { readSources } from './sources';

/** The params of berth/plugins/list (protocol/src/params/plugins.ts). */
export type ListRequest = ParsedParams<typeof ListPluginsParams>;

const CONCURRENCY = 4;
const LIST_EXEC_MS = 15_000;

/**
 * Lists plugins per workload: one exec of the script's `list` (shell builtins only, no forks),
 * or, in a container without a shell (or a stopped one), the engine's archive of the root,
 * parsed as it streams. Without a workload: every running workload whose root exists.
 */
export async function listPlugins(deps: PluginDeps, request: ListRequest, signal: AbortSignal): Promise<ListPluginsResult> {
  const workloads = request.workload ? [await deps.workloads.resolve(request.workload, signal)] : await deps.workloads.list(false, signal);
  const results: WorkloadPlugins[] = new Array<WorkloadPlugins>(workloads.length);
  let next = 0;
  const worker = async () => {
    while (next < workloads.length) {
      const index = next++;
      results[index] = await listOne(deps, workloads[index] as Workload, request.root, signal);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, workloads.length) }, worker));
  const shown = request.workload || request.includeEmpty ? results : results.filter((w) => w.rootExists || w.error !== undefined);
  return { workloads: shown };
}

async function listOne(deps: PluginDeps, workload: Workload, rootOverride: string | undefined, signal: AbortSignal): Promise<WorkloadPlugins> {
  let root: string;
  let rootSource: WorkloadPlugins['rootSource'];
  const requested = requestedRoot(deps, rootOverride);
  try {
    const resolved = resolvePluginRoot(workload, requested);
    root = resolved.path;
    rootSource = resolved.source;
  } catch (error) {
    return { workload, root: '', rootSource: pluginRootSource(workload, requested), rootExists: false, plugins: [], leftovers: [], via: 'exec', error: errorOf(error) };
  }
  const base = { workload, root, rootSource };
  try {
    let raw: RawListing;
    let via: WorkloadPlugins['via'] = 'exec';
    // Never exec into a workload another Berth operation holds: a capture may be pausing it, and
    // an exec that races a pause hangs in the frozen cgroup and wedges dockerd's exec store for
    // every container (seen with dockerd 20.10). The archive endpoint works on paused containers.
    const busy = await lockHolder(deps.stateDir(), 'workload', workload.identity.key);
    if (workload.state === 'running' && !busy && !deps.noShell.has(workload.id)) {
      try {
        // A container paused (or stuck) between the exec's create and start would hold the
        // listing forever; one workload's listing gives up after a while instead.
        const limit = AbortSignal.timeout(LIST_EXEC_MS);
        const result = await runScript(deps.engine(), { containerId: workload.id, via: 'exec' }, { op: 'list', root, env: deps.env, signal: AbortSignal.any([signal, limit]) }).catch(
          (error: unknown) => {
            if (limit.aborted && !signal.aborted) {
              throw new OperationFailedError(l10n.t('Listing the plugins of {0} timed out after {1} s: the container may be paused or stuck.', workload.name, LIST_EXEC_MS / 1000));
            }
            throw error;
          },
        );
        if (result.exitCode !== ScriptExit.Done) throw new Error(`the list script ended with exit code ${result.exitCode}: ${result.stderr.trim()}`);
        raw = listingFromEvents(result.events);
      } catch (error) {
        if (!(error instanceof NoShellError)) throw error;
        deps.noShell.add(workload.id);
        raw = await listByArchive(deps, workload.id, root, signal);
        via = 'archive';
      }
    } else {
      raw = await listByArchive(deps, workload.id, root, signal);
      via = 'archive';
    }
    const sources = await readSources(deps.stateDir(), workload.identity.key);
    const holder = await lockHolder(deps.stateDir(), 'workload', workload.identity.key);
    return { ...base, rootExists: raw.rootExists, ...classify(raw, root, sources), via, ...(holder ? { busy: holder.operation } : {}) };
  } catch (error) {
    return { ...base, rootExists: false, plugins: [], leftovers: [], via: 'exec', error: errorOf(error) };
  }
}

async function listByArchive(deps: PluginDeps, id: string, root: string, signal: AbortSignal): Promise<RawListing> {
  let stream;
  try {
    stream = await deps.engine().getArchive(id, root, signal);
  } catch (error) {
    if (error instanceof NotFoundError) return { rootExists: false, live: [], previous: [], staging: [], junkPrevious: 0 };
    throw error;
  }
  return listingFromArchive(await readArchiveEntries(stream, wantsMarker));
}

function errorOf(error: unknown): { code: number; message: string } {
  return error instanceof BerthError ? { code: error.code, message: error.message } : { code: -32603, message: errorMessage(error) };
}
