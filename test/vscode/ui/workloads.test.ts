// The Workloads view in a real VS Code (code-server's VS Code 1.100 in headless Chromium) with
// Berth installed from dist/berth.vsix, against the real engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanupTestObjects, createTestContainer, docker, uniqueName } from '../../fixtures/docker';
import { startSession, type VsCodeSession } from '../harness/session';
import {
  expandRow,
  filterWorkloads,
  openBerthContainer,
  projectRow,
  rowDescription,
  rowIcon,
  runCommand,
  visibleRows,
  waitUntil,
  workloadRow,
} from '../harness/workbench';

describe('Workloads view in VS Code', () => {
  // One prefix for every object of this file, so filtering the tree by it shows just them.
  const prefix = uniqueName('bui');
  const solo = `${prefix}-solo`;
  const project = `${prefix}-shop`;
  const members = [`${project}-db`, `${project}-web`];
  let session: VsCodeSession | undefined;

  before(async () => {
    await cleanupTestObjects();
    await createTestContainer({ name: solo });
    for (const name of members) {
      await createTestContainer({
        name,
        labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': name.slice(project.length + 1) },
      });
    }
    session = await startSession();
    await openBerthContainer(session.page);
    await filterWorkloads(session.page, prefix);
  });

  after(async () => {
    await session?.stop();
    await cleanupTestObjects();
  });

  it('shows a container the test created, running, with its image', async () => {
    const { page } = session!;
    const row = workloadRow(page, solo);
    await waitUntil(`${solo}'s row`, () => row.count(), (n) => n === 1);
    assert.equal(await rowIcon(row), 'codicon-vm-running');
    assert.match(await rowDescription(row), /^berth-test\/busybox:1 · Up /);
    assert.match((await row.getAttribute('aria-label')) ?? '', /, running, image berth-test\/busybox:1$/);
    await session!.screenshot('workloads');
  });

  it('follows a stop and a start made outside VS Code, without a refresh', async () => {
    const { page } = session!;
    const row = workloadRow(page, solo);
    const container = docker().getContainer(solo);

    await container.stop({ t: 1 });
    assert.equal((await container.inspect()).State.Status, 'exited');
    await waitUntil(`${solo} to show as stopped`, () => rowIcon(row), (icon) => icon === 'codicon-vm-outline');
    assert.match(await rowDescription(row), / · Exited \(/);
    assert.match((await row.getAttribute('aria-label')) ?? '', /, exited, /);
    await session!.screenshot('workloads-stopped');

    await container.start();
    await waitUntil(`${solo} to show as running again`, () => rowIcon(row), (icon) => icon === 'codicon-vm-running');
    assert.match(await rowDescription(row), / · Up /);
  });

  it('groups containers with one compose project label under one project node', async () => {
    const { page } = session!;
    await waitUntil(`project ${project}'s row`, () => projectRow(page, project).count(), (n) => n === 1);
    await expandRow(projectRow(page, project));
    const rows = await waitUntil(
      `both members under ${project}`,
      () => visibleRows(page),
      (list) => members.every((m) => list.some((r) => r.label.startsWith(`${m}, `))),
    );
    const at = rows.findIndex((r) => r.label === `Compose project ${project}`);
    assert.ok(at >= 0, `project row among ${JSON.stringify(rows)}`);
    assert.equal(rows[at]?.level, 1);
    const children = rows.slice(at + 1, at + 1 + members.length);
    assert.deepEqual(
      children.map((r) => ({ name: r.label.split(',')[0], level: r.level })),
      members.map((name) => ({ name, level: 2 })),
    );
    assert.equal(await rowDescription(projectRow(page, project)), '2 of 2 running');
    // The solo container is not inside the project.
    assert.equal(rows.find((r) => r.label.startsWith(`${solo}, `))?.level, 1);
    await session!.screenshot('workloads-compose');
  });

  it('"Berth: Show Log" from the command palette opens the log with the backend\'s lines', async () => {
    const { page } = session!;
    await runCommand(page, 'Berth: Show Log');
    const output = page.locator('.part.panel .view-lines');
    const text = await waitUntil(
      'the Berth log in the Output panel',
      // Monaco renders spaces as no-break spaces.
      async () => (await output.first().innerText()).replace(/\u00a0/g, ' '),
      (t) => t.includes('Berth activated in') && t.includes('Berth backend ready'),
    );
    assert.match(text, /Berth backend ready \(pid \d+\)/);
    await session!.screenshot('log');
  });
});
