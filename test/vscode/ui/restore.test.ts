// Restore as a person does it, in a real VS Code with Berth installed from dist/berth.vsix:
// Restore Snapshot… from a snapshot's context menu, the modal destructive confirmation that
// names the workload and its volumes, the status-bar progress and busy rows while it runs, the
// result notification and its link to the pre-restore safety snapshot. Then the data as the
// container itself sees it must equal the snapshot's, and the workload must run.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { detachedContext } from '../../../server/src/operation';
import { TEST_LABEL, TEST_RUN, cleanupTestObjects, docker } from '../../fixtures/docker';
import { execIn } from '../../fixtures/gitRepo';
import { createWorld, fill, leftovers, type World } from '../../fixtures/restoreWorld';
import { startSession, type VsCodeSession } from '../harness/session';
import { UI_TIMEOUT_MS, expandRow, filterWorkloads, openBerthContainer, rowDescription, rowIcon, treeRow, waitUntil, workloadRow } from '../harness/workbench';

/**
 * A digest of /data and /bind as the container sees them: type, path, mode and owner of every
 * entry, the SHA-256 of every file and the target of every link. Directory sizes are left out
 * (they depend on a directory's history, not its content); lines are sorted here because the
 * image has no `sort`.
 */
async function containerDigest(world: World): Promise<string> {
  const container = docker().getContainer(world.name);
  const script = [
    "find /data /bind -exec stat -c '%F|%n|%a|%u|%g' {} +",
    'find /data /bind -type f -exec sha256sum {} +',
    'find /data /bind -type l -exec sh -c \'for l; do echo "$l -> $(readlink "$l")"; done\' sh {} +',
  ].join(' && ');
  const lines = (await execIn(container, ['sh', '-c', script])).split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 10, `the container sees its volumes (${lines.length} lines)`);
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}

/** What showed while the restore ran; a MutationObserver records it, so no moment is missed. */
interface Seen {
  readonly status: string[];
  readonly rows: string[];
}

