// What a snapshot holds, against the real engine: every kind of entry a volume can contain goes
// through capture, restore and the pre-restore safety copy exactly (names as bytes, newlines in
// names and link targets, symlinks to anywhere, hard links, FIFOs, devices), nothing the safety
// copy cannot hold is ever deleted, links that escape only together are handled by the one
// resolver, and schema-1 snapshots stored by the first release still restore. Trees are read on
// the host with Buffer names (fixtures/rawTree.ts), independently of the product's code.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes } from '../../protocol/src';
import { detachedContext } from '../../server/src/operation';
import { cleanupTestObjects } from '../fixtures/docker';
import { emptyDir, rawTree, writeEverything } from '../fixtures/rawTree';
import { assertRunning, createWorld, leftovers, treeOfManifest, type World } from '../fixtures/restoreWorld';
import { installV1Snapshot, V1_ID } from '../fixtures/v1Snapshot';

const ctx = () => detachedContext();

describe('restore: every kind of entry, exactly', () => {
  let world: World;
  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
  });
  after(async () => {
    await world?.dispose();
    await cleanupTestObjects();
  });

  const trees = () => ({ data: rawTree(world.volumeDir), bind: rawTree(world.bindDir) });

  it('capture holds newline and non-UTF-8 names, outside symlinks, newline link targets, hard links, FIFOs and a device; restore and the safety copy put them back exactly', async () => {
    const backend = world.backend();
    writeEverything(world.volumeDir, 'A');
    writeEverything(world.bindDir, 'A', { devices: false });
    const treesA = trees();
    const created = await backend.snapshots.create({ workload: world.name, label: 'everything' }, ctx());
    const manifest = await backend.snapshots.store().readManifest(created.snapshot.id);
    for (const v of manifest.volumes) assert.deepEqual(v.skipped, [], `nothing in ${v.target} is skipped`);
    assert.deepEqual(created.warnings.filter((w) => /Skipped/.test(w)), [], created.warnings.join('\n'));
    const data = manifest.volumes.find((v) => v.target === '/data');
    assert.deepEqual(
      new Set(data?.entries.map((e) => e.type)),
      new Set(['dir', 'file', 'symlink', 'hardlink', 'fifo', 'chardev']),
      'every type is held as what it is',
    );
    assert.equal((await backend.snapshots.verify({ id: created.snapshot.id }, ctx())).ok, true, 'it verifies');

    writeEverything(world.volumeDir, 'B');
    writeEverything(world.bindDir, 'B', { devices: false });
    writeFileSync(join(world.volumeDir, 'only-in-B'), 'B\n');
    const treesB = trees();
    assert.notDeepEqual(treesB, treesA);

    const result = await backend.restore.restore({ workload: world.name, snapshot: created.snapshot.id, confirm: created.snapshot.id }, ctx());
    assert.deepEqual(trees(), treesA, 'the live trees are exactly the captured ones: names, types, targets, links, devices');
    assert.equal(result.keptAsides, undefined, 'the safety copy holds everything, so nothing is kept aside');
    assert.ok(result.safetySnapshot);
    assert.deepEqual(await leftovers(world), []);
    await assertRunning(world);

    // The pre-restore snapshot holds everything it replaced: restoring it gives tree B back.
    const back = await backend.restore.restore({ workload: world.name, snapshot: result.safetySnapshot, confirm: result.safetySnapshot }, ctx());
    assert.deepEqual(trees(), treesB, 'the safety copy restores the replaced trees exactly');
    assert.ok(back.safetySnapshot);
    assert.deepEqual(await leftovers(world), []);
  });

  it('a symlink whose target holds a newline verifies and restores', async () => {
    const backend = world.backend();
    emptyDir(world.volumeDir);
    emptyDir(world.bindDir);
    symlinkSync('first line\nsecond line', join(world.volumeDir, 'two-lines'));
    symlinkSync('x\n', join(world.bindDir, 'trailing-newline'));
    writeFileSync(join(world.bindDir, 'f'), 'f\n');
    const before = trees();
    const { snapshot } = await backend.snapshots.create({ workload: world.name }, ctx());
    assert.equal((await backend.snapshots.verify({ id: snapshot.id }, ctx())).ok, true);
    emptyDir(world.volumeDir);
    emptyDir(world.bindDir);
    await backend.restore.restore({ workload: world.name, snapshot: snapshot.id, confirm: snapshot.id }, ctx());
    assert.deepEqual(trees(), before);
  });

  it('keeps the moved-aside data, and says where and why, when the safety copy cannot hold all of it (a socket)', async () => {
    const backend = world.backend();
    emptyDir(world.volumeDir);
    emptyDir(world.bindDir);
    writeFileSync(join(world.volumeDir, 'kept.txt'), 'snapshot\n');
    const { snapshot } = await backend.snapshots.create({ workload: world.name }, ctx());
    writeFileSync(join(world.volumeDir, 'kept.txt'), 'live data\n');
    const server: Server = createServer().listen(join(world.volumeDir, 'app.sock'));
    await new Promise((r) => server.once('listening', r));
    try {
      const result = await backend.restore.restore({ workload: world.name, snapshot: snapshot.id, confirm: snapshot.id }, ctx());
      assert.equal(result.keptAsides?.length, 1, JSON.stringify(result));
      const kept = result.keptAsides?.[0];
      assert.ok(kept && kept.path.startsWith(join(world.volumeDir, '..')), kept?.path);
      assert.match(kept.reason, /app\.sock/);
      assert.match(kept.reason, /socket/);
      assert.ok(result.warnings.some((w) => w.includes(kept.path)), result.warnings.join('\n'));
      assert.ok(lstatSync(join(kept.path, 'app.sock')).isSocket(), 'the socket is still there');
      assert.equal(rawTree(kept.path).find((e) => e.path === 'kept.txt')?.size, 'live data\n'.length, 'the old file too');
      assert.equal(rawTree(world.volumeDir).find((e) => e.path === 'kept.txt')?.size, 'snapshot\n'.length, 'the snapshot is live');
      const left = await leftovers(world);
      assert.deepEqual(left, [kept.path], 'only the kept data remains (no journal, helper or stage)');
      rmSync(kept.path, { recursive: true, force: true });
    } finally {
      server.close();
    }
  });

  it('refuses to restore a device node into a bind mount, before touching anything; verify says the same', async () => {
    const backend = world.backend();
    emptyDir(world.volumeDir);
    writeEverything(world.bindDir, 'dev', { devices: true });
    const { snapshot, warnings } = await backend.snapshots.create({ workload: world.name }, ctx());
    assert.ok(warnings.some((w) => /device node in the bind mount/.test(w)), warnings.join('\n'));
    const verified = await backend.snapshots.verify({ id: snapshot.id }, ctx());
    assert.equal(verified.ok, false);
    assert.match(verified.failure?.message ?? '', /device node in the bind mount \/bind/);
    writeFileSync(join(world.bindDir, 'changed'), 'x\n');
    const before = trees();
    const startedAt = (await world.container()).State.StartedAt;
    await assert.rejects(
      backend.restore.restore({ workload: world.name, snapshot: snapshot.id, confirm: snapshot.id }, ctx()),
      (e: { code?: number; message?: string }) => e.code === ErrorCodes.Rejected && /device node in the bind mount/.test(e.message ?? ''),
    );
    assert.deepEqual(trees(), before, 'nothing changed');
    assert.equal((await world.container()).State.StartedAt, startedAt, 'the workload was never stopped');

    // Restoring something else over it: the safety copy holds the device but could never be
    // restored, so it does not count as holding the old data, and the old data is kept.
    emptyDir(world.bindDir);
    writeFileSync(join(world.bindDir, 'plain'), 'plain\n');
    const plain = await backend.snapshots.create({ workload: world.name }, ctx());
    writeEverything(world.bindDir, 'dev2', { devices: true });
    const result = await backend.restore.restore({ workload: world.name, snapshot: plain.snapshot.id, confirm: plain.snapshot.id }, ctx());
    const kept = result.keptAsides?.find((k) => k.path.startsWith(world.bindParent));
    assert.ok(kept, JSON.stringify(result.keptAsides));
    assert.match(kept.reason, /device node in the bind mount/);
    assert.ok(lstatSync(join(kept.path, 'null-dev2')).isCharacterDevice(), 'the old data is all there');
    // A restore takes a snapshot whole, so none of that safety copy could be restored: the
    // named volume's old data is kept too.
    assert.equal(result.keptAsides?.length, 2);
    for (const k of result.keptAsides ?? []) rmSync(k.path, { recursive: true, force: true });
  });
});

