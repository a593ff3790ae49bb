import { parseArgs } from 'node:util';
import * as l10n from '@vscode/l10n';
import { ErrorCodes, ExitCodes, exitCodeFor, type ExitCode } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import type { Log } from '../../server/src/log';
import { parseEndpoint } from '../../server/src/engine/endpoint';
import { cutLongRuns, echo } from '../../server/src/echo';
import { BerthError, RejectedError, errorMessage } from '../../server/src/errors';
import { fsError } from '../../server/src/state/fsErrors';
import { BERTH_VERSION } from '../../server/src/version';
import type { CliIo, CommandSpec, OptionSpec } from './command';
import { recoverCommands, restoreCommands } from './commands/restore';
import { pluginCommands } from './commands/plugins';
import { scheduleCommands } from './commands/schedule';
import { snapshotCommands } from './commands/snapshots';
import { workloadCommands } from './commands/workloads';
import { workspaceCommands } from './commands/workspace';

const COMMANDS: readonly CommandSpec<never>[] = [...workloadCommands, ...pluginCommands, ...snapshotCommands, ...scheduleCommands, ...restoreCommands, ...workspaceCommands, ...recoverCommands];

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', description: 'print exactly one JSON document on stdout' },
  'docker-host': { type: 'string', description: 'engine endpoint (wins over DOCKER_HOST)' },
  verbose: { type: 'boolean', description: 'print progress on stderr' },
  help: { type: 'boolean', description: 'show help' },
};

class UsageError extends Error {}

/**
 * Runs one `berth` invocation in-process over the same backend modules the extension uses.
 * Returns the exit code; never throws.
 */
export async function runCli(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<ExitCode> {
  const json = argv.includes('--json');
  let stateDir: string | undefined;
  try {
    const bare = argv.filter((a) => a !== '--json');
    if (bare.length === 1 && (bare[0] === '--version' || bare[0] === '-v')) {
      io.out(json ? JSON.stringify({ version: BERTH_VERSION }) : BERTH_VERSION);
      return ExitCodes.Ok;
    }
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(helpText());
      return ExitCodes.Ok;
    }
    const oneWord = COMMANDS.find((c) => c.resource === argv[0] && c.verb === '');
    const [resource, verb, ...rest] = oneWord ? [oneWord.resource, '', ...argv.slice(1)] : argv;
    const command = oneWord ?? COMMANDS.find((c) => c.resource === resource && c.verb === verb);
    if (!command) {
      const known = COMMANDS.some((c) => c.resource === resource);
      // Options are not part of the command's name (`berth frob --json`).
      const named = [resource, verb].filter((w): w is string => w !== undefined && !w.startsWith('-')).join(' ');
      throw new UsageError(
        known
          ? l10n.t('Unknown command "{0}". {1}', echo(named), resourceHelp(echo(resource ?? '')))
          : l10n.t('Unknown command "{0}". Run "berth --help".', echo(named || argv[0] || '')),
      );
    }
    const optionSpecs = { ...GLOBAL_OPTIONS, ...(command.options ?? {}) };
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: [...rest],
        options: Object.fromEntries(Object.entries(optionSpecs).map(([name, spec]) => [name, { type: spec.type }])),
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw new UsageError(l10n.t('{0}\nUsage: {1}', errorMessage(error), usageLine(command)));
    }
    if (parsed.values.help) {
      io.out(commandHelp(command));
      return ExitCodes.Ok;
    }
    const { min, max } = command.positionals;
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new UsageError(
        l10n.t('"{0}" takes {1} argument(s), not {2}.\nUsage: {3}', ['berth', command.resource, command.verb].filter(Boolean).join(' '), min === max ? String(min) : `${min}-${max}`, parsed.positionals.length, usageLine(command)),
      );
    }
    const dockerHost = parsed.values['docker-host'];
    // An empty value would silently fall back to DOCKER_HOST or the default engine.
    if (typeof dockerHost === 'string' && dockerHost.trim() === '') {
      throw new RejectedError(l10n.t('--docker-host needs an endpoint such as unix:///var/run/docker.sock, tcp://host:port or ssh://user@host; it was empty.'), { detail: dockerHost });
    }
    // Checked here so that an unusable value is blamed on the option, not on a setting.
    if (typeof dockerHost === 'string') parseEndpoint(dockerHost.trim(), 'setting', env, '--docker-host');
    const verbose = parsed.values.verbose === true;
    // Warnings always reach stderr; information only with --verbose.
    const log: Log = { info: (m) => verbose && io.err(m), warn: (m) => io.err(`berth: ${m}`), error: (m) => io.err(`berth: ${m}`) };
    const backend = new Backend({ settings: typeof dockerHost === 'string' ? { dockerHost } : {}, env, log });
    stateDir = backend.stateDir;
    // A request's own plugin root is the --root option here: messages name it so.
    backend.plugins.requestRootFrom = '--root';
    // Every CLI start runs the start-up recovery, as the backend does before it serves; a
    // command that changes workloads first stores what it deferred (docs/restore.md).
    await backend.recoverAtStartup();
    if (command.touchesWorkloads) await backend.finishRecovery();
    const result = await command.run(
      { positionals: parsed.positionals, options: parsed.values as Record<string, string | boolean | undefined>, io },
      backend,
      {
        signal: signal ?? new AbortController().signal,
        progress: { report: (message, pct) => verbose && io.err(pct === undefined ? message : `${message} (${Math.round(pct)}%)`) },
      },
    );
    if (json) io.out(JSON.stringify(result, null, 2));
    else command.print(result, io);
    return command.exitCode?.(result) ?? ExitCodes.Ok;
  } catch (error) {
    return reportError(error, json, io, stateDir);
  }
}