describe('Restore in VS Code', () => {
  let world: World;
  let session: VsCodeSession | undefined;
  let snapshotId = '';
  let digestA = '';
  let digestB = '';

  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
    fill(world, 'A');
    digestA = await containerDigest(world);
    snapshotId = (await world.backend().snapshots.create({ workload: world.name, label: 'A' }, detachedContext())).snapshot.id;
    fill(world, 'B');
    digestB = await containerDigest(world);
    assert.notEqual(digestA, digestB);
    // The modal confirmation is a dialog, which the smoke-test driver would refuse. The backend
    // in VS Code shares the state directory that holds the snapshot.
    session = await startSession({ dialogs: true, env: { BERTH_STATE_DIR: world.stateDir, BERTH_HELPER_LABELS: `${TEST_LABEL}=${TEST_RUN}` } });
    await openBerthContainer(session.page);
    await filterWorkloads(session.page, world.name);
    await waitUntil(`${world.name}'s row`, () => workloadRow(session!.page, world.name).count(), (n) => n === 1);
  });

  after(async () => {
    await session?.stop();
    await world?.dispose();
    await cleanupTestObjects();
  });

  it('Restore Snapshot… from the context menu: modal, progress, result, and the data in the container', async () => {
    const { page } = session!;
    const group = treeRow(page, 'Snapshots', `${world.name}, `);
    await waitUntil('the snapshot group', () => group.count(), (n) => n === 1);
    await expandRow(group);
    const row = treeRow(page, 'Snapshots', 'Snapshot A of ');
    await waitUntil('the snapshot row', () => row.count(), (n) => n === 1);

    const dialog = page.locator('.monaco-dialog-box');
    const menuItem = page.locator('.context-view .action-item', { hasText: 'Restore Snapshot…' });
    await waitUntil(
      'the restore confirmation dialog',
      async () => {
        if (await dialog.isVisible()) return true;
        // A tree refresh can close a context menu that opened a moment before: retry.
        if (!(await menuItem.isVisible())) await row.click({ button: 'right', timeout: 5000 });
        await menuItem.click({ timeout: 2000 });
        await dialog.waitFor({ state: 'visible', timeout: 5000 });
        return true;
      },
      (shown) => shown,
    );
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`Restore ${world.name} from snapshot A \\(${snapshotId.slice(0, 12)}\\)\\?`), 'the title names the workload and the snapshot');
    assert.match(text, new RegExp(`/data \\(volume ${world.volume}\\): .+ → 3\\.0 MiB from the snapshot`), 'the named volume with its sizes');
    assert.match(text, new RegExp(`/bind \\(bind mount ${world.bindDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): .+ → 3\\.0 MiB from the snapshot`), 'the bind mount with its sizes');
    assert.match(text, new RegExp(`${world.name} will be stopped while the volumes are swapped`), 'says the workload will be stopped');
    assert.match(text, /A safety copy of the current data is kept as a snapshot labelled "pre-restore"/);
    await session!.screenshot('restore-confirm');

    // A string, because the test's TypeScript has no DOM types; it runs in the page.
    await page.evaluate(`(() => {
      const seen = { status: [], rows: [] };
      window.berthSeen = seen;
      const record = () => {
        for (const el of document.querySelectorAll('.statusbar-item')) {
          const t = el.textContent || '';
          if (t.includes('Restoring') && !seen.status.includes(t)) seen.status.push(t);
        }
        for (const el of document.querySelectorAll('.part.sidebar .monaco-list-row')) {
          const t = el.textContent || '';
          if (t.includes('restoring…') && !seen.rows.includes(t)) seen.rows.push(t);
        }
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    const startedBefore = (await world.container()).State.StartedAt;
    await dialog.locator('.monaco-button', { hasText: 'Replace and Restore' }).click();

    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `Restored ${world.name} from snapshot A` });
    await toast.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    const toastText = await toast.innerText();
    assert.match(toastText, /The replaced data is kept as snapshot [0-9a-f]{12} \(pre-restore\)\./);
    await session!.screenshot('restore-done');

    const seen = (await page.evaluate('window.berthSeen')) as Seen;
    assert.ok(
      seen.status.some((t) => new RegExp(`Restoring ${world.name}: .+ \\d+%`).test(t)),
      `the status bar showed the phase and percentage: ${JSON.stringify(seen.status)}`,
    );
    assert.ok(seen.status.some((t) => /staging|verifying/.test(t)) && seen.status.some((t) => /stopping|starting it|moving/.test(t)), `several phases showed: ${JSON.stringify(seen.status)}`);
    assert.ok(seen.rows.some((t) => t.startsWith(world.name) && t.includes('restoring…')), `the workload's row showed it busy: ${JSON.stringify(seen.rows)}`);
    await waitUntil('the status-bar item to go', () => page.locator('.statusbar-item', { hasText: 'Restoring' }).count(), (n) => n === 0);
    // The busy state ends with the restore: the row shows the workload running, not restoring.
    const workloadItem = workloadRow(page, world.name);
    await waitUntil(`${world.name}'s row to show it running again`, () => rowIcon(workloadItem), (icon) => icon === 'codicon-vm-running');
    assert.doesNotMatch(await rowDescription(workloadItem), /restoring/);

    // The data as the container sees it is the snapshot's, and the workload runs again.
    assert.equal(await containerDigest(world), digestA, 'the container sees exactly the snapshot');
    const info = await world.container();
    assert.equal(info.State.Running, true, 'the workload runs');
    assert.notEqual(info.State.StartedAt, startedBefore, 'it was stopped and started again');
    assert.deepEqual(await leftovers(world), []);

    // The notification's link leads to the safety snapshot, selected in the Snapshots view.
    const safety = (await world.backend().snapshots.list(world.name)).find((s) => s.label === 'pre-restore');
    assert.ok(safety, 'the pre-restore snapshot is in the catalog');
    assert.match(toastText, new RegExp(safety.id.slice(0, 12)));
    await toast.locator('.monaco-button', { hasText: 'Show Safety Snapshot' }).click();
    const safetyRow = treeRow(page, 'Snapshots', 'Snapshot pre-restore of ');
    await waitUntil('the safety snapshot selected', () => safetyRow.getAttribute('aria-selected', { timeout: 5000 }), (v) => v === 'true');
    await session!.screenshot('restore-safety');
  });
});
