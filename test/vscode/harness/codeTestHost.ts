// A stand-in for the desktop VS Code executable that @vscode/test-electron's runTests() starts:
// it takes the same arguments, runs the extension tests in the VS Code server that code-server
// bundles (opened in headless Chromium), forwards the extension host's console, and exits with
// the code the workbench reports through `codeAutomationExit`. code-test-host.sh runs
// main/codeTestHost.ts, which calls runTestHost().
import { resolve } from 'node:path';
import { openWorkbench, type OpenWorkbench } from './browser';
import { startVsCodeServer, type VsCodeServer } from './server';

export interface TestHostArgs {
  readonly extensionDevelopmentPaths: string[];
  readonly extensionTestsPath: string | undefined;
  readonly userDataDir: string | undefined;
  readonly extensionsDir: string | undefined;
  /** The folder (or file) to open, as desktop VS Code takes it. */
  readonly folder: string | undefined;
}

const VALUE_FLAGS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);

/** Parses desktop-style arguments: `--name=value`, `--name value`, flags, and a positional folder. */
export function parseTestHostArgs(argv: readonly string[]): TestHostArgs {
  const devPaths: string[] = [];
  const values = new Map<string, string>();
  let folder: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const flag = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!flag) {
      folder ??= resolve(arg);
      continue;
    }
    const name = flag[1] as string;
    if (!VALUE_FLAGS.has(name)) continue; // --no-sandbox, --disable-updates, …: desktop-only.
    const value = flag[2] ?? argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    if (name === 'extensionDevelopmentPath') devPaths.push(resolve(value));
    else values.set(name, resolve(value));
  }
  return {
    extensionDevelopmentPaths: devPaths,
    extensionTestsPath: values.get('extensionTestsPath'),
    userDataDir: values.get('user-data-dir'),
    extensionsDir: values.get('extensions-dir'),
    folder,
  };
}

/** The workbench URL whose payload makes it load the extension under test and run its tests. */
export function testWorkbenchUrl(server: VsCodeServer, args: TestHostArgs): string {
  const remote = (path: string) => `vscode-remote://127.0.0.1:${server.port}${path}`;
  const payload: [string, string][] = [
    ...args.extensionDevelopmentPaths.map((p): [string, string] => ['extensionDevelopmentPath', remote(p)]),
    ...(args.extensionTestsPath ? [['extensionTestsPath', remote(args.extensionTestsPath)] as [string, string]] : []),
    // With a debug ID the extension host's console reaches the page, prefixed "[Extension Host]".
    ['debugId', 'berth-tests'],
  ];
  return server.url({ ...(args.folder ? { folder: args.folder } : {}), payload: JSON.stringify(payload) });
}

const EXTENSION_HOST = '[Extension Host]';

/** The page's copy of an extension host console line, without its %c styling. */
export function extensionHostLine(text: string): string | undefined {
  const at = text.indexOf(EXTENSION_HOST);
  if (at < 0) return undefined;
  return text
    .slice(at + EXTENSION_HOST.length)
    .replace(/%c/g, '')
    .replace(/\s*color: [^\n]*$/, '')
    .replace(/^ /, '')
    .trimEnd();
}

export async function runTestHost(argv: readonly string[]): Promise<number> {
  const args = parseTestHostArgs(argv);
  if (!args.extensionTestsPath) {
    process.stderr.write('code-test-host: --extensionTestsPath is required\n');
    return 2;
  }
  const timeoutMs = Number(process.env.BERTH_TEST_HOST_TIMEOUT_MS ?? 600_000);
  let server: VsCodeServer | undefined;
  let browser: OpenWorkbench | undefined;
  let cleaningUp: Promise<void> | undefined;
  const cleanup = () =>
    (cleaningUp ??= (async () => {
      await browser?.close().catch((e: unknown) => process.stderr.write(`code-test-host: closing the browser: ${String(e)}\n`));
      await server?.stop().catch((e: unknown) => process.stderr.write(`code-test-host: stopping the server: ${String(e)}\n`));
    })());
  const interrupted = new Promise<number>((resolveExit) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolveExit(130));
  });
  try {
    server = await startVsCodeServer({
      ...(args.userDataDir ? { userDataDir: args.userDataDir } : {}),
      ...(args.extensionsDir ? { extensionsDir: args.extensionsDir } : {}),
      ...(process.env.BERTH_VSCODE_VERBOSE === '1' ? { onOutput: (line: string) => process.stderr.write(`[server] ${line}\n`) } : {}),
    });
    let reportExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolveExit) => (reportExit = resolveExit));
    browser = await openWorkbench(testWorkbenchUrl(server, args), {
      expose: { codeAutomationExit: (code: number) => reportExit(Number(code)) },
      onConsole: (text) => {
        const line = extensionHostLine(text);
        if (line !== undefined) process.stdout.write(`${line}\n`);
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<number>((resolveExit) => {
      timer = setTimeout(() => {
        process.stderr.write(`code-test-host: the tests did not finish within ${timeoutMs} ms\n`);
        resolveExit(1);
      }, timeoutMs);
    });
    const code = await Promise.race([exited, timedOut, interrupted]);
    clearTimeout(timer);
    return code;
  } catch (error) {
    process.stderr.write(`code-test-host: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  } finally {
    await cleanup();
  }
}
