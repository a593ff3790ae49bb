// Runs the vscode-API suite (suite/index.ts) through @vscode/test-electron's runTests(), with
// harness/code-test-host.sh standing in for the desktop executable (which cannot be downloaded
// here): the suite runs in the extension host of a real VS Code 1.100 server in headless Chromium.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTests } from '@vscode/test-electron';
import { TEST_RUN, cleanupTestObjects } from '../fixtures/docker';
import { repoRoot } from './harness/paths';

describe('the extension inside VS Code, through @vscode/test-electron', () => {
  const root = repoRoot();
  const scratch = mkdtempSync(join(tmpdir(), 'berth-api-test-'));

  before(() => cleanupTestObjects());
  after(async () => {
    await cleanupTestObjects();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs the suite and it passes (exit code 0)', async () => {
    const workspace = join(scratch, 'workspace');
    mkdirSync(workspace);
    const code = await runTests({
      vscodeExecutablePath: join(root, 'test', 'vscode', 'harness', 'code-test-host.sh'),
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out', 'test', 'vscode', 'suite', 'index'),
      // Fresh profile folders, instead of test-electron's default .vscode-test/ in the checkout.
      launchArgs: [workspace, `--user-data-dir=${join(scratch, 'user-data')}`, `--extensions-dir=${join(scratch, 'extensions')}`],
      // The suite labels its containers with this run's ID, so `after` here removes them too.
      extensionTestsEnv: { BERTH_TEST_RUN: TEST_RUN },
    });
    assert.equal(code, 0);
  });
});