function reportError(thrown: unknown, json: boolean, io: CliIo, stateDir: string | undefined): ExitCode {
  // An OS error about a file (a state folder that is a file, a read-only or full disk) gets
  // its typed message naming the path, never "failed unexpectedly".
  const error = thrown instanceof BerthError ? thrown : (fsError(thrown, stateDir) ?? thrown);
  let code: number;
  let name: string;
  let message: string;
  let exit: ExitCode;
  let data: Readonly<Record<string, string>> = {};
  if (error instanceof UsageError) {
    code = ErrorCodes.InvalidParams;
    name = 'Usage';
    message = error.message;
    exit = ExitCodes.Usage;
  } else if (error instanceof BerthError) {
    code = error.code;
    name = error.codeName;
    message = error.message;
    exit = exitCodeFor(error.code);
    // Multi-step operations name the failed step and what was rolled back (docs/plugins.md).
    // The step or archive entry an error is about, and what was rolled back (docs/plugins.md,
    // docs/snapshots.md).
    data = {
      ...(error.extra.step ? { step: error.extra.step } : {}),
      ...(error.extra.path !== undefined ? { path: error.extra.path } : {}),
      ...(error.extra.rollback ? { rollback: error.extra.rollback } : {}),
    };
  } else {
    code = ErrorCodes.InternalError;
    name = 'InternalError';
    message = l10n.t('berth failed unexpectedly: {0}', errorMessage(error));
    exit = ExitCodes.Failed;
  }
  // Overlong runs (a 5,000-character path in a container's answer) are cut for reading; --json's
  // `path` keeps the whole value.
  message = cutLongRuns(message);
  if (json) io.out(JSON.stringify({ error: { code, name, message, ...data } }));
  else io.err(`berth: ${message}`);
  return exit;
}

function usageLine(c: CommandSpec<never>): string {
  const opts = Object.keys(c.options ?? {}).map((o) => `[--${o}${c.options?.[o]?.type === 'string' ? ' V' : ''}]`);
  return ['berth', c.resource, c.verb, c.args, ...opts, '[--json]'].filter(Boolean).join(' ');
}

function commandHelp(c: CommandSpec<never>): string {
  const lines = [`Usage: ${usageLine(c)}`, '', c.summary, '', 'Options:'];
  for (const [name, spec] of Object.entries({ ...(c.options ?? {}), ...GLOBAL_OPTIONS })) {
    lines.push(`  --${name}${spec.type === 'string' ? ' V' : ''}`.padEnd(24) + spec.description);
  }
  return lines.join('\n');
}

function resourceHelp(resource: string): string {
  const verbs = COMMANDS.filter((c) => c.resource === resource).map((c) => c.verb);
  return l10n.t('"berth {0}" takes: {1}.', resource, verbs.join(', '));
}

function helpText(): string {
  const lines = [
    `berth ${BERTH_VERSION}: Docker workload operations from scripts and CI.`,
    '',
    'Usage: berth <resource> <verb> [args] [--json]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${[c.resource, c.verb, c.args].filter(Boolean).join(' ').padEnd(44)}${c.summary}`),
    '',
    'Global options:',
    ...Object.entries(GLOBAL_OPTIONS).map(([n, s]) => `  ${`--${n}${s.type === 'string' ? ' V' : ''}`.padEnd(22)}${s.description}`),
    '',
    'Exit codes: 0 ok, 1 failed, 2 usage, 3 busy, 4 not found, 5 rejected input, 6 engine unreachable.',
    'Environment: DOCKER_HOST (engine endpoint), BERTH_STATE_DIR (where records are kept),',
    '  BERTH_PLUGINS_ROOT (default plugin root), BERTH_HELPER_IMAGE (helper image for workloads without a shell).',
  ];
  return lines.join('\n');
}
