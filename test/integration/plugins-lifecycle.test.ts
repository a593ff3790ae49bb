import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InstallPluginResult, ListPluginsResult, RollbackPluginResult } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { cleanupTestObjects, createTestContainer } from '../fixtures/docker';
import { children, containerTree, folderTree, runCli, subtree, withoutMarker, writePlugin, type Tree } from '../fixtures/plugins';

const ROOT = '/configs/plugins';
const work = mkdtempSync(join(tmpdir(), 'berth-plugins-life-'));
const env = { BERTH_STATE_DIR: join(work, 'state') };

const v1 = writePlugin(join(work, 'v1', 'demo'), {
  'plugin.json': JSON.stringify({ name: 'demo', version: '1.0.0' }),
  'lib/a.js': 'module.exports = 1;\n',
  'lib/deep/b.txt': 'b'.repeat(5000),
  'link.js': { link: 'lib/a.js' },
  'bin/run.sh': { text: '#!/bin/sh\necho v1\n', mode: 0o4755 },
  'data': { dir: true },
});
const v2 = writePlugin(join(work, 'v2', 'demo'), {
  'plugin.json': JSON.stringify({ name: 'demo', version: '2.0.0' }),
  'lib/a.js': 'module.exports = 2;\n',
  'lib/c.txt': 'new in v2\n',
  'link.js': { link: 'lib/c.txt' },
  'bin/run.sh': { text: '#!/bin/sh\necho v2\n', mode: 0o755 },
});

function marker(text: string | undefined): { name?: string; stamp?: string; version?: string } {
  assert.ok(text, 'the .complete marker exists');
  return JSON.parse(text) as { name?: string; stamp?: string; version?: string };
}

