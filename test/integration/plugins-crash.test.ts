import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Backend } from '../../server/src/backend';
import { detachedContext } from '../../server/src/operation';
import { INSTALL_STEPS, REMOVE_STEPS, ROLLBACK_STEPS, SWEEP_STEPS, type InstallStep, type PluginScriptStep, type RemoveStep, type RollbackStep } from '../../protocol/src';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects } from '../fixtures/docker';
import { startRpcPair } from '../unit/harness/rpcPair';
import { children, containerTree, createPluginContainer, folderTree, runCli, shIn, subtree, withoutMarker, writePlugin, type Tree } from '../fixtures/plugins';

// Crash safety: for every named step of every plugin operation, the real CLI is run with
// BERTH_CRASH_AT=<step>; it must die by SIGKILL there (the in-container script kills itself at
// the same step). Then `berth plugins sweep` recovers, and the live plugin must be exactly the
// old version or exactly the new one (tree and sha256 of every file), the previous version
// exactly the one that belongs with it, and nothing left over.

const ROOT = '/configs/plugins';
const work = mkdtempSync(join(tmpdir(), 'berth-plugins-crash-'));
const env = { BERTH_STATE_DIR: join(work, 'state') };
const spec = (n: number) => ({
  'plugin.json': JSON.stringify({ version: `${n}.0.0` }),
  'lib/main.js': `module.exports = ${n};\n`,
  [`only-in-v${n}.txt`]: `v${n}\n`.repeat(100 * n),
  'link.js': { link: 'lib/main.js' },
});
const v1 = writePlugin(join(work, 'v1', 'demo'), spec(1));
const v2 = writePlugin(join(work, 'v2', 'demo'), spec(2));
const v3 = writePlugin(join(work, 'v3', 'demo'), spec(3));

type Version = 'v1' | 'v2' | 'v3' | 'absent';
const folders: Record<Exclude<Version, 'absent'>, string> = { v1, v2, v3 };

/** What the root must hold after recovery: the live version and its one previous version. */
interface Expected {
  readonly live: Version;
  readonly previous?: Version;
}

function versionOf(tree: Tree): Version {
  if (Object.keys(tree).length === 0) return 'absent';
  const bare = withoutMarker(tree);
  for (const [name, folder] of Object.entries(folders)) {
    if (JSON.stringify(bare) === JSON.stringify(folderTree(folder))) return name as Version;
  }
  assert.fail(`the tree is no version at all (a mix?): ${JSON.stringify(tree, null, 1)}`);
}

