// One VS Code as a person sees it: the server with Berth installed from dist/berth.vsix, opened
// in headless Chromium. UI tests start one per file and stop it in `after`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openWorkbench, type OpenWorkbench } from './browser';
import { repoRoot, vsixPath } from './paths';
import { startVsCodeServer, type VsCodeServer, type VsCodeServerOptions } from './server';

export interface VsCodeSession {
  readonly server: VsCodeServer;
  readonly page: Page;
  /** Saves a PNG of the whole window to test-artifacts/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface SessionOptions extends Omit<VsCodeServerOptions, 'vsix'> {
  /** Print the server's and the page's output (for debugging a failing test). */
  readonly verbose?: boolean;
}

export async function startSession(options: SessionOptions = {}): Promise<VsCodeSession> {
  const verbose = options.verbose ?? process.env.BERTH_VSCODE_VERBOSE === '1';
  const server = await startVsCodeServer({
    ...options,
    vsix: vsixPath(),
    ...(verbose ? { onOutput: (line: string) => console.log(`[server] ${line}`) } : {}),
  });
  let browser: OpenWorkbench | undefined;
  try {
    browser = await openWorkbench(server.url(), verbose ? { onConsole: (text) => console.log(`[page] ${text}`) } : {});
  } catch (error) {
    await server.stop();
    throw error;
  }
  const open = browser;
  return {
    server,
    page: open.page,
    screenshot: async (name) => {
      const dir = join(repoRoot(), 'test-artifacts');
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${name}.png`);
      await open.page.screenshot({ path });
      return path;
    },
    stop: async () => {
      try {
        await open.close();
      } finally {
        await server.stop();
      }
    },
  };
}
