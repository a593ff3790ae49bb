// The Snapshots view as a person uses it, in a real VS Code with Berth installed from
// dist/berth.vsix: Take Snapshot from the command palette (pick the workload, type a label),
// the snapshot under its workload, and Delete from the context menu behind a modal
// confirmation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_LABEL, TEST_RUN, cleanupTestObjects, createTestContainer, docker, uniqueName } from '../../fixtures/docker';
import { startSession, type VsCodeSession } from '../harness/session';
import { UI_TIMEOUT_MS, expandRow, filterWorkloads, openBerthContainer, rowDescription, rowIcon, treeRow, viewPane, waitUntil, workloadRow } from '../harness/workbench';

describe('Snapshots view in VS Code', () => {
  const name = uniqueName('bui-snap');
  const volume = `${name}-vol`;
  let session: VsCodeSession | undefined;

  before(async () => {
    await cleanupTestObjects();
    await docker().createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
    await createTestContainer({ name, binds: [`${volume}:/data`], cmd: ['sh', '-c', 'mkdir -p /data/db && echo row > /data/db/t && trap "exit 0" TERM; while true; do sleep 1; done'] });
    // The Delete confirmation is a modal dialog, which the smoke-test driver would refuse.
    session = await startSession({ dialogs: true });
    await openBerthContainer(session.page);
    // The container's row means the backend is up and lists the engine.
    await filterWorkloads(session.page, name);
    await waitUntil(`${name}'s row`, () => workloadRow(session!.page, name).count(), (n) => n === 1);
  });

  after(async () => {
    await session?.stop();
    await cleanupTestObjects();
  });

  it('starts empty, with Take Snapshot and Import in the welcome content', async () => {
    const pane = viewPane(session!.page, 'Snapshots');
    const welcome = pane.locator('.welcome-view-content');
    await waitUntil('the Snapshots welcome', () => welcome.innerText(), (text) => text.includes('Snapshots of your workloads'));
    const buttons = await welcome.locator('.monaco-button').allInnerTexts();
    assert.deepEqual(buttons, ['Take Snapshot', 'Import Snapshot…']);
  });

  it('Take Snapshot from the view: pick the workload, type a label, see it under the workload', async () => {
    const { page } = session!;
    await viewPane(page, 'Snapshots').locator('.welcome-view-content .monaco-button', { hasText: 'Take Snapshot' }).click({ timeout: UI_TIMEOUT_MS });
    const picker = page.locator('.quick-input-widget .quick-input-box input[aria-label="Select a workload"]');
    await picker.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await picker.fill(name);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().click({ timeout: UI_TIMEOUT_MS });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await waitUntil('the label prompt', () => page.locator('.quick-input-widget .quick-input-message').innerText(), (t) => t.includes('A label for the snapshot'));
    await input.fill('before-upgrade');
    await input.press('Enter');

    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `of ${name} taken` });
    await toast.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    assert.match(await toast.innerText(), /1 volume\(s\), quiesce: pause/);

    const group = treeRow(page, 'Snapshots', `${name}, `);
    await waitUntil(`the group row of ${name}`, () => group.count(), (n) => n === 1);
    await expandRow(group);
    assert.equal(await rowDescription(group), '1 snapshot');
    const row = treeRow(page, 'Snapshots', 'Snapshot before-upgrade of ');
    await waitUntil('the snapshot row', () => row.count(), (n) => n === 1);
    assert.equal(await rowIcon(row), 'codicon-archive');
    assert.match(await rowDescription(row), /^[0-9a-f]{12} · just now · .+ · 1 volume · paused · not verified$/);
    await session!.screenshot('snapshots');
  });

  it('Delete asks in a modal dialog, and only deletes once confirmed', async () => {
    const { page } = session!;
    const row = treeRow(page, 'Snapshots', 'Snapshot before-upgrade of ');
    const dialog = page.locator('.monaco-dialog-box');
    const menuItem = page.locator('.context-view .action-item', { hasText: 'Delete Snapshot' });
    const openDelete = async () => {
      // A refresh of the tree (the catalog just changed) can close a context menu that opened
      // a moment before: retry until the confirmation is up.
      await waitUntil(
        'the Delete confirmation dialog',
        async () => {
          if (await dialog.isVisible()) return true;
          if (!(await menuItem.isVisible())) await row.click({ button: 'right', timeout: 5000 });
          await menuItem.click({ timeout: 2000 });
          await dialog.waitFor({ state: 'visible', timeout: 3000 });
          return true;
        },
        (shown) => shown,
      );
      assert.match(await dialog.innerText(), new RegExp(`Delete snapshot before-upgrade \\([0-9a-f]{12}\\) of ${name}\\?`));
    };

    await openDelete();
    await session!.screenshot('snapshots-delete-confirm');
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    assert.equal(await row.count(), 1, 'cancelling the dialog keeps the snapshot');

    await openDelete();
    await dialog.locator('.monaco-button', { hasText: /^Delete$/ }).click();
    await waitUntil('the snapshot row to go', () => row.count(), (n) => n === 0);
    await waitUntil('the welcome content again', () => viewPane(page, 'Snapshots').locator('.welcome-view-content').isVisible(), (v) => v);
  });
});
