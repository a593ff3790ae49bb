// The Plugins view in a real VS Code (code-server's VS Code 1.100 in headless Chromium) with
// Berth installed from dist/berth.vsix, against the real engine: install a plugin through the
// command palette (workload pick, folder dialog, name), see it marked complete, then roll it
// back from the tree's context menu.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { after, before, describe, it } from 'node:test';
import { cleanupTestObjects, createTestContainer, uniqueName } from '../../fixtures/docker';
import { containerTree, folderTree, subtree, withoutMarker, writePlugin } from '../../fixtures/plugins';
import { startSession, type VsCodeSession } from '../harness/session';
import { expandRow, filterView, openBerthContainer, rowDescription, rowIcon, runCommand, runFromContextMenu, treeRow, UI_TIMEOUT_MS, viewPane, waitUntil } from '../harness/workbench';

describe('Plugins view in VS Code', () => {
  const prefix = uniqueName('bplug');
  const workload = `${prefix}-app`;
  const plugin = `${prefix}-demo`;
  const work = mkdtempSync(join(tmpdir(), 'berth-vscode-plugins-'));
  const v1 = writePlugin(join(work, 'v1', plugin), { 'plugin.json': '{"version":"1.0.0"}', 'main.js': 'module.exports = 1;\n' });
  const v2 = writePlugin(join(work, 'v2', plugin), { 'plugin.json': '{"version":"2.0.0"}', 'main.js': 'module.exports = 2;\n', 'extra.txt': 'v2 only\n' });
  let session: VsCodeSession | undefined;
  let containerId = '';

  before(async () => {
    containerId = (await createTestContainer({ name: workload })).id;
    session = await startSession();
    await openBerthContainer(session.page);
    // The backend is up once the Workloads view lists the test's container.
    await filterView(session.page, 'Workloads', prefix);
    await waitUntil(`${workload} in the Workloads view`, () => treeRow(session!.page, 'Workloads', `${workload}, `).count(), (n) => n === 1);
    // Make the Plugins section visible (it may start collapsed below the Workloads view).
    const header = viewPane(session.page, 'Plugins').locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  });

  after(async () => {
    await session?.stop();
    await cleanupTestObjects();
    rmSync(work, { recursive: true, force: true });
  });

  /** "Berth: Install Plugin from Folder…" from the palette, answering its three questions. */
  async function installThroughPalette(page: Page, folder: string): Promise<void> {
    try {
      await answerInstall(page, folder);
    } catch (error) {
      await session?.screenshot(`plugins-install-failed-${Date.now()}`);
      throw error;
    }
  }

  async function answerInstall(page: Page, folder: string): Promise<void> {
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await runCommand(page, 'Berth: Install Plugin from Folder…', { asks: true });
    // 1. The workload.
    await waitUntil('the workload pick', () => input.getAttribute('placeholder'), (p) => p === 'Select a workload');
    await input.fill(workload);
    const pick = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: workload }) }).first();
    await pick.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await pick.click();
    // 2. The folder: in a remote window VS Code's own file dialog is a quick input with a path,
    // which it may reset while it loads; type the path until the dialog keeps it, then accept.
    // 3. The name box follows, with the folder's name as its value.
    const accept = page.locator('.quick-input-widget .quick-input-action a, .quick-input-widget .monaco-button').filter({ hasText: 'Install Plugin' }).first();
    await waitUntil(
      'the folder dialog to accept the folder and ask for the name',
      async () => {
        const value = await input.inputValue();
        if (value === plugin && (await input.getAttribute('placeholder')) !== 'Select a workload') return true;
        if (value !== `${folder}/`) await input.fill(`${folder}/`);
        else await accept.click({ timeout: 5000 });
        return false;
      },
      (named) => named,
    );
    await page.keyboard.press('Enter');
  }

  /** Saves what the screen showed when a step failed, then fails. */
  const shot = (name: string) => async (error: unknown) => {
    await session?.screenshot(name);
    throw error;
  };

  it('installs a plugin through the command palette and shows it complete in the Plugins view', async () => {
    const { page } = session!;
    await installAndShow(page).catch(shot('plugins-install-view-failed'));
  });

  async function installAndShow(page: Page): Promise<void> {
    await installThroughPalette(page, v1);
    await filterView(page, 'Plugins', prefix);
    const group = treeRow(page, 'Plugins', `${workload}, `);
    await waitUntil(`${workload}'s group in the Plugins view`, () => group.count(), (n) => n === 1);
    await expandRow(group);
    const row = treeRow(page, 'Plugins', `${plugin}, `);
    await waitUntil(`${plugin} marked complete`, async () => (await row.getAttribute('aria-label', { timeout: 5000 })) ?? '', (label) => label === `${plugin}, complete, 1.0.0`);
    assert.equal(await rowIcon(row), 'codicon-pass');
    assert.equal(await rowDescription(row), '1.0.0');
    const tree = await containerTree(containerId, '/configs/plugins');
    assert.deepEqual(withoutMarker(subtree(tree?.tree ?? {}, plugin)), folderTree(v1));
    await session!.screenshot('plugins-installed');
  }

  it('a second install keeps the first as the previous version; Roll Back from the context menu restores it', async () => {
    const { page } = session!;
    await installThroughPalette(page, v2);
    const row = treeRow(page, 'Plugins', `${plugin}, `);
    await waitUntil(`${plugin} at 2.0.0`, async () => (await row.getAttribute('aria-label', { timeout: 5000 })) ?? '', (label) => label === `${plugin}, complete, 2.0.0`);
    assert.equal(await rowDescription(row), '2.0.0 · previous: 1.0.0');

    const label = async () => (await row.getAttribute('aria-label', { timeout: 5000 })) ?? '';
    await runFromContextMenu(page, row, 'Roll Back to Previous', 'Select a plugin', async () => (await label()) === `${plugin}, complete, 1.0.0`).catch(async (error: unknown) => {
      await session!.screenshot('plugins-rollback-failed');
      throw error;
    });
    assert.equal(await rowDescription(row), '1.0.0 · previous: 2.0.0');
    const tree = await containerTree(containerId, '/configs/plugins');
    assert.deepEqual(withoutMarker(subtree(tree?.tree ?? {}, plugin)), folderTree(v1));
    await session!.screenshot('plugins-rolled-back');
  });
});
