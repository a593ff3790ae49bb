// Project snapshots and schedules in a real VS Code with Berth installed from dist/berth.vsix:
// Take Project Snapshot from a compose project's context menu in the Workloads view, then the set
// under its project in the Snapshots view with one row per service; the project's schedule (from
// the berth.schedules setting) shows its next run on the project's group; and a scheduled run
// that fails (from the schedules file, with the backend's clock pinned to its slot) shows an
// error notification with Show Log.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEST_LABEL, TEST_RUN, cleanupTestObjects, createTestContainer, docker, uniqueName } from '../../fixtures/docker';
import { startSession, type VsCodeSession } from '../harness/session';
import { UI_TIMEOUT_MS, expandRow, filterWorkloads, openBerthContainer, projectRow, rowDescription, runFromContextMenu, treeRow, viewPane, waitUntil } from '../harness/workbench';

describe('Project snapshots in VS Code', () => {
  const project = uniqueName('buiproj');
  const missing = `container:${uniqueName('bui-gone')}`;
  let stateDir: string;
  let session: VsCodeSession | undefined;

  before(async () => {
    await cleanupTestObjects();
    for (const service of ['db', 'web']) {
      const volume = `${project}_${service}`;
      await docker().createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
      await createTestContainer({
        name: `${project}-${service}-1`,
        binds: [`${volume}:/data`],
        labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': service, ...(service === 'web' ? { 'com.docker.compose.depends_on': 'db:service_started:false' } : {}) },
        cmd: ['sh', '-c', `echo ${service} > /data/${service}; trap "exit 0" TERM; while true; do sleep 1; done`],
      });
    }
    // A schedule of the CLI's file whose slot has come (the backend's clock is pinned to it) and
    // whose target does not exist: the backend's first check runs it, and it fails.
    stateDir = mkdtempSync(join(tmpdir(), 'berth-ui-sched-'));
    mkdirSync(join(stateDir, 'schedules'), { recursive: true });
    writeFileSync(join(stateDir, 'schedules', 'schedules.json'), JSON.stringify({ schemaVersion: 1, schedules: [{ target: missing, cron: '0 3 * * *', createdAt: '2026-01-01T00:00:00.000Z' }] }));
    session = await startSession({
      env: { BERTH_STATE_DIR: stateDir, BERTH_CLOCK_NOW: '2026-01-02T03:00:30Z', TZ: 'UTC' },
      settings: { 'berth.schedules': [{ target: `project:${project}`, cron: '30 4 * * *', label: 'nightly' }] },
    });
    await openBerthContainer(session.page);
    await filterWorkloads(session.page, project);
    await waitUntil(`project ${project}'s row`, () => projectRow(session!.page, project).count(), (n) => n === 1);
  });

  after(async () => {
    await session?.stop();
    await cleanupTestObjects();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('a failed scheduled run shows an error notification with Show Log', async () => {
    const { page } = session!;
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `The scheduled snapshot of ${missing}` });
    await toast.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    assert.match(await toast.innerText(), /failed: No workload named/);
    assert.equal(await toast.locator('.monaco-button', { hasText: 'Show Log' }).count(), 1);
    await session!.screenshot('schedule-failed');
  });

  it('Take Project Snapshot on the project node, then the set under its project in the Snapshots view', async () => {
    const { page } = session!;
    const row = projectRow(page, project);
    const label = page.locator('.quick-input-widget .quick-input-message', { hasText: 'A label for the project snapshot' });
    await runFromContextMenu(page, row, 'Take Project Snapshot', 'Select a compose project', () => label.isVisible());
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill('ui-set');
    await input.press('Enter');

    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `of ${project} taken` });
    await toast.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    assert.match(await toast.innerText(), /Project snapshot set-\d{8}-\d{6}-[0-9a-f]{6} of .* taken: 2 service\(s\), quiesced together\./);

    // The Snapshots tree holds only this test's state directory: no filter (it would hide the
    // members, whose labels are their services).
    const group = treeRow(page, 'Snapshots', `${project}, `);
    await waitUntil(`the project group of ${project}`, () => group.count(), (n) => n === 1);
    await expandRow(group);
    // The project's schedule (berth.schedules) shows its next run: the clock is pinned to
    // 2026-01-02 03:00:30 UTC, so the next 04:30 slot is the same day.
    assert.match(await rowDescription(group), /^1 project snapshot · next .*04:30/);
    const set = treeRow(page, 'Snapshots', `Project snapshot ui-set of ${project}, `);
    await waitUntil('the set row', () => set.count(), (n) => n === 1);
    assert.match(await rowDescription(set), /^set-\d{8}-\d{6}-[0-9a-f]{6} · just now · 2 services · /);
    await expandRow(set);
    for (const service of ['db', 'web']) {
      const member = treeRow(page, 'Snapshots', `Snapshot ui-set of ${project}/${service}, `);
      await waitUntil(`the ${service} member`, () => member.count(), (n) => n === 1);
      assert.equal(await member.locator('.label-name').first().textContent(), service, 'a member is named by its service');
      assert.match(await rowDescription(member), /^[0-9a-f]{12} · just now · .+ · 1 volume · paused · not verified$/);
    }
    await session!.screenshot('project-snapshot');
    // Nothing of the set shows as a workload's own snapshot.
    assert.equal(await viewPane(page, 'Snapshots').locator(`.monaco-list-row[aria-label^="${project}/db, "]`).count(), 0);
  });
});