describe('plugins: install v1, install v2, roll back, remove (real engine, real CLI)', () => {
  let id = '';
  before(async () => {
    id = (await createTestContainer()).id;
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(work, { recursive: true, force: true });
  });

  const json = async <T>(args: string[]): Promise<T> => {
    const run = await runCli([...args, '--json'], env);
    assert.equal(run.code, 0, `berth ${args.join(' ')} failed: ${run.stdout}${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };
  const rootTree = async (): Promise<{ tree: Tree; text: Readonly<Record<string, string>> }> => {
    const t = await containerTree(id, ROOT);
    assert.ok(t, 'the plugin root exists');
    return t;
  };
  let stamp1 = '';
  let stamp2 = '';

  it('installs v1: exact tree and hashes, setuid stripped, marker last, nothing left over', async () => {
    const result = await json<InstallPluginResult>(['plugins', 'install', id, v1]);
    assert.equal(result.name, 'demo');
    assert.equal(result.version, '1.0.0');
    assert.equal(result.via, 'exec');
    assert.equal(result.previous, undefined);
    stamp1 = result.stamp;
    const { tree, text } = await rootTree();
    assert.deepEqual(children(tree).sort(), ['.previous', '.staging', 'demo']);
    assert.deepEqual(withoutMarker(subtree(tree, 'demo')), folderTree(v1));
    assert.equal(subtree(tree, 'demo')['bin/run.sh']?.split(' ')[1], '755', 'setuid bit stripped');
    assert.deepEqual(marker(text['demo/.complete']), { berth: 1, name: 'demo', stamp: stamp1, version: '1.0.0' });
    assert.deepEqual(children(tree, '.staging'), []);
    assert.deepEqual(children(tree, '.previous'), []);
  });

  it('installs v2: v2 is live, v1 is the one previous version, byte for byte', async () => {
    const result = await json<InstallPluginResult>(['plugins', 'install', id, v2, '--name', 'demo']);
    stamp2 = result.stamp;
    assert.equal(result.previous, stamp2, 'the replaced version is set aside under this install\'s stamp');
    const { tree, text } = await rootTree();
    assert.deepEqual(withoutMarker(subtree(tree, 'demo')), folderTree(v2));
    assert.equal(marker(text['demo/.complete']).stamp, stamp2);
    assert.deepEqual(children(tree, '.previous'), [`demo.${stamp2}`]);
    const previous = subtree(tree, `.previous/demo.${stamp2}`);
    assert.deepEqual(withoutMarker(previous), folderTree(v1));
    assert.equal(marker(text[`.previous/demo.${stamp2}/.complete`]).stamp, stamp1);
    assert.deepEqual(children(tree, '.staging'), []);

    const listed = await json<ListPluginsResult>(['plugins', 'list', id]);
    const w = listed.workloads[0];
    assert.ok(w);
    assert.equal(w.root, ROOT);
    assert.deepEqual(w.leftovers, []);
    const demo = w.plugins.find((p) => p.name === 'demo');
    assert.equal(demo?.state, 'complete');
    assert.equal(demo?.version, '2.0.0');
    assert.equal(demo?.previous?.version, '1.0.0');
    assert.equal(demo?.previous?.complete, true);
    assert.equal(demo?.source, v2);
  });

  it('rolls back to v1: v1 is live again and v2 becomes the previous version', async () => {
    const result = await json<RollbackPluginResult>(['plugins', 'rollback', id, 'demo']);
    assert.equal(result.restored.version, '1.0.0');
    assert.equal(result.restored.stamp, stamp1);
    assert.ok(result.replaced);
    const { tree, text } = await rootTree();
    assert.deepEqual(withoutMarker(subtree(tree, 'demo')), folderTree(v1));
    assert.equal(marker(text['demo/.complete']).stamp, stamp1);
    assert.deepEqual(children(tree, '.previous'), [`demo.${result.replaced}`]);
    assert.deepEqual(withoutMarker(subtree(tree, `.previous/demo.${result.replaced}`)), folderTree(v2));
    assert.deepEqual(children(tree, '.staging'), []);
  });

  it('removes the plugin with its previous versions', async () => {
    const result = await json<{ previousRemoved: number }>(['plugins', 'remove', id, 'demo']);
    assert.equal(result.previousRemoved, 1);
    const { tree } = await rootTree();
    assert.deepEqual(children(tree).sort(), ['.previous', '.staging']);
    assert.deepEqual(children(tree, '.previous'), []);
    assert.deepEqual(children(tree, '.staging'), []);
    const again = await runCli(['plugins', 'remove', id, 'demo', '--json'], env);
    assert.equal(again.code, 4, 'removing an absent plugin is NotFound');
    assert.equal((JSON.parse(again.stdout) as { error: { name: string } }).error.name, 'NotFound');
  });

  it('rolling back without a previous version is NotFound (exit 4)', async () => {
    await json(['plugins', 'install', id, v1]);
    const run = await runCli(['plugins', 'rollback', id, 'demo', '--json'], env);
    assert.equal(run.code, 4, run.stdout);
  });

  it('lists incomplete plugins and leftovers, and the sweep removes exactly the leftovers', async () => {
    const engine = new Backend({ settings: { stateDir: env.BERTH_STATE_DIR } }).engine();
    const sh = (script: string) => engine.exec(id, { cmd: ['sh', '-c', script] });
    // A half-installed plugin (no marker), a stale staging dir, and an orphaned previous version.
    await sh(`mkdir -p ${ROOT}/half ${ROOT}/.staging/x.20250101T000000000Z-1-aa/sub ${ROOT}/.previous/gone.20250101T000000000Z-1-bb && echo 1 > ${ROOT}/half/f`);
    const listed = await json<ListPluginsResult>(['plugins', 'list', id]);
    const w = listed.workloads[0];
    assert.ok(w);
    assert.equal(w.plugins.find((p) => p.name === 'half')?.state, 'incomplete');
    assert.equal(w.plugins.find((p) => p.name === 'demo')?.state, 'complete');
    assert.deepEqual(
      w.leftovers.map((l) => `${l.kind} ${l.path ?? ''}`).sort(),
      [`previous ${ROOT}/.previous/gone.20250101T000000000Z-1-bb`, `staging ${ROOT}/.staging/x.20250101T000000000Z-1-aa`],
    );
    const swept = await json<{ removed: string[] }>(['plugins', 'sweep', id]);
    assert.deepEqual(swept.removed.sort(), ['.previous/gone.20250101T000000000Z-1-bb', '.staging/x.20250101T000000000Z-1-aa']);
    const after = await json<ListPluginsResult>(['plugins', 'list', id]);
    assert.deepEqual(after.workloads[0]?.leftovers, []);
    const again = await json<{ removed: string[]; recovered: string[] }>(['plugins', 'sweep', id]);
    assert.deepEqual(again, { ...again, removed: [], recovered: [] }, 'the sweep is idempotent');
    const { tree } = await rootTree();
    assert.deepEqual(withoutMarker(subtree(tree, 'demo')), folderTree(v1), 'the sweep leaves live plugins alone');
    assert.ok(tree['half/f'], 'the sweep leaves incomplete live plugins alone');
  });

  it('two installs in the same second get distinct stamps', async () => {
    const backend = new Backend({ settings: { stateDir: env.BERTH_STATE_DIR } });
    const ctx = { signal: new AbortController().signal, progress: { report: () => undefined } };
    const a = await backend.plugins.install({ workload: id, folder: v1, name: 'same' }, ctx);
    const b = await backend.plugins.install({ workload: id, folder: v2, name: 'same' }, ctx);
    assert.notEqual(a.stamp, b.stamp);
    assert.equal(b.previous, b.stamp);
    const { tree } = await rootTree();
    assert.deepEqual(withoutMarker(subtree(tree, `.previous/same.${b.stamp}`)), folderTree(v1));

    // A third install: the older previous version (v1) leaves .previous before the install
    // returns; its deletion finishes in the background, and the sweep would finish it too.
    const c = await backend.plugins.install({ workload: id, folder: v1, name: 'same' }, ctx);
    assert.equal(c.gcRemoved, 1);
    const third = await rootTree();
    assert.deepEqual(children(third.tree, '.previous').filter((e) => e.startsWith('same.')), [`same.${c.stamp}`], 'only the newest previous version is left');
    assert.deepEqual(withoutMarker(subtree(third.tree, `.previous/same.${c.stamp}`)), folderTree(v2));
    assert.deepEqual(withoutMarker(subtree(third.tree, 'same')), folderTree(v1));
    assert.deepEqual(
      children(third.tree, '.staging').filter((e) => e !== `same.${b.stamp}.removed`),
      [],
      'nothing but the set-aside older version, being deleted, is in .staging',
    );
    const deadline = Date.now() + 10_000;
    let staging = children(third.tree, '.staging');
    while (staging.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      staging = children((await rootTree()).tree, '.staging');
    }
    assert.deepEqual(staging, [], 'the background deletion finished');
  });

  it('cancel during the upload rolls back: the live plugin is untouched and nothing is left', async () => {
    const big = writePlugin(join(work, 'big', 'demo'), Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}.bin`, 'x'.repeat(256 * 1024)])));
    const backend = new Backend({ settings: { stateDir: env.BERTH_STATE_DIR } });
    const before = await rootTree();
    const controller = new AbortController();
    const steps: string[] = [];
    const ctx = {
      signal: controller.signal,
      progress: {
        report: (message: string) => {
          steps.push(message);
          // Cancel as soon as the upload starts, which is well before the swap.
          if (message.includes('install.stage')) controller.abort();
        },
      },
    };
    await assert.rejects(backend.plugins.install({ workload: id, folder: big }, ctx), (e: Error & { code?: number; extra?: { step?: string; rollback?: string } }) => {
      assert.equal(e.code, -32800, e.message);
      assert.match(e.extra?.rollback ?? '', /removed the staged copy/);
      return true;
    });
    assert.ok(!steps.some((s) => s.includes('install.swap')), 'the swap never started');
    const after = await rootTree();
    assert.deepEqual(subtree(after.tree, 'demo'), subtree(before.tree, 'demo'));
    assert.deepEqual(children(after.tree, '.staging'), []);
  });
});
