// Where the repository, the VS Code server (from code-server) and the packaged extension are.
// Tests and the test-host wrapper are bundled into out/, so paths are found by walking up to the
// repository's package.json instead of being computed relative to a source file.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function repoRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'berth') return dir;
    if (dirname(dir) === dir) throw new Error(`No Berth package.json above ${start}`);
  }
}

/**
 * The code-server package folder: BERTH_CODE_SERVER (scripts/test.sh exports it), else whatever
 * scripts/ensure-vscode-host.sh installs or finds (it prints the folder on its last line).
 */
export function codeServerDir(): string {
  const fromEnv = process.env.BERTH_CODE_SERVER?.trim();
  const dir = fromEnv || ensureVsCodeHost();
  if (!existsSync(serverMain(dir))) throw new Error(`${dir} holds no VS Code server (lib/vscode/out/server-main.js); run scripts/ensure-vscode-host.sh`);
  return dir;
}

function ensureVsCodeHost(): string {
  const out = execFileSync('bash', [join(repoRoot(), 'scripts', 'ensure-vscode-host.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = out.trim().split('\n').pop();
  if (!last) throw new Error('scripts/ensure-vscode-host.sh printed no folder');
  return last.trim();
}

export function serverMain(codeServer: string): string {
  return join(codeServer, 'lib', 'vscode', 'out', 'server-main.js');
}

/** dist/berth.vsix, built by `npm run package`. */
export function vsixPath(): string {
  const vsix = join(repoRoot(), 'dist', 'berth.vsix');
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing; run \`npm run package\` first`);
  return vsix;
}

export const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';

/** The extension's ID as VS Code knows it (publisher.name). */
export const EXTENSION_ID = 'berth.berth';
