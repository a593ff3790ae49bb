import { resolve } from 'node:path';
import type {
  InstallPluginResult,
  ListPluginsResult,
  PluginInfo,
  PluginRootSource,
  RemovePluginResult,
  RollbackPluginResult,
  SweepPluginsResult,
} from '../../../protocol/src';
import type { CommandInput, CommandSpec, OptionSpec } from '../command';
import { table } from '../format';
import { stringOption } from '../options';

const ROOT: OptionSpec = { type: 'string', description: 'plugin root in the container (else BERTH_PLUGINS_ROOT, else /configs/plugins; the label berth.plugins.root wins)' };
const WAIT: OptionSpec = { type: 'boolean', description: 'wait for another operation on the workload instead of failing with exit code 3' };

const ROOT_SOURCES: Readonly<Record<PluginRootSource, string>> = {
  label: 'the label berth.plugins.root',
  request: '--root',
  setting: 'the setting',
  environment: 'BERTH_PLUGINS_ROOT',
  default: 'the default',
};

function rootAndWait(input: CommandInput): { root: string | undefined; wait: boolean } {
  return { root: stringOption(input, 'root'), wait: input.options.wait === true };
}

function versionOf(p: { version?: string; stamp?: string }): string {
  return p.version ?? p.stamp ?? '-';
}

const list: CommandSpec<ListPluginsResult> = {
  resource: 'plugins',
  verb: 'list',
  args: '[<workload>]',
  summary: 'List plugins (complete or incomplete), their previous versions and leftovers.',
  positionals: { min: 0, max: 1 },
  options: { root: ROOT },
  run(input, backend, ctx) {
    return backend.plugins.list({ workload: input.positionals[0] || undefined, root: stringOption(input, 'root') }, ctx.signal);
  },
  print(result, io) {
    if (result.workloads.length === 0) {
      io.out('No running workload has a plugin root.');
      return;
    }
    for (const w of result.workloads) {
      io.out(`${w.workload.name}  ${w.root}${w.rootSource === 'default' ? '' : ` (from ${ROOT_SOURCES[w.rootSource]})`}${w.busy ? `  [busy: ${w.busy}]` : ''}`);
      if (w.error) {
        io.out(`  error: ${w.error.message}`);
        continue;
      }
      if (!w.rootExists) {
        io.out('  (the plugin root does not exist)');
        continue;
      }
      const rows = w.plugins.map((p: PluginInfo) => [
        `  ${p.name}`,
        p.state,
        versionOf(p),
        p.previous ? `${versionOf(p.previous)}${p.previous.complete ? '' : ' (incomplete)'}` : '-',
      ]);
      if (rows.length > 0) io.out(table(['  NAME', 'STATE', 'VERSION', 'PREVIOUS'], rows));
      else io.out('  (no plugins)');
      for (const l of w.leftovers) io.out(`  leftover ${l.kind}: ${l.path ?? '(unprintable name)'}`);
    }
  },
};

const install: CommandSpec<InstallPluginResult> = {
  resource: 'plugins',
  verb: 'install',
  args: '<workload> <folder>',
  summary: 'Install a plugin from a local folder atomically (stage, snapshot, swap, marker, gc).',
  positionals: { min: 2, max: 2 },
  options: { name: { type: 'string', description: 'plugin name (default: the folder\'s name)' }, root: ROOT, wait: WAIT },
  run(input, backend, ctx) {
    const [workload = '', folder = ''] = input.positionals;
    return backend.plugins.install({ workload, folder: resolve(folder), name: stringOption(input, 'name'), ...rootAndWait(input) }, ctx);
  },
  print(r, io) {
    io.out(`Installed ${r.name} ${r.version ?? ''} into ${r.workload}:${r.path} (stamp ${r.stamp}, ${r.files} files, ${r.bytes} bytes, via ${r.via}).`.replace('  ', ' '));
    if (r.previous) io.out(`The replaced version is kept as ${r.root}/.previous/${r.name}.${r.previous}; roll back with "berth plugins rollback ${r.workload} ${r.name}".`);
    if (r.gcRemoved > 0) io.out(`Deleted ${r.gcRemoved} older previous version(s).`);
    for (const s of r.swept) io.out(`Swept: ${s}`);
  },
};

const rollback: CommandSpec<RollbackPluginResult> = {
  resource: 'plugins',
  verb: 'rollback',
  args: '<workload> <name>',
  summary: 'Make the previous version live again; the replaced one becomes the previous.',
  positionals: { min: 2, max: 2 },
  options: { root: ROOT, wait: WAIT },
  run(input, backend, ctx) {
    const [workload = '', name = ''] = input.positionals;
    return backend.plugins.rollback({ workload, name, ...rootAndWait(input) }, ctx);
  },
  print(r, io) {
    io.out(`Rolled ${r.name} in ${r.workload} back to ${versionOf(r.restored)}.${r.replaced ? ` The replaced version is kept as the previous one.` : ''}`);
  },
};

const remove: CommandSpec<RemovePluginResult> = {
  resource: 'plugins',
  verb: 'remove',
  args: '<workload> <name>',
  summary: 'Remove a plugin and its previous versions.',
  positionals: { min: 2, max: 2 },
  options: { root: ROOT, wait: WAIT },
  run(input, backend, ctx) {
    const [workload = '', name = ''] = input.positionals;
    return backend.plugins.remove({ workload, name, ...rootAndWait(input) }, ctx);
  },
  print(r, io) {
    io.out(`Removed ${r.name} from ${r.workload}${r.previousRemoved > 0 ? ` with ${r.previousRemoved} previous version(s)` : ''}.`);
  },
};

const sweep: CommandSpec<SweepPluginsResult> = {
  resource: 'plugins',
  verb: 'sweep',
  args: '<workload>',
  summary: 'Recover interrupted plugin operations and delete leftovers.',
  positionals: { min: 1, max: 1 },
  options: { root: ROOT, wait: WAIT },
  run(input, backend, ctx) {
    return backend.plugins.sweep({ workload: input.positionals[0] ?? '', ...rootAndWait(input) }, ctx);
  },
  print(r, io) {
    if (r.recovered.length === 0 && r.removed.length === 0) {
      io.out(`Nothing to sweep in ${r.workload}:${r.root}.`);
      return;
    }
    for (const s of r.recovered) io.out(`Recovered: ${s}`);
    for (const s of r.removed) io.out(`Removed: ${r.root}/${s}`);
  },
};

export const pluginCommands: readonly CommandSpec<never>[] = [list, install, rollback, remove, sweep] as unknown as CommandSpec<never>[];
