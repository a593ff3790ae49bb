// Guards 1 and 2 and the helper-image rule, each refusing before anything is touched: targets
// derived from the current mounts with every mismatch listed; read-only mounts, `/`, the
// engine's data directory (and its ancestors and insides), overlapping targets, a target that is
// a mount point of its own, a volume whose data is mounted over its directory; not enough free
// space (with figures); a workload image without /bin/sh, and a missing helper image.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { ErrorCodes, type WorkloadIdentity } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { detachedContext } from '../../server/src/operation';
import { cleanupTestObjects, docker, TEST_LABEL, TEST_RUN } from '../fixtures/docker';
import { mountTmpfs } from '../fixtures/hostMounts';
import { simpleDraft, storeDraft } from '../fixtures/hostileSnapshots';
import { assertRunning, createWorld, fill, leftovers, treeHash, treeOf, type World, type WorldOptions } from '../fixtures/restoreWorld';

const disposers: (() => Promise<void> | void)[] = [];

async function world(options: WorldOptions = {}): Promise<World> {
  const w = await createWorld(options);
  disposers.push(() => w.dispose());
  return w;
}

async function identityOf(w: World): Promise<WorkloadIdentity> {
  return (await w.backend().workloads.resolve(w.name)).identity;
}

function liveHash(w: World): string {
  const t = w.trees();
  return treeHash([...t['/data'], ...t['/bind']]);
}