describe('restore: links that leave the volume only together', () => {
  let world: World;
  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
  });
  after(async () => {
    await world?.dispose();
    await cleanupTestObjects();
  });

  it('capture keeps them as links (never followed) and names them; restore recreates them and writes nothing outside', async () => {
    const backend = world.backend();
    emptyDir(world.volumeDir);
    emptyDir(world.bindDir);
    mkdirSync(join(world.volumeDir, 'a'));
    symlinkSync('..', join(world.volumeDir, 'a', 'l1'));
    symlinkSync('a/l1/..', join(world.volumeDir, 'l2'));
    symlinkSync('/data', join(world.volumeDir, 'up'));
    symlinkSync('/data/up/..', join(world.volumeDir, 'esc'));
    writeFileSync(join(world.volumeDir, 'a', 'f'), 'f\n');
    const parent = join(world.volumeDir, '..');
    const parentBefore = readdirSync(parent).sort();
    const before = rawTree(world.volumeDir);
    const created = await backend.snapshots.create({ workload: world.name }, ctx());
    const manifest = await backend.snapshots.store().readManifest(created.snapshot.id);
    const data = manifest.volumes.find((v) => v.target === '/data');
    const links = Object.fromEntries((data?.entries ?? []).filter((e) => e.type === 'symlink').map((e) => [e.path, e.target]));
    assert.deepEqual(links, { 'a/l1': '..', l2: 'a/l1/..', up: '/data', esc: '/data/up/..' }, 'kept verbatim, nothing followed into');
    assert.equal(data?.entries.length, 7, 'no entry was read through a link');
    const warning = created.warnings.find((w) => /lead outside the volume/.test(w)) ?? '';
    assert.match(warning, /l2 -> a\/l1\/\.\. \(through a\/l1\)/);
    assert.match(warning, /esc -> \/data\/up\/\.\. \(through up\)/);
    assert.doesNotMatch(warning, /a\/l1 -> /, 'a/l1 alone stays inside');

    emptyDir(world.volumeDir);
    await backend.restore.restore({ workload: world.name, snapshot: created.snapshot.id, confirm: created.snapshot.id }, ctx());
    assert.deepEqual(rawTree(world.volumeDir), before, 'the links are back exactly');
    assert.deepEqual(readdirSync(parent).sort(), parentBefore, 'nothing was written beside the volume');
    assert.deepEqual(await leftovers(world), []);
  });
});

describe('restore: a schema-1 snapshot stored by the first release', () => {
  let world: World;
  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
  });
  after(async () => {
    await world?.dispose();
    await cleanupTestObjects();
  });

  it('still verifies and restores exactly what its manifest says', async () => {
    const backend = world.backend();
    const workload = await backend.workloads.resolve(world.name);
    const id = installV1Snapshot(world.stateDir, workload.identity);
    assert.equal(id, V1_ID);
    const verified = await backend.snapshots.verify({ id }, ctx());
    assert.equal(verified.ok, true, verified.failure?.message);
    writeFileSync(join(world.volumeDir, 'replaced'), 'x\n');
    await backend.restore.restore({ workload: world.name, snapshot: id, confirm: id }, ctx());
    const manifest = await backend.snapshots.store().readManifest(id);
    assert.equal(manifest.schemaVersion, 1);
    assert.deepEqual(world.trees()['/data'], treeOfManifest(manifest.volumes[0]?.entries ?? []));
    assert.ok(existsSync(join(world.volumeDir, 'na\\xc3\\xafve.txt')));
  });
});
