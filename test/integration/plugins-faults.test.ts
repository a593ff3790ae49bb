import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Backend } from '../../server/src/backend';
import { detachedContext } from '../../server/src/operation';
import { cleanupTestObjects } from '../fixtures/docker';
import {
  children,
  containerTree,
  createPluginContainer,
  createTestVolume,
  ensureImportedImage,
  folderTree,
  runCli,
  shIn,
  subtree,
  withoutMarker,
  writePlugin,
  type CliRun,
} from '../fixtures/plugins';

const ROOT = '/configs/plugins';
const work = mkdtempSync(join(tmpdir(), 'berth-plugins-faults-'));
const env = { BERTH_STATE_DIR: join(work, 'state') };

const v1 = writePlugin(join(work, 'v1', 'demo'), { 'a.txt': 'one\n', 'sub/b.txt': 'bee\n' });
const v2 = writePlugin(join(work, 'v2', 'demo'), { 'a.txt': 'two\n', 'sub/c.txt': 'sea\n', 'plugin.json': '{"version":"2"}' });
/** 200 small files: ~20 KB of data but 200 tmpfs pages (800 KiB), so the free-space check passes and the disk fills while staging. */
const many = writePlugin(join(work, 'many', 'demo'), Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}.txt`, `${i}`.repeat(100)])));

interface CliError {
  readonly error: { readonly name: string; readonly message: string; readonly step?: string; readonly rollback?: string };
}
function failure(run: CliRun): CliError['error'] {
  assert.equal(run.code, 1, `expected exit 1, got ${run.code}: ${run.stdout}${run.stderr}`);
  return (JSON.parse(run.stdout) as CliError).error;
}
const install = (id: string, folder: string, extra: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) =>
  runCli(['plugins', 'install', id, folder, '--json', ...extra], { ...env, ...extraEnv });

/** Seeds a complete plugin `demo` = v1 without Berth (for containers where Berth's install cannot work). */
async function seedV1(id: string): Promise<void> {
  await shIn(id, `mkdir -p ${ROOT}/demo/sub && printf 'one\\n' > ${ROOT}/demo/a.txt && printf 'bee\\n' > ${ROOT}/demo/sub/b.txt && printf '{"berth":1}\\n' > ${ROOT}/demo/.complete`);
}

async function assertLive(id: string, folder: string | undefined, via: 'exec' | 'archive' = 'exec'): Promise<void> {
  const t = await containerTree(id, ROOT, via);
  assert.ok(t);
  if (folder === undefined) assert.ok(!children(t.tree).includes('demo'), 'the live plugin is absent');
  else assert.deepEqual(withoutMarker(subtree(t.tree, 'demo')), folderTree(folder));
}

async function assertNoLeftovers(id: string, previous: readonly string[] = [], via: 'exec' | 'archive' = 'exec'): Promise<void> {
  const t = await containerTree(id, ROOT, via);
  assert.ok(t);
  assert.deepEqual(children(t.tree, '.staging'), [], 'nothing staged is left');
  assert.deepEqual(children(t.tree, '.previous').length, previous.length);
}

describe('plugins: fault injection and every rollback rule (real engine)', () => {
  after(async () => {
    await cleanupTestObjects();
    rmSync(work, { recursive: true, force: true });
  });

  it('a plugin root on a tiny tmpfs fills while staging: staging is removed, live untouched', async () => {
    const id = await createPluginContainer({ tmpfs: { [ROOT]: 'size=256k' } });
    assert.equal((await install(id, v1)).code, 0);
    const e = failure(await install(id, many));
    assert.equal(e.step, 'install.stage');
    assert.match(e.message, /No space left on device/);
    assert.match(e.rollback ?? '', /removed the staged copy; the live plugin is untouched/);
    await assertLive(id, v1);
    await assertNoLeftovers(id);
  });

  it('a GC that cannot delete an older version is a warning, not a failure: the install stands, the version is kept', async () => {
    const id = await createPluginContainer({ user: '1000:1000' });
    await shIn(id, `mkdir -p ${ROOT} && chown 1000:1000 ${ROOT}`);
    // In-process, so the script's WARN lines can be seen in the service's log.
    const warnings: string[] = [];
    const log = { info: () => undefined, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
    const backend = new Backend({ settings: {}, env: { ...process.env, ...env }, log });
    await backend.plugins.install({ workload: id, folder: v1 }, detachedContext());
    const second = await backend.plugins.install({ workload: id, folder: v2 }, detachedContext());
    // v1 is the previous version now. Owned by root, the workload's user 1000 can neither move
    // it out of .previous (moving a directory rewrites its "..") nor delete what is inside.
    const older = `demo.${second.stamp}`;
    await shIn(id, `chown -R 0:0 ${ROOT}/.previous/${older}`);
    const olderTree = subtree((await containerTree(id, ROOT, 'exec'))?.tree ?? {}, `.previous/${older}`);
    assert.deepEqual(withoutMarker(olderTree), folderTree(v1));

    const third = await backend.plugins.install({ workload: id, folder: v1 }, detachedContext());
    assert.equal(third.gcRemoved, 0, 'nothing was collected');
    await assertLive(id, v1);
    const t = await containerTree(id, ROOT, 'exec');
    assert.ok(t);
    assert.deepEqual(children(t.tree, '.previous').sort(), [older, `demo.${third.stamp}`].sort(), 'the stuck version is kept beside the one this install set aside');
    assert.deepEqual(subtree(t.tree, `.previous/${older}`), olderTree, 'and it is whole');
    assert.deepEqual(withoutMarker(subtree(t.tree, `.previous/demo.${third.stamp}`)), folderTree(v2));
    assert.deepEqual(children(t.tree, '.staging'), []);
    assert.ok(warnings.some((w) => w.includes(`.previous/${older}`)), `the GC's failure is reported as a warning: ${JSON.stringify(warnings)}`);
  });

  it('an unwritable .previous fails the aside: staging is removed, live untouched', async () => {
    const id = await createPluginContainer({ user: '1000:1000' });
    await shIn(id, `mkdir -p ${ROOT} && chown 1000:1000 ${ROOT}`);
    assert.equal((await install(id, v1)).code, 0);
    await shIn(id, `chmod 555 ${ROOT}/.previous`);
    const e = failure(await install(id, v2));
    assert.equal(e.step, 'install.aside');
    assert.match(e.message, /Permission denied/);
    assert.match(e.rollback ?? '', /removed the staged copy; the live plugin is untouched/);
    await assertLive(id, v1);
    await assertNoLeftovers(id);
  });

  it('if the rollback itself fails, both errors are reported, and the sweep cleans up later', async () => {
    const id = await createPluginContainer({ user: '1000:1000' });
    await shIn(id, `mkdir -p ${ROOT} && chown 1000:1000 ${ROOT}`);
    assert.equal((await install(id, v1)).code, 0);
    await shIn(id, `chmod 555 ${ROOT}/.previous`);
    const e = failure(await install(id, v2, [], { BERTH_FAULT_AT: 'install.rollback' }));
    assert.equal(e.step, 'install.aside');
    assert.match(e.message, /Permission denied/, 'the first error');
    assert.match(e.message, /rollback failed too: could not remove the staged copy/, 'and the second');
    assert.match(e.rollback ?? '', /^failed: /);
    await assertLive(id, v1);
    const sweep = await runCli(['plugins', 'sweep', id, '--json'], env);
    assert.equal(sweep.code, 0, sweep.stdout);
    assert.deepEqual((JSON.parse(sweep.stdout) as { recovered: string[] }).recovered, ['demo rolled-back'], 'the journal names the staged copy to remove');
    await assertLive(id, v1);
    await assertNoLeftovers(id);
  });

  it('a read-only plugin root: refused at staging, nothing written, live untouched', async () => {
    const volume = await createTestVolume();
    const writer = await createPluginContainer({ binds: [`${volume}:${ROOT}`] });
    assert.equal((await install(writer, v1)).code, 0);
    const id = await createPluginContainer({ binds: [`${volume}:${ROOT}:ro`] });
    const before = await containerTree(id, ROOT, 'exec');
    const e = failure(await install(id, v2));
    assert.equal(e.step, 'install.stage');
    assert.match(e.message, /Read-only file system/);
    assert.deepEqual((await containerTree(id, ROOT, 'exec'))?.tree, before?.tree, 'not one byte changed');
    await assertLive(id, v1);
  });

  it('the swap fails with a snapshot (EXDEV: .staging on another filesystem): the previous version is renamed back', async () => {
    const id = await createPluginContainer({ tmpfs: { [`${ROOT}/.staging`]: 'size=4m' } });
    await seedV1(id);
    const e = failure(await install(id, v2));
    assert.equal(e.step, 'install.swap');
    assert.match(e.message, /EXDEV/);
    assert.match(e.rollback ?? '', /removed the staged copy; renamed the previous version back to live/);
    await assertLive(id, v1);
    await assertNoLeftovers(id);
  });

  it('the swap fails without a snapshot: staging is removed and the plugin stays absent', async () => {
    const id = await createPluginContainer({ tmpfs: { [`${ROOT}/.staging`]: 'size=4m' } });
    const e = failure(await install(id, v2));
    assert.equal(e.step, 'install.swap');
    assert.match(e.rollback ?? '', /removed the staged copy; the live plugin stays absent/);
    await assertLive(id, undefined);
    await assertNoLeftovers(id);
  });

  it('the swap fails and putting the previous version back fails too: both errors, then the sweep recovers', async () => {
    const id = await createPluginContainer({ tmpfs: { [`${ROOT}/.staging`]: 'size=4m' } });
    await seedV1(id);
    const e = failure(await install(id, v2, [], { BERTH_FAULT_AT: 'install.rollback' }));
    assert.equal(e.step, 'install.swap');
    assert.match(e.message, /EXDEV.*rollback failed too: could not put the previous version back/);
    await assertLive(id, undefined);
    const sweep = await runCli(['plugins', 'sweep', id, '--json'], env);
    assert.equal(sweep.code, 0, sweep.stdout);
    assert.deepEqual((JSON.parse(sweep.stdout) as { recovered: string[] }).recovered, ['demo rolled-back']);
    await assertLive(id, v1);
    await assertNoLeftovers(id);
  });

  it('the marker fails (disk exactly full): the content has landed unmarked, nothing is rolled back, the error names the manual recovery', async () => {
    const id = await createPluginContainer({ tmpfs: { [ROOT]: 'size=1m' } });
    await shIn(id, `mkdir -p ${ROOT}/.staging ${ROOT}/.previous`);
    // Leave room for v2's 3 one-page files and the journal's page, not one page more.
    const free = Number((await shIn(id, `set -- $(df -Pk ${ROOT}); shift 7; echo $4`)).trim());
    const fill = free - (3 + 1) * 4;
    await shIn(id, `head -c ${fill * 1024} /dev/zero > ${ROOT}/.filler`);
    const e = failure(await install(id, v2));
    assert.equal(e.step, 'install.marker');
    assert.match(e.message, /not marked complete/);
    assert.match(e.message, /berth plugins rollback/);
    assert.match(e.message, /\.complete yourself/);
    assert.match(e.rollback ?? '', /nothing/);
    const t = await containerTree(id, ROOT, 'exec');
    assert.ok(t);
    assert.deepEqual(subtree(t.tree, 'demo'), folderTree(v2), 'the content landed, without .complete');
    const list = await runCli(['plugins', 'list', id, '--json'], env);
    const plugins = (JSON.parse(list.stdout) as { workloads: { plugins: { name: string; state: string }[] }[] }).workloads[0]?.plugins;
    assert.deepEqual(plugins?.map((p) => `${p.name} ${p.state}`), ['demo incomplete']);
  });

  it('a plugin baked into the image layer cannot be renamed (overlayfs EXDEV): said clearly, nothing changes', async () => {
    const image = await ensureImportedImage('berth-test/plugins-baked:1', ['sh', 'mkdir', 'mv', 'rm', 'tar', 'sleep', 'df', 'sync', 'chmod'], {
      'configs/plugins/demo/a.txt': 'one\n',
      'configs/plugins/demo/sub/b.txt': 'bee\n',
      'configs/plugins/demo/.complete': '{"berth":1}\n',
    });
    const id = await createPluginContainer({ image });
    const before = await containerTree(id, `${ROOT}/demo`);
    const e = failure(await install(id, v2));
    assert.equal(e.step, 'install.aside');
    assert.match(e.message, /EXDEV.*image's layer/);
    assert.deepEqual((await containerTree(id, `${ROOT}/demo`))?.tree, before?.tree);
    await assertLive(id, v1, 'archive');
    await assertNoLeftovers(id, [], 'archive');
  });
});
