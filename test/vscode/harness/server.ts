// Starts the VS Code server that code-server bundles (lib/vscode/out/server-main.js) in fresh
// folders, with chosen user settings and environment, and stops it again by its process group.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { codeServerDir, serverMain } from './paths';
import { spawnGroup, stopGroup } from './processes';

export interface VsCodeServerOptions {
  /** User settings, merged over the harness's defaults. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Extra environment for the server, and so for the extension host and the Berth backend. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A .vsix to install into the fresh extensions folder before the server starts. */
  readonly vsix?: string;
  /** Use these folders instead of fresh ones (test-electron passes its own). */
  readonly userDataDir?: string;
  readonly extensionsDir?: string;
  /** Every line the server prints (its log is noisy; default: dropped). */
  readonly onOutput?: (line: string) => void;
  /** How long to wait for "Extension host agent listening"; default 120 s. */
  readonly startTimeoutMs?: number;
  /**
   * Let the workbench show dialogs (modal confirmations). The smoke-test driver, which the
   * vscode-API tests need for `codeAutomationExit`, makes the workbench refuse every dialog;
   * UI tests that click through a modal dialog turn it off. Default false.
   */
  readonly dialogs?: boolean;
}

export interface VsCodeServer {
  readonly port: number;
  readonly pid: number;
  /** Holds every folder this server uses; removed by stop(). */
  readonly root: string;
  /** An empty folder to open as the workspace. */
  readonly workspace: string;
  /** BERTH_STATE_DIR of the backend, unless the caller's env set another. */
  readonly stateDir: string;
  readonly userDataDir: string;
  /** `http://127.0.0.1:PORT/?folder=...` plus any extra query. */
  url(query?: Readonly<Record<string, string>>): string;
  stop(): Promise<void>;
}

/** Defaults that keep the workbench quiet and the screenshots clean. */
export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
};

const execFileAsync = promisify(execFile);

export async function startVsCodeServer(options: VsCodeServerOptions = {}): Promise<VsCodeServer> {
  const codeServer = codeServerDir();
  const root = mkdtempSync(join(tmpdir(), 'berth-vscode-'));
  let pid: number | undefined;
  try {
    const dirs = {
      userData: options.userDataDir ?? join(root, 'user-data'),
      serverData: join(root, 'server-data'),
      extensions: options.extensionsDir ?? join(root, 'extensions'),
      workspace: join(root, 'workspace'),
      state: join(root, 'berth-state'),
      tmp: join(root, 'tmp'),
      xdg: join(root, 'xdg'),
    };
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    mkdirSync(join(dirs.userData, 'User'), { recursive: true });
    writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...options.settings }, null, 2));

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // The server's IPC sockets and the backend's temporary files land inside `root`, which
      // stop() removes, instead of piling up in /tmp.
      TMPDIR: dirs.tmp,
      XDG_RUNTIME_DIR: dirs.tmp,
      XDG_CONFIG_HOME: join(dirs.xdg, 'config'),
      XDG_DATA_HOME: join(dirs.xdg, 'data'),
      XDG_CACHE_HOME: join(dirs.xdg, 'cache'),
      BERTH_STATE_DIR: dirs.state,
      ...options.env,
    };
    const common = [
      '--accept-server-license-terms',
      '--user-data-dir', dirs.userData,
      '--server-data-dir', dirs.serverData,
      '--extensions-dir', dirs.extensions,
    ];
    if (options.vsix) {
      const { stdout } = await execFileAsync(process.execPath, [serverMain(codeServer), ...common, '--install-extension', options.vsix], { env, timeout: 180_000 });
      if (!/successfully installed/i.test(stdout)) throw new Error(`Installing ${options.vsix} failed:\n${stdout}`);
    }

    const child = spawnGroup(
      process.execPath,
      [
        serverMain(codeServer),
        ...common,
        '--host', '127.0.0.1',
        '--port', '0',
        '--without-connection-token',
        ...(options.dialogs ? [] : ['--enable-smoke-test-driver']),
        '--disable-workspace-trust',
        '--telemetry-level', 'off',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    pid = child.pid;
    const port = await listeningPort(child, options.onOutput, options.startTimeoutMs ?? 120_000);
    const serverPid = child.pid as number;
    let stopped: Promise<void> | undefined;
    return {
      port,
      pid: serverPid,
      root,
      workspace: dirs.workspace,
      stateDir: env.BERTH_STATE_DIR ?? dirs.state,
      userDataDir: dirs.userData,
      url: (query = {}) => {
        const params = new URLSearchParams({ folder: dirs.workspace, ...query });
        return `http://127.0.0.1:${port}/?${params.toString()}`;
      },
      stop: () => {
        stopped ??= (async () => {
          try {
            await stopGroup(serverPid);
          } finally {
            rmSync(root, { recursive: true, force: true });
          }
        })();
        return stopped;
      },
    };
  } catch (error) {
    await stopGroup(pid).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

function listeningPort(child: ReturnType<typeof spawnGroup>, onOutput: ((line: string) => void) | undefined, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let settled = false;
    const finish = (error: Error | undefined, port?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(port as number);
    };
    const timer = setTimeout(() => finish(new Error(`The VS Code server did not listen within ${timeoutMs} ms:\n${seen.slice(-4000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (!settled) seen += text;
      if (onOutput) for (const line of text.split('\n')) if (line.trim()) onOutput(line);
      const match = /Extension host agent listening on (\d+)/.exec(seen);
      if (match) finish(undefined, Number(match[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => finish(new Error(`The VS Code server exited (${code ?? signal}) before listening:\n${seen.slice(-4000)}`)));
    child.once('error', (error) => finish(error));
  });
}
