// The Workloads view when the engine cannot be reached, and its recovery once the setting points
// at the real engine again, in a real VS Code with Berth installed from dist/berth.vsix.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanupTestObjects, createTestContainer, uniqueName } from '../../fixtures/docker';
import { startSession, type VsCodeSession } from '../harness/session';
import { UI_TIMEOUT_MS, filterWorkloads, openBerthContainer, waitUntil, workloadRow, workloadsPane } from '../harness/workbench';

const MISSING_SOCKET = 'unix:///nonexistent/docker.sock';
const REAL_ENGINE = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';

describe('Workloads view when the engine is unreachable', () => {
  const name = uniqueName('bui-unreach');
  let session: VsCodeSession | undefined;

  before(async () => {
    await cleanupTestObjects();
    await createTestContainer({ name });
    session = await startSession({ settings: { 'berth.dockerHost': MISSING_SOCKET } });
    await openBerthContainer(session.page);
  });

  after(async () => {
    await session?.stop();
    await cleanupTestObjects();
  });

  it('shows the welcome text with Retry, and names the endpoint and the error', async () => {
    const { page } = session!;
    const pane = workloadsPane(page);
    const welcome = pane.locator('.welcome-view-content');
    await waitUntil('the unreachable welcome', () => welcome.innerText(), (text) => text.includes('Berth cannot reach the Docker engine'));
    const buttons = await welcome.locator('.monaco-button').allInnerTexts();
    assert.ok(buttons.includes('Retry'), `buttons: ${JSON.stringify(buttons)}`);
    assert.ok(buttons.includes('Configure Docker Host'), `buttons: ${JSON.stringify(buttons)}`);
    const description = await pane.locator('.pane-header .description').innerText();
    assert.ok(description.startsWith(`${MISSING_SOCKET}: `), `the view's description names the endpoint: ${description}`);
    assert.match(description, /ENOENT/, "the view's description carries the engine's error");
    assert.equal(await pane.locator('.monaco-list-row').count(), 0, 'no rows while unreachable');
    await session!.screenshot('unreachable');
  });

  it('recovers after the user points Configure Docker Host at the real engine, without a reload', async () => {
    const { page } = session!;
    const pane = workloadsPane(page);
    await pane.locator('.welcome-view-content .monaco-button', { hasText: 'Configure Docker Host' }).click();
    // berth.dockerHost is machine-scoped, so in a remote window the Settings editor offers it
    // on the Remote tab (whose value wins over the user setting).
    const settings = page.locator('.settings-editor');
    await settings.getByText(/^Remote \[/).click({ timeout: UI_TIMEOUT_MS });
    const input = settings.locator('[data-key="berth.dockerHost"] input').first();
    await input.fill(REAL_ENGINE, { timeout: UI_TIMEOUT_MS });
    await input.press('Tab');

    await waitUntil('the welcome to go away', () => pane.locator('.welcome-view-content').isVisible(), (visible) => !visible);
    await filterWorkloads(page, name);
    await waitUntil(`${name}'s row`, () => workloadRow(page, name).count(), (n) => n === 1);
    assert.equal((await pane.locator('.pane-header .description').innerText()).trim(), '');
    await session!.screenshot('recovered');
  });
});