describe('plugins: a crash at every step is recovered to exactly old or new (real CLI, SIGKILL)', () => {
  let id = '';
  before(async () => {
    id = await createPluginContainer();
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(work, { recursive: true, force: true });
  });

  const cli = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(args, { ...env, ...extraEnv });
  const ok = async (args: string[]) => {
    const run = await cli(args);
    assert.equal(run.code, 0, `berth ${args.join(' ')}: ${run.stdout}${run.stderr}`);
  };
  /** Fresh root, then live v2 with previous v1. */
  const setup = async () => {
    await shIn(id, `rm -rf ${ROOT}`);
    await ok(['plugins', 'install', id, v1]);
    await ok(['plugins', 'install', id, v2]);
  };
  const crash = async (args: string[], step: PluginScriptStep) => {
    const run = await cli(args, crashAt(step));
    assert.equal(run.signal, 'SIGKILL', `berth ${args.join(' ')} with BERTH_CRASH_AT=${step} must die by SIGKILL (code ${run.code}: ${run.stdout}${run.stderr})`);
  };
  const recoverAndCheck = async (expected: Expected) => {
    await ok(['plugins', 'sweep', id]);
    const t = await containerTree(id, ROOT);
    assert.ok(t);
    assert.deepEqual(children(t.tree, '.staging'), [], 'no staging leftovers');
    assert.equal(versionOf(subtree(t.tree, 'demo')), expected.live, 'live version');
    if (expected.live !== 'absent') assert.ok(t.tree['demo/.complete'], 'the live version is marked complete');
    const previous = children(t.tree, '.previous');
    if (expected.previous === undefined) assert.deepEqual(previous, [], 'no previous version');
    else {
      assert.equal(previous.length, 1, `exactly one previous version: ${previous.join(', ')}`);
      assert.equal(versionOf(subtree(t.tree, `.previous/${previous[0] as string}`)), expected.previous, 'previous version');
    }
    // A second sweep finds nothing: recovery is complete and idempotent.
    const again = await cli(['plugins', 'sweep', id, '--json']);
    assert.deepEqual(JSON.parse(again.stdout) as unknown, { ...(JSON.parse(again.stdout) as object), recovered: [], removed: [] });
  };

  const OLD: Expected = { live: 'v2', previous: 'v1' };
  const NEW: Expected = { live: 'v3', previous: 'v2' };
  // One expectation per typed step: a step added to or renamed in protocol/src/steps.ts makes
  // these records fail to compile until the test knows what a crash there must leave.
  const installSteps: Readonly<Record<InstallStep, Expected>> = {
    'install.prepare': OLD,
    'install.sweep.recover': OLD,
    'install.sweep.clean': OLD,
    'install.stage': OLD,
    'install.verify': OLD,
    'install.journal': OLD,
    'install.aside': OLD,
    'install.swap': OLD,
    'install.marker': NEW,
    'install.gc': NEW,
  };
  for (const step of INSTALL_STEPS) {
    const expected = installSteps[step];
    it(`install, crash at ${step} → ${expected.live}`, async () => {
      await setup();
      await crash(['plugins', 'install', id, v3], step);
      await recoverAndCheck(expected);
    });
  }

  it('the next install cleans up a crashed install before it begins, without an explicit sweep', async () => {
    await setup();
    await crash(['plugins', 'install', id, v3], 'install.swap');
    const before = await containerTree(id, ROOT);
    assert.ok(before);
    const stuck = children(before.tree, '.staging');
    assert.ok(stuck.some((e) => e.endsWith('.journal')), `the crash left a journal and a staged copy: ${stuck.join(', ')}`);
    assert.equal(versionOf(subtree(before.tree, 'demo')), 'absent', 'and the live version moved aside');

    // In-process: nothing but the install itself runs (no start-up sweep of any kind).
    const backend = new Backend({ settings: {}, env: { ...process.env, ...env } });
    const result = await backend.plugins.install({ workload: id, folder: v3 }, detachedContext());
    assert.ok(result.swept.includes('demo rolled-back'), `the install's own sweep recovered the crash first: ${result.swept.join(', ')}`);
    assert.ok(result.previous, 'v2 was live again when the install began, so it was set aside as the previous version');
    const t = await containerTree(id, ROOT);
    assert.ok(t);
    assert.equal(versionOf(subtree(t.tree, 'demo')), 'v3');
    assert.deepEqual(children(t.tree, '.previous'), [`demo.${result.stamp}`]);
    assert.equal(versionOf(subtree(t.tree, `.previous/demo.${result.stamp}`)), 'v2');
    // Only the GC's own background deletions (*.removed) may still be under way in .staging.
    assert.deepEqual(children(t.tree, '.staging').filter((e) => !e.endsWith('.removed')), []);
    for (const e of stuck) assert.ok(!children(t.tree, '.staging').includes(e), `${e} is gone`);
  });

  const rollbackSteps: Readonly<Record<RollbackStep, Expected>> = {
    'rollback.sweep.recover': OLD,
    'rollback.sweep.clean': OLD,
    'rollback.journal': OLD,
    'rollback.aside': OLD,
    'rollback.restore': { live: 'v1', previous: 'v2' },
    'rollback.finish': { live: 'v1', previous: 'v2' },
  };
  for (const step of ROLLBACK_STEPS) {
    const expected = rollbackSteps[step];
    it(`rollback, crash at ${step} → ${expected.live}`, async () => {
      await setup();
      await crash(['plugins', 'rollback', id, 'demo'], step);
      await recoverAndCheck(expected);
    });
  }

  const removeSteps: Readonly<Record<RemoveStep, Expected>> = {
    'remove.sweep.recover': OLD,
    'remove.sweep.clean': OLD,
    'remove.previous': OLD,
    'remove.aside': { live: 'v2' },
    'remove.delete': { live: 'absent' },
  };
  for (const step of REMOVE_STEPS) {
    const expected = removeSteps[step];
    it(`remove, crash at ${step} → ${expected.live}`, async () => {
      await setup();
      await crash(['plugins', 'remove', id, 'demo'], step);
      await recoverAndCheck(expected);
    });
  }

  for (const step of SWEEP_STEPS) {
    it(`sweep, crash at ${step} while recovering an install that crashed at install.swap → v2`, async () => {
      await setup();
      await crash(['plugins', 'install', id, v3], 'install.swap');
      await crash(['plugins', 'sweep', id], step);
      await recoverAndCheck(OLD);
    });
  }

  it('the backend\'s start-up sweep recovers a crashed install by itself and tells the client', async () => {
    await setup();
    await crash(['plugins', 'install', id, v3], 'install.swap');
    const pair = startRpcPair({ env: { ...process.env, ...env } });
    try {
      await pair.initialize();
      await pair.waitForNotification('berth/plugins/didChange', (p) => (p as { workload?: string }).workload === id, 60_000);
      const t = await containerTree(id, ROOT);
      assert.ok(t);
      assert.equal(versionOf(subtree(t.tree, 'demo')), 'v2');
      assert.deepEqual(children(t.tree, '.staging'), []);
      assert.equal(children(t.tree, '.previous').length, 1);
    } finally {
      pair.dispose();
    }
  });

  it('an install that crashed shows its remains as leftovers until the sweep', async () => {
    await setup();
    await crash(['plugins', 'install', id, v3], 'install.aside');
    const run = await cli(['plugins', 'list', id, '--json']);
    const w = (JSON.parse(run.stdout) as { workloads: { leftovers: { kind: string }[]; plugins: { name: string; state: string }[] }[] }).workloads[0];
    assert.deepEqual(w?.leftovers.map((l) => l.kind).sort(), ['journal', 'staging']);
    assert.equal(w?.plugins.find((p) => p.name === 'demo')?.state, 'complete');
    await recoverAndCheck(OLD);
  });
});
