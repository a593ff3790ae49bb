// Workspace export in a real VS Code (code-server's VS Code 1.100 in headless Chromium) with
// Berth installed from dist/berth.vsix, against the real engine: the workload's context menu
// opens the changes in the multi-file diff view and offers Save Patch… and Apply.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Backend } from '../../../server/src/backend';
import { detachedContext } from '../../../server/src/operation';
import { cleanupTestObjects, createTestContainer, uniqueName } from '../../fixtures/docker';
import { ensureGitImage } from '../../fixtures/gitImage';
import { execIn, makeRepo, tempDir } from '../../fixtures/gitRepo';
import { startSession, type VsCodeSession } from '../harness/session';
import type { Page } from 'playwright-core';
import { filterWorkloads, openBerthContainer, runCommand, waitUntil, workloadRow, UI_TIMEOUT_MS } from '../harness/workbench';

describe('Workspace export in VS Code', () => {
  const prefix = uniqueName('bws');
  const name = `${prefix}-dev`;
  const stateDir = tempDir('berth-ws-ui-state-');
  let base = '';
  let session: VsCodeSession | undefined;

  before(async () => {
    const image = await ensureGitImage();
    const container = await createTestContainer({ name, image });
    const repo = join(tempDir('berth-ws-ui-'), 'repo');
    // git calls a file binary only when it holds a NUL byte; 768 random bytes lack one about
    // one time in twenty, so the NUL is put there on purpose.
    base = makeRepo(repo, { 'README.md': '# demo\n', 'src/app.txt': 'one\ntwo\nthree\n', 'old.txt': 'bye\n', 'logo.bin': Buffer.concat([Buffer.from([0]), randomBytes(511)]) });
    // The import is done in-process: this test is about the export's UI.
    await new Backend({ settings: { stateDir }, env: { ...process.env, BERTH_STATE_DIR: stateDir } }).workspace.import({ workload: name, dir: repo }, detachedContext());
    await execIn(container, ['sh', '-c', 'cd /workspace && sed -i s/two/TWO/ src/app.txt && echo hello > "new file.txt" && rm old.txt && head -c 256 /dev/urandom >> logo.bin']);
    session = await startSession();
    await openBerthContainer(session.page);
    await filterWorkloads(session.page, prefix);
  });

  after(async () => {
    await session?.stop();
    await cleanupTestObjects();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('"Export Workspace Changes…" from the context menu opens the diff view and lists the changed files; Save Patch… writes the patch', async () => {
    const { page } = session!;
    const row = workloadRow(page, name);
    await waitUntil(`${name}'s row`, () => row.count(), (n) => n === 1);
    // VS Code's menus act on their own mouse-up handling; hovering the item and pressing Enter
    // is what works reliably in the headless browser. Rarely the command still runs without its
    // row (the headless menu loses it) and asks for a workload instead: that attempt is
    // dismissed and the menu used again, so what is tested stays the context menu.
    const title = `${name}:/workspace since ${base.slice(0, 12)}`;
    const tab = page.locator('.tabs-container .tab', { hasText: title });
    const item = page.locator('.context-view .action-menu-item', { hasText: 'Export Workspace Changes…' });
    const picker = page.locator('.quick-input-widget input[placeholder="Select a workload"]');
    await waitUntil(
      'the diff view tab',
      async () => {
        // An earlier attempt's export may have finished late: never export twice.
        if ((await tab.count()) > 0) return tab.count();
        if (await picker.isVisible()) await page.keyboard.press('Escape');
        if (!(await item.isVisible())) await row.click({ button: 'right', timeout: 5000 });
        await item.hover({ timeout: 5000 });
        await page.keyboard.press('Enter');
        await tab.first().waitFor({ state: 'visible', timeout: 20_000 });
        return tab.count();
      },
      (n) => n === 1,
    ).catch(async (error: unknown) => {
      await session!.screenshot('workspace-export-failed');
      throw new Error(`${(error as Error).message}\nBerth log:\n${await berthLog(page)}`);
    });

    const listed = await waitUntil(
      'the changed files in the diff view',
      () => page.locator('.multiDiffEntry .header .file-path').allInnerTexts(),
      (texts) => ['app.txt', 'new file.txt', 'old.txt', 'logo.bin'].every((f) => texts.some((t) => t.includes(f))),
    );
    assert.equal(listed.length, 4, `exactly the four changed files: ${JSON.stringify(listed)}`);
    assert.ok(!listed.some((t) => t.includes('README.md')), 'unchanged files are not listed');

    // Both sides come from Berth's read-only documents: the change itself, and a note instead of
    // a binary file's bytes.
    const editorText = async () => (await page.locator('.multiDiffEntry .editorContainer .view-lines').allInnerTexts()).join('\n').replace(/\u00a0/g, ' ');
    await waitUntil('the modified line and the binary note', editorText, (text) => text.includes('TWO') && text.includes('Binary file, not shown'));

    // Then it offers what to do with the changes.
    const toast = page.locator('.notification-toast', { hasText: '4 changed files in' });
    await toast.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    assert.equal(await toast.locator('.monaco-button', { hasText: 'Save Patch…' }).count(), 1);
    assert.equal(await toast.locator('.monaco-button', { hasText: 'Apply to Local Repository' }).count(), 1);
    await session!.screenshot('workspace-export');

    // Save Patch…: the path typed in the save dialog is written by the backend's writer of
    // user-named paths (berth/workspace/savePatch), whole.
    const saved = join(tempDir('berth-ws-ui-save-'), 'changes.patch');
    await toast.locator('.monaco-button', { hasText: 'Save Patch…' }).click();
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    // The simple file dialog fills in its starting folder once it has listed it, replacing
    // whatever was typed before: type the path until it stays, then accept it with OK.
    const ok = page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' });
    const text = await waitUntil(
      'the saved patch',
      async () => {
        if (await input.isVisible()) {
          const value = await input.inputValue().catch(() => '');
          if (value === '') return '';
          if (value !== saved) await input.fill(saved).catch(() => undefined);
          else await ok.click({ timeout: 5000 }).catch(() => undefined);
        }
        return existsSync(saved) ? readFileSync(saved, 'utf8') : '';
      },
      (t) => t.includes('diff --git a/src/app.txt b/src/app.txt'),
    ).catch(async (error: unknown) => {
      await session!.screenshot('workspace-save-failed');
      throw new Error(`${(error as Error).message}\nBerth log:\n${await berthLog(page)}`);
    });
    assert.match(text, /diff --git a\/old\.txt b\/old\.txt\ndeleted file mode/);
    assert.match(text, /GIT binary patch/);
  });
});

/** The Berth log as the Output panel shows it, for the failure message. */
async function berthLog(page: Page): Promise<string> {
  try {
    await runCommand(page, 'Berth: Show Log');
    const lines = page.locator('.part.panel .view-lines').first();
    await lines.waitFor({ state: 'visible', timeout: 10_000 });
    return (await lines.innerText()).replace(/\u00a0/g, ' ');
  } catch (error) {
    return `(the log could not be read: ${(error as Error).message})`;
  }
}