/** Restores a crafted snapshot with these volumes; expects Rejected matching every pattern. */
async function expectRefused(w: World, targets: { target: string; type: 'volume' | 'bind' }[], patterns: RegExp[]): Promise<void> {
  const id = storeDraft(w.stateDir, await identityOf(w), simpleDraft(await identityOf(w), targets), simpleDraft(await identityOf(w), targets));
  const before = liveHash(w);
  await assert.rejects(w.backend().restore.restore({ workload: w.name, snapshot: id, confirm: id }, detachedContext()), (e: { code?: number; message: string }) => {
    assert.equal(e.code, ErrorCodes.Rejected, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
  assert.equal(liveHash(w), before, 'nothing changed');
  assert.deepEqual(await leftovers(w), []);
  await assertRunning(w);
}

describe('restore: guards refuse before anything is touched', () => {
  afterEach(async () => {
    for (const d of disposers.splice(0).reverse()) await d();
  });
  after(() => cleanupTestObjects());

  it('a read-only mount, and a target the container does not mount, are listed together', async () => {
    const w = await world({ bindReadOnly: true });
    fill(w, 'B');
    await expectRefused(w, [{ target: '/bind', type: 'bind' }, { target: '/nowhere', type: 'volume' }], [/\/bind\): the mount is read-only/, /no mount at \/nowhere/]);
  });

  it('a bind of / is never replaced', async () => {
    const w = await world({ extraBinds: ['/:/host'] });
    await expectRefused(w, [{ target: '/host', type: 'bind' }], [/root directory \//]);
  });

  it('the engine\'s data directory, an ancestor of it, and a path inside it are never replaced', async () => {
    const root = (await docker().info()).DockerRootDir as string;
    const parent = root.slice(0, root.lastIndexOf('/')) || '/';
    const w = await world({ extraBinds: [`${root}:/engine`, `${parent}:/above`, `${root}/volumes:/inside`] });
    await expectRefused(
      w,
      [{ target: '/above', type: 'bind' }, { target: '/engine', type: 'bind' }, { target: '/inside', type: 'bind' }],
      [/\/above\).*ancestors/, /\/engine\).*data directory/, /\/inside\).*lies inside the engine's data directory/],
    );
  });

  it('targets that overlap on the engine host are refused', async () => {
    const host = mkdtempSync(join(tmpdir(), 'berth-overlap-'));
    disposers.push(() => rmSync(host, { recursive: true, force: true }));
    mkdirSync(join(host, 'x', 'y'), { recursive: true });
    const w = await world({ extraBinds: [`${join(host, 'x')}:/outer`, `${join(host, 'x', 'y')}:/inner`] });
    await expectRefused(w, [{ target: '/inner', type: 'bind' }, { target: '/outer', type: 'bind' }], [/overlap/]);
  });

  it('a volume whose data is mounted over its directory (driver options) is refused', async () => {
    const name = `berth-optvol-${process.pid}-${Date.now()}`;
    await docker().createVolume({ Name: name, Driver: 'local', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=8m' }, Labels: { [TEST_LABEL]: TEST_RUN } });
    disposers.push(() => docker().getVolume(name).remove({ force: true }).catch(() => undefined));
    const w = await world({ extraBinds: [`${name}:/opts`] });
    await expectRefused(w, [{ target: '/opts', type: 'volume' }], [/driver options/]);
  });

  it('a target that is a mount point of its own is refused (a rename would fail with EBUSY)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'berth-mp-'));
    const fs = mountTmpfs(8, join(parent, 'bind'));
    disposers.push(() => {
      fs.dispose();
      rmSync(parent, { recursive: true, force: true });
    });
    const w = await world({ bindParent: parent });
    await expectRefused(w, [{ target: '/bind', type: 'bind' }], [/mount point of its own/]);
  });

  it('an anonymous volume is refused (its name says nothing about whose data it holds)', async () => {
    const w = await world({ mounts: [{ Type: 'volume', Source: '', Target: '/anon' }] });
    await expectRefused(w, [{ target: '/anon', type: 'volume' }], [/Volume 0 \(\/anon\): the mount at \/anon is an anonymous volume/]);
  });

  it('a tmpfs where the snapshot has a volume is refused, naming the tmpfs', async () => {
    const w = await world({ tmpfs: { '/scratch': '' } });
    await expectRefused(w, [{ target: '/scratch', type: 'volume' }], [/Volume 0 \(\/scratch\): the container mounts a tmpfs there now/]);
  });

  it('a target whose directory on the engine host is a symbolic link is refused (only real directories are swapped)', async () => {
    const host = mkdtempSync(join(tmpdir(), 'berth-symlink-'));
    disposers.push(() => rmSync(host, { recursive: true, force: true }));
    mkdirSync(join(host, 'real'));
    writeFileSync(join(host, 'real', 'keep'), 'the link\'s target is never touched\n');
    symlinkSync(join(host, 'real'), join(host, 'link'));
    const w = await world({ extraBinds: [`${join(host, 'link')}:/linked`] });
    const target = treeHash(treeOf(join(host, 'real')));
    await expectRefused(w, [{ target: '/linked', type: 'bind' }], [/Volume 0 \(\/linked, .*\/link on the engine host\): it is a symbolic link/]);
    assert.equal(treeHash(treeOf(join(host, 'real'))), target);
  });

  it('not enough free space for the new data: refused with the figures', async () => {
    const fs = mountTmpfs(16);
    disposers.push(() => fs.dispose());
    const w = await world({ bindParent: fs.dir });
    fill(w, 'A');
    const { snapshot } = await w.backend().snapshots.create({ workload: w.name }, detachedContext());
    fill(w, 'B');
    fs.fillLeaving(2 * 1024 * 1024);
    const before = liveHash(w);
    await assert.rejects(w.backend().restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext()), (e: { code?: number; message: string }) => {
      assert.equal(e.code, ErrorCodes.Rejected);
      assert.match(e.message, /Not enough free space for \/bind: the new data needs 3\.\d MiB plus a margin \(\d+\.\d MiB in all\), but the filesystem on the engine host has \d\.\d MiB free/);
      return true;
    });
    assert.equal(liveHash(w), before);
    assert.deepEqual(await leftovers(w), []);
  });

  it('too few free inodes for the new entries: refused with the figures, though the bytes would fit', async () => {
    const fs = mountTmpfs(64, undefined, 'nr_inodes=380');
    disposers.push(() => fs.dispose());
    const w = await world({ bindParent: fs.dir });
    fill(w, 'A');
    mkdirSync(join(w.bindDir, 'many'));
    for (let i = 0; i < 300; i++) writeFileSync(join(w.bindDir, 'many', `f${i}`), `${i}\n`);
    const { snapshot } = await w.backend().snapshots.create({ workload: w.name }, detachedContext());
    fill(w, 'B');
    const before = liveHash(w);
    await assert.rejects(w.backend().restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext()), (e: { code?: number; message: string }) => {
      assert.equal(e.code, ErrorCodes.Rejected, e.message);
      assert.match(e.message, /Not enough free inodes for \/bind: the new data needs \d+ \(with margin\), the filesystem has \d+ free/);
      assert.doesNotMatch(e.message, /free space/, 'the bytes fit');
      return true;
    });
    assert.equal(liveHash(w), before);
    assert.deepEqual(await leftovers(w), []);
    await assertRunning(w);
  });

  it('two volumes on one filesystem: their needs are added up (each alone would fit, both do not)', async () => {
    const fs = mountTmpfs(32);
    disposers.push(() => fs.dispose());
    mkdirSync(join(fs.dir, 'bind2'));
    const w = await world({ bindParent: fs.dir, extraBinds: [`${join(fs.dir, 'bind2')}:/bind2`] });
    fill(w, 'A');
    writeFileSync(join(fs.dir, 'bind2', 'big.bin'), randomBytes(3 * 1024 * 1024));
    const { snapshot } = await w.backend().snapshots.create({ workload: w.name }, detachedContext());
    const manifest = await w.backend().snapshots.store().readManifest(snapshot.id);
    const bytes = (target: string) => manifest.volumes.find((v) => v.target === target)?.bytes ?? 0;
    fill(w, 'B');
    rmSync(join(fs.dir, 'bind2', 'big.bin'));
    // Free space between one volume's need with its margin and both volumes' need with it.
    const margin = (need: number) => need * 1.05 + 4 * 1024 * 1024;
    const alone = Math.max(margin(bytes('/bind')), margin(bytes('/bind2')));
    const both = margin(bytes('/bind') + bytes('/bind2'));
    assert.ok(both - alone > 2 * 1024 * 1024, `room to place the free space between ${alone} and ${both}`);
    fs.fillLeaving(Math.round((alone + both) / 2));
    const before = liveHash(w);
    await assert.rejects(w.backend().restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext()), (e: { code?: number; message: string }) => {
      assert.equal(e.code, ErrorCodes.Rejected, e.message);
      assert.match(e.message, /Not enough free space for \/bind, \/bind2: the new data needs [\d.]+ MiB plus a margin \([\d.]+ MiB in all\)/);
      return true;
    });
    assert.equal(liveHash(w), before);
    assert.deepEqual(await leftovers(w), []);
    await assertRunning(w);
  });

  it('a helper image that is not present: the workload\'s own image is used', async () => {
    const w = await world();
    fill(w, 'A');
    const { snapshot } = await w.backend().snapshots.create({ workload: w.name }, detachedContext());
    fill(w, 'B');
    const backend = new Backend({ settings: { helperImage: 'berth-test/does-not-exist:1' }, env: w.env });
    const result = await backend.restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext());
    assert.ok(result.safetySnapshot);
    assert.deepEqual(await leftovers(w), []);
  });

  it('a workload image without /bin/sh: a clear error naming the setting; with a helper image it works', async () => {
    const image = await noShellImage();
    const w = await world({ image, cmd: ['/bb', 'sh', '-c', 'trap "exit 0" TERM; while true; do /bb sleep 1; done'] });
    fill(w, 'A');
    const { snapshot } = await w.backend().snapshots.create({ workload: w.name }, detachedContext());
    fill(w, 'B');
    const before = liveHash(w);
    await assert.rejects(w.backend().restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext()), (e: { code?: number; message: string }) => {
      assert.equal(e.code, ErrorCodes.Rejected);
      assert.match(e.message, /no \/bin\/sh.*berth\.helperImage/s);
      return true;
    });
    assert.equal(liveHash(w), before);
    assert.deepEqual(await leftovers(w), []);

    const missing = new Backend({ settings: {}, env: { ...w.env, BERTH_HELPER_IMAGE: 'berth-test/does-not-exist:1' } });
    await assert.rejects(missing.restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext()), /does-not-exist:1 \(berth\.helperImage\) is not present.*no \/bin\/sh/s);

    const helped = new Backend({ settings: {}, env: { ...w.env, BERTH_HELPER_IMAGE: 'berth-test/busybox:1' } });
    const result = await helped.restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext());
    assert.ok(result.safetySnapshot);
    assert.notEqual(liveHash(w), before);
    assert.deepEqual(await leftovers(w), []);
  });
});

/** An image holding only a busybox binary at /bb: no /bin/sh. Cached like the busybox image. */
async function noShellImage(): Promise<string> {
  const name = 'berth-test/nosh:1';
  const images = await docker().listImages({ filters: { reference: [name] } });
  if (images.length > 0) return name;
  const root = mkdtempSync(join(tmpdir(), 'berth-nosh-'));
  try {
    const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) as string;
    copyFileSync(busybox, join(root, 'bb'));
    mkdirSync(join(root, 'tmp'));
    symlinkSync('/bb', join(root, 'notsh'));
    execFileSync('sh', ['-c', `tar -C "${root}" -c . | docker import - ${name}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return name;
}
