import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import { CancelledError, OperationFailedError } from '../errors';

export interface LocalRunOptions {
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Receives stdout as it arrives (with backpressure); otherwise stdout is collected. */
  readonly stdout?: Writable;
  readonly signal?: AbortSignal;
  /** Cap on collected stdout/stderr each; default 16 MiB. */
  readonly maxOutputBytes?: number;
}

export interface LocalRunResult {
  readonly exitCode: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs a program on this machine with an argv (never a shell command line). Cancellation sends
 * SIGTERM, which Berth's scripts trap to clean up after themselves.
 */
export function runLocal(file: string, args: readonly string[], options: LocalRunOptions): Promise<LocalRunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const child = spawn(file, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const limit = options.maxOutputBytes ?? 16 * 1024 * 1024;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outSize = 0;
    let errSize = 0;
    if (options.stdout) {
      child.stdout.pipe(options.stdout, { end: false });
    } else {
      child.stdout.on('data', (chunk: Buffer) => {
        if (outSize < limit) out.push(chunk);
        outSize += chunk.length;
      });
    }
    child.stderr.on('data', (chunk: Buffer) => {
      if (errSize < limit) err.push(chunk);
      errSize += chunk.length;
    });
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (error.code === 'ENOENT') {
        reject(new OperationFailedError(l10n.t('"{0}" is not installed on this machine, and Berth needs it here.', file), { detail: 'ENOENT' }));
      } else {
        reject(error);
      }
    });
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) {
        reject(new CancelledError());
        return;
      }
      resolve({ exitCode: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

const GIT_LOCATION_VARS = /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|COMMON_DIR|NAMESPACE|PREFIX|CONFIG_PARAMETERS|CONFIG_COUNT|CONFIG_KEY_\d+|CONFIG_VALUE_\d+|CEILING_DIRECTORIES|DISCOVERY_ACROSS_FILESYSTEM)$/;

/**
 * Environment for git on the user's own repo: their configuration applies, but variables that
 * would point git at another repo or index (set, say, when the CLI runs from a git hook) do not.
 */
export function userGitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!GIT_LOCATION_VARS.test(key)) env[key] = value;
  return { ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}

/**
 * Environment for git on a repo copied out of a container. No configuration of this machine
 * applies (system, global, XDG: the user's excludes, aliases or hooks have nothing to do with
 * the container's repo), and none of the container's either: the copy's git dirs are Berth's own
 * (freshGitDir.ts), whose config pins fsmonitor, hooks, attributes, pager, editor, ssh and
 * protocols off. Here: every GIT_* variable of this process is dropped, HOME and XDG_CONFIG_HOME
 * point at an empty folder, the system attributes file is not read, git never prompts, and with
 * `ceiling` it never looks for a repo above the copy.
 */
export function isolatedGitEnv(home: string, base: NodeJS.ProcessEnv = process.env, ceiling?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!key.startsWith('GIT_')) env[key] = value;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_PAGER: 'cat',
    ...(ceiling ? { GIT_CEILING_DIRECTORIES: ceiling } : {}),
    TMPDIR: home,
    LC_ALL: 'C',
  };
}
