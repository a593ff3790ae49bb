import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Backend } from '../../server/src/backend';
import { BerthError } from '../../server/src/errors';
import { nullLog } from '../../server/src/log';
import { detachedContext } from '../../server/src/operation';
import { OBJECT_FILES } from '../../server/src/snapshots/layout';
import { recoverSnapshots } from '../../server/src/snapshots/recovery';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { sampleVolumes, storeSnapshot } from '../fixtures/snapshotBuilder';

const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/berth-test.sock' };

function backendAt(stateDir: string): Backend {
  return new Backend({ settings: {}, env: { ...NO_ENGINE, BERTH_STATE_DIR: stateDir } });
}

describe('snapshot store', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-store-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function freshStore(name: string): Promise<{ state: string; store: SnapshotStore; backend: Backend }> {
    const state = join(root, name);
    await mkdir(state, { recursive: true });
    return { state, store: new SnapshotStore(state), backend: backendAt(state) };
  }

  it('verifies an intact snapshot, recomputing every hash and the ID', async () => {
    const { store, backend } = await freshStore('intact');
    const record = await storeSnapshot(store, sampleVolumes());
    const result = await backend.snapshots.verify({ id: record.id }, detachedContext());
    assert.deepEqual({ ok: result.ok, files: result.files }, { ok: true, files: 4 });
    const [listed] = await backend.snapshots.list(undefined);
    assert.equal(listed?.verified.state, 'ok');
  });

  it('detects a flipped byte anywhere in a stored snapshot and names what failed (24 trials)', async (t) => {
    const { state, store } = await freshStore('corrupt-src');
    const record = await storeSnapshot(store, sampleVolumes());
    const objectDir = store.objectDir(record.id);
    const files = [OBJECT_FILES.data, OBJECT_FILES.manifest, OBJECT_FILES.seal];
    const sizes = await Promise.all(files.map(async (f) => (await stat(join(objectDir, f))).size));
    const total = sizes.reduce((a, b) => a + b, 0);
    const failures = new Map<string, number>();
    for (let trial = 0; trial < 24; trial++) {
      const copy = join(root, `corrupt-${trial}`);
      await cp(state, copy, { recursive: true });
      const copyStore = new SnapshotStore(copy);
      // Mostly anywhere (weighted by size); the first trials force the small files too.
      let which: number;
      let offset: number;
      if (trial < 3) {
        which = [1, 2, 1][trial] as number;
        offset = randomInt(sizes[which] as number);
      } else {
        let at = randomInt(total);
        which = 0;
        while (at >= (sizes[which] as number)) at -= sizes[which++] as number;
        offset = at;
      }
      const file = join(copyStore.objectDir(record.id), files[which] as string);
      const bytes = await readFile(file);
      bytes[offset] = (bytes[offset] as number) ^ randomInt(1, 256);
      await writeFile(file, bytes);
      const result = await backendAt(copy).snapshots.verify({ id: record.id }, detachedContext());
      assert.equal(result.ok, false, `flip at ${files[which]}:${offset} went unnoticed`);
      assert.ok(result.failure?.path, `the failure names an entry or file (${files[which]}:${offset}: ${result.failure?.message})`);
      failures.set(result.failure.path, (failures.get(result.failure.path) ?? 0) + 1);
      await rm(copy, { recursive: true, force: true });
    }
    t.diagnostic(`failures named: ${[...failures].map(([p, n]) => `${p} ×${n}`).join(', ')}`);
    assert.ok(failures.size >= 2, `failures name several entries: ${[...failures.keys()].join(', ')}`);
  });

  it('exports a portable file and imports it into another store with the same ID, verified', async () => {
    const { store, backend } = await freshStore('export-src');
    const record = await storeSnapshot(store, sampleVolumes(), { key: 'compose:shop/db', label: 'nightly' });
    const file = join(root, 'exported.tar.gz');
    const exported = await backend.snapshots.export({ id: record.id.slice(0, 12) }, file, detachedContext());
    assert.equal(exported.bytes, (await stat(file)).size);
    const target = await freshStore('import-dst');
    const imported = await target.backend.snapshots.import(file, detachedContext());
    assert.equal(imported.snapshot.id, record.id);
    assert.equal(imported.snapshot.workload.key, 'compose:shop/db');
    assert.equal(imported.snapshot.label, 'nightly');
    assert.equal(imported.snapshot.verified.state, 'ok');
    assert.equal(imported.existing, false);
    const again = await target.backend.snapshots.import(file, detachedContext());
    assert.equal(again.existing, true);
    assert.equal((await target.backend.snapshots.verify({ id: record.id }, detachedContext())).ok, true);
    assert.deepEqual(await readdir(target.store.layout.objects), [record.id]);
  });

  it('refuses to export damaged data and leaves no file behind', async () => {
    const { store, backend } = await freshStore('export-damaged');
    const record = await storeSnapshot(store, sampleVolumes());
    const data = join(store.objectDir(record.id), OBJECT_FILES.data);
    const bytes = await readFile(data);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] as number) ^ 0xff;
    await writeFile(data, bytes);
    const dir = await mkdtemp(join(root, 'out-'));
    await assert.rejects(backend.snapshots.export({ id: record.id }, join(dir, 'x.tar.gz'), detachedContext()), (e: unknown) => e instanceof BerthError && e.codeName === 'OperationFailed');
    assert.deepEqual(await readdir(dir), []);
  });

  it('keeps content shared by two workloads until the last of them deletes it', async () => {
    const { store, backend } = await freshStore('shared');
    const a = await storeSnapshot(store, sampleVolumes(), { key: 'container:a' });
    await storeSnapshot(store, sampleVolumes(), { key: 'container:b' });
    assert.equal((await backend.snapshots.list(undefined)).length, 2);
    const first = await backend.snapshots.remove({ id: a.id, workload: 'container:a' });
    assert.equal(first.freedBytes, 0);
    assert.equal(await store.hasObject(a.id), true);
    const second = await backend.snapshots.remove({ id: a.id });
    assert.ok(second.freedBytes > 0);
    assert.equal(await store.hasObject(a.id), false);
    assert.deepEqual(await backend.snapshots.list(undefined), []);
  });

  it('retention keeps the newest N plus every pinned or labelled snapshot', async () => {
    const { store, backend } = await freshStore('retention');
    const made = [];
    for (let i = 0; i < 6; i++) {
      made.push(await storeSnapshot(store, sampleVolumes(`r${i}`), { key: 'container:r', capturedAt: `2026-01-0${i + 1}T00:00:00.000Z`, label: i === 1 ? 'keep-me' : '', pinned: i === 0 }));
    }
    const { removed } = await backend.snapshots.prune({ workload: 'container:r', keep: 2 });
    // Newest two (i=5, i=4) stay; i=1 is labelled and i=0 pinned; i=2 and i=3 go.
    assert.deepEqual(new Set(removed), new Set([made[2]?.recordId, made[3]?.recordId]));
    const left = (await backend.snapshots.list('container:r')).map((s) => s.recordId);
    assert.deepEqual(new Set(left), new Set([made[5]?.recordId, made[4]?.recordId, made[1]?.recordId, made[0]?.recordId]));
    for (const r of [made[2], made[3]]) assert.equal(await store.hasObject(r?.id ?? ''), false);
  });

  it('pins and unpins', async () => {
    const { store, backend } = await freshStore('pin');
    const record = await storeSnapshot(store, sampleVolumes());
    assert.equal((await backend.snapshots.pin({ id: record.id }, true))[0]?.pinned, true);
    assert.equal((await backend.snapshots.list(undefined))[0]?.pinned, true);
    assert.equal((await backend.snapshots.pin({ id: record.id }, false))[0]?.pinned, false);
  });

  it('the startup sweep removes what dead processes left, keeps what live ones own, and never an object for lack of a record', async () => {
    const { store } = await freshStore('sweep');
    const kept = await storeSnapshot(store, sampleVolumes());
    // A temp directory of a process that is gone, one of this (live) process; an orphan object
    // (no record, no intent marker: kept and listed), and an object whose create-intent marker
    // names a dead process (a capture that died between the rename and its record: removed).
    const dead = await deadPid();
    await mkdir(join(store.layout.tmp, `${dead}-12345.capture-aaaa`), { recursive: true });
    await writeFile(join(store.layout.tmp, `${dead}-12345.capture-aaaa`, 'data.tar.gz'), 'partial');
    const live = await store.createTempDir('capture');
    const orphan = await storeSnapshot(store, sampleVolumes('orphan'), { key: 'container:gone' });
    await store.catalog.remove(orphan);
    const abandoned = await storeSnapshot(store, sampleVolumes('abandoned'), { key: 'container:died' });
    await store.catalog.remove(abandoned);
    await mkdir(store.layout.intents, { recursive: true });
    await writeFile(store.intentPath(abandoned.id), JSON.stringify({ schemaVersion: 1, id: abandoned.id, op: 'create', owner: { pid: dead, startTime: '12345', host: hostname() }, at: new Date().toISOString() }));
    const report = await recoverSnapshots(store, () => { throw new Error('no engine needed'); }, nullLog);
    assert.equal(report.tempRemoved, 1);
    assert.deepEqual(report.abandonedObjectsRemoved, [abandoned.id]);
    assert.deepEqual(report.orphans, [orphan.id]);
    assert.deepEqual(await readdir(store.layout.tmp), [live.split('/').pop()]);
    assert.deepEqual(new Set(await store.objectIds()), new Set([kept.id, orphan.id]));
    assert.deepEqual(await readdir(store.layout.intents), []);
    const again = await recoverSnapshots(store, () => { throw new Error('no engine needed'); }, nullLog);
    assert.deepEqual({ temp: again.tempRemoved, removed: again.abandonedObjectsRemoved.length, orphans: again.orphans }, { temp: 0, removed: 0, orphans: [orphan.id] });
  });

  it('a record whose object vanished is kept and listed with its data missing, never dropped', async () => {
    const { store, backend } = await freshStore('dangling');
    const record = await storeSnapshot(store, sampleVolumes());
    await rm(store.objectDir(record.id), { recursive: true });
    const report = await recoverSnapshots(store, () => { throw new Error('no engine needed'); }, nullLog);
    assert.deepEqual(report.missingData, [record.recordId]);
    const listed = await backend.snapshots.list(undefined);
    assert.deepEqual(listed.map((s) => [s.recordId, s.dataMissing]), [[record.recordId, true]]);
  });

  it('names ambiguous or unknown IDs with typed errors', async () => {
    const { backend } = await freshStore('refs');
    await assert.rejects(backend.snapshots.verify({ id: 'bad\nname' }, detachedContext()), (e: unknown) => e instanceof BerthError && e.codeName === 'InvalidParams');
    await assert.rejects(backend.snapshots.verify({ id: 'nothex!' }, detachedContext()), (e: unknown) => e instanceof BerthError && e.codeName === 'NotFound');
    await assert.rejects(backend.snapshots.verify({ id: 'abcdef0123' }, detachedContext()), (e: unknown) => e instanceof BerthError && e.codeName === 'NotFound');
  });
});

/** A PID that belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid as number;
  await new Promise((resolve) => child.on('exit', resolve));
  return pid;
}
