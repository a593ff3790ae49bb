// Opens a workbench URL in headless Debian Chromium through playwright-core, with a fresh
// profile that close() removes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM } from './paths';

/** Flags that work for headless Chromium on this kind of machine (see TEST-ENV.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface BrowserOptions {
  /** Every console message of the page (the workbench forwards the extension host's there). */
  readonly onConsole?: (text: string) => void;
  /** Functions the page may call, installed before navigation (e.g. codeAutomationExit). */
  readonly expose?: Readonly<Record<string, (...args: never[]) => unknown>>;
  readonly viewport?: { readonly width: number; readonly height: number };
  /** JavaScript to run in the page before the workbench's own (e.g. to timestamp DOM changes). */
  readonly initScript?: string;
  /** How long to wait for `.monaco-workbench`; default 120 s. */
  readonly timeoutMs?: number;
}

export interface OpenWorkbench {
  readonly page: Page;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function openWorkbench(url: string, options: BrowserOptions = {}): Promise<OpenWorkbench> {
  const profile = mkdtempSync(join(tmpdir(), 'berth-chromium-'));
  let context: BrowserContext | undefined;
  const close = async () => {
    try {
      await context?.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      // Chromium also writes crash-report settings and dconf state under the XDG folders;
      // keep those in the throwaway profile instead of the user's home.
      env: {
        ...process.env,
        XDG_CONFIG_HOME: join(profile, 'xdg-config'),
        XDG_CACHE_HOME: join(profile, 'xdg-cache'),
        XDG_RUNTIME_DIR: join(profile, 'xdg-runtime'),
      },
      viewport: options.viewport ?? { width: 1280, height: 800 },
      timeout: 120_000,
    });
    if (options.initScript) await context.addInitScript(options.initScript);
    const page = context.pages()[0] ?? (await context.newPage());
    if (options.onConsole) {
      const onConsole = options.onConsole;
      page.on('console', (message) => onConsole(message.text()));
    }
    for (const [name, fn] of Object.entries(options.expose ?? {})) await page.exposeFunction(name, fn);
    const timeout = options.timeoutMs ?? 120_000;
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
    await page.locator('.monaco-workbench').first().waitFor({ state: 'attached', timeout });
    return { page, context, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
