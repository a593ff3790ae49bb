import type { ListPluginsResult, Workload, WorkloadPlugins } from '../../../protocol/src';
import { readArchiveEntries } from '../archive/pluginTar';
import { BerthError, NotFoundError, errorMessage } from '../errors';
import { lockHolder } from '../locks';
import type { PluginDeps } from './context';
import { classify, listingFromArchive, listingFromEvents, wantsMarker, type RawListing } from './listing';
import { resolvePluginRoot } from './root';
import { NoShellError, runScript } from './runner';
import { ScriptExit } from './script';
import { readSources } from './sources';

export interface ListRequest {
  readonly workload?: string;
  readonly root?: string;
  readonly includeEmpty?: boolean;
}

const CONCURRENCY = 4;

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
  try {
    const resolved = resolvePluginRoot(workload, rootOverride ?? deps.pluginsRoot());
    root = resolved.path;
    rootSource = resolved.source;
  } catch (error) {
    return { workload, root: '', rootSource: 'label', rootExists: false, plugins: [], leftovers: [], via: 'exec', error: errorOf(error) };
  }
  const base = { workload, root, rootSource };
  try {
    let raw: RawListing;
    let via: WorkloadPlugins['via'] = 'exec';
    if (workload.state === 'running' && !deps.noShell.has(workload.id)) {
      try {
        const result = await runScript(deps.engine(), { containerId: workload.id, via: 'exec' }, { op: 'list', root, env: deps.env });
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
