// The catalog's promises (issue 10, items 1 and 4): a record that cannot be read never costs its
// snapshot's data (it is quarantined and reported, the object stays and can be adopted); every
// capture is its own record and nothing a user named or pinned changes without their action;
// stores written by the release with one record per (workload, content) are migrated without
// losing a record, idempotently, and a kill at any point of the migration is finished by a rerun.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CATALOG_MIGRATION_STEPS, type ListSnapshotsResult } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { BerthError } from '../../server/src/errors';
import { nullLog } from '../../server/src/log';
import { detachedContext } from '../../server/src/operation';
import { keyDigest } from '../../server/src/snapshots/layout';
import { listQuarantine } from '../../server/src/snapshots/quarantine';
import { journalPath } from '../../server/src/snapshots/quiesce';
import { recoverSnapshots } from '../../server/src/snapshots/recovery';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { CORRUPTIONS } from '../fixtures/catalogDamage';
import { crashAt } from '../fixtures/crash';
import { manifestOf, portable, rawEntries, sampleVolumes, storeSnapshot } from '../fixtures/snapshotBuilder';

const NO_ENGINE = `unix:///nonexistent/berth-${process.pid}/docker.sock`;
const BERTH = resolve(process.cwd(), 'bin', 'berth.js');
const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'state-v1', 'state');
const noEngine = () => {
  throw new Error('no engine needed');
};

function backendAt(stateDir: string): Backend {
  return new Backend({ settings: {}, env: { DOCKER_HOST: NO_ENGINE, BERTH_STATE_DIR: stateDir } });
}

function berth(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BERTH, ...args], { env: { ...process.env, DOCKER_HOST: NO_ENGINE, BERTH_CRASH_AT: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

async function recordFiles(store: SnapshotStore): Promise<string[]> {
  const out: string[] = [];
  for (const dir of await readdir(store.layout.records).catch(() => [] as string[])) {
    for (const file of await readdir(join(store.layout.records, dir))) out.push(join(store.layout.records, dir, file));
  }
  return out.sort();
}

const invalid = (e: unknown) => e instanceof BerthError && e.codeName === 'InvalidParams';

describe('snapshot catalog: damaged records never cost data', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-catalog-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function fresh(name: string): Promise<{ state: string; store: SnapshotStore; backend: Backend }> {
    const state = join(root, name);
    await mkdir(state, { recursive: true });
    return { state, store: new SnapshotStore(state), backend: backendAt(state) };
  }

  for (const [kind, damage] of Object.entries(CORRUPTIONS)) {
    it(`a ${kind} record: the sweep keeps the object, quarantines the record, reports both, and adopt brings it back verified`, async () => {
      const { state, store, backend } = await fresh(`corrupt-${kind.replace(/\W+/g, '-')}`);
      const record = await storeSnapshot(store, sampleVolumes(kind), { label: 'precious' });
      const [file] = await recordFiles(store);
      assert.ok(file);
      const damaged = damage(await readFile(file));
      await writeFile(file, damaged);

      // What "snapshots list --json" reports before any sweep: the record in place, unreadable.
      const early = await backend.snapshots.listAll(undefined);
      assert.deepEqual(early.snapshots, []);
      assert.deepEqual(early.quarantined.map((q) => [q.entry, q.contentId, q.objectPresent]), [['', record.id, true]]);

      const report = await recoverSnapshots(store, noEngine, nullLog);
      await recoverSnapshots(store, noEngine, nullLog);
      assert.equal(await store.hasObject(record.id), true, 'the object is still in the store');
      assert.deepEqual(await recordFiles(store), [], 'the record left records/');
      assert.equal(report.quarantined.length, 1);
      const [entry] = await listQuarantine(store.layout);
      assert.equal(entry?.contentId, record.id);
      assert.equal(entry?.recordId, record.recordId);
      assert.ok(entry?.reason);
      const kept = await readdir(join(store.layout.quarantine, entry.entry));
      assert.deepEqual(kept.sort(), [file.split('/').pop(), 'reason.json'].sort());
      assert.deepEqual(await readFile(join(store.layout.quarantine, entry.entry, file.split('/').pop() as string)), damaged, 'the damaged bytes are kept as they were');

      // Reported in "snapshots list --json" (the real CLI), orphaned and recoverable.
      const listed = await berth(['snapshots', 'list', '--json'], { BERTH_STATE_DIR: state });
      assert.equal(listed.code, 0, listed.stderr);
      const doc = JSON.parse(listed.stdout) as ListSnapshotsResult;
      assert.deepEqual(doc.snapshots, []);
      assert.deepEqual(doc.orphans.map((o) => [o.id, o.manifest?.label, o.problem]), [[record.id, 'precious', undefined]]);
      assert.deepEqual(doc.quarantined.map((q) => [q.entry, q.contentId, q.objectPresent]), [[entry.entry, record.id, true]]);

      const adopted = await berth(['snapshots', 'adopt', record.id.slice(0, 12), '--json'], { BERTH_STATE_DIR: state });
      assert.equal(adopted.code, 0, adopted.stderr);
      const after = await backend.snapshots.listAll(undefined);
      assert.deepEqual(after.snapshots.map((s) => [s.id, s.label, s.origin, s.pinned, s.capturedAt]), [[record.id, 'precious', 'adopted', true, record.capturedAt]]);
      assert.deepEqual({ orphans: after.orphans, quarantined: after.quarantined }, { orphans: [], quarantined: [] });
      const verified = await berth(['snapshots', 'verify', after.snapshots[0]?.recordId ?? '', '--json'], { BERTH_STATE_DIR: state });
      assert.equal(verified.code, 0, verified.stdout);
      assert.equal((await listQuarantine(store.layout))[0]?.adoptedAs, after.snapshots[0]?.recordId, 'the entry stays, marked adopted');
    });
  }

  it('adopt before any sweep sets the unreadable record aside itself, and nothing is left needing attention', async () => {
    const { store, backend } = await fresh('adopt-before-sweep');
    const record = await storeSnapshot(store, sampleVolumes('early'), { label: 'early' });
    await writeFile(store.catalog.recordPath(record), '{garbage');
    const adopted = await backend.snapshots.adopt(record.id);
    assert.equal(adopted.id, record.id);
    const listed = await backend.snapshots.listAll(undefined);
    assert.deepEqual([listed.snapshots.map((s) => s.recordId), listed.orphans, listed.quarantined], [[adopted.recordId], [], []]);
    const [entry] = await listQuarantine(store.layout);
    assert.equal(entry?.adoptedAs, adopted.recordId);
  });

  it('deleting the other record of shared content keeps the object a quarantined record needs', async () => {
    const { store, backend } = await fresh('shared-quarantined');
    const a = await storeSnapshot(store, sampleVolumes('s'), { key: 'container:a' });
    const b = await storeSnapshot(store, sampleVolumes('s'), { key: 'container:b' });
    assert.equal(a.id, b.id);
    await writeFile(store.catalog.recordPath(b), '{garbage');
    await recoverSnapshots(store, noEngine, nullLog);
    const deleted = await backend.snapshots.remove({ id: a.recordId });
    assert.equal(deleted.freedBytes, 0);
    assert.equal(await store.hasObject(a.id), true, 'kept for the quarantined record');
    // Also before the sweep moved it aside: the damaged file in records/ still names its object.
    const c = await storeSnapshot(store, sampleVolumes('t'), { key: 'container:a' });
    const d = await storeSnapshot(store, sampleVolumes('t'), { key: 'container:b' });
    await writeFile(store.catalog.recordPath(d), 'x');
    await backend.snapshots.remove({ id: c.recordId });
    assert.equal(await store.hasObject(c.id), true, 'kept for the unreadable record');
  });

  it('a record of a newer catalog schema is left in place (not quarantined), and its object kept', async () => {
    const { store } = await fresh('newer');
    const record = await storeSnapshot(store, sampleVolumes('n'));
    const path = store.catalog.recordPath(record);
    await writeFile(path, JSON.stringify({ ...record, schemaVersion: 3 }));
    const report = await recoverSnapshots(store, noEngine, nullLog);
    assert.deepEqual(report.quarantined, []);
    assert.ok(existsSync(path));
    assert.equal(await store.hasObject(record.id), true);
    assert.ok(report.problems.some((p) => /newer Berth/.test(p)));
  });

  it('an unreadable quiesce journal is quarantined and reported, never deleted', async () => {
    const { store } = await fresh('quiesce');
    await store.ensure();
    const path = journalPath(store.layout, 'container:x');
    await writeFile(path, '{"schemaVersion":1,"key":');
    const report = await recoverSnapshots(store, noEngine, nullLog);
    assert.ok(report.problems.some((p) => /quiesce journal/.test(p)), report.problems.join('\n'));
    const [entry] = await listQuarantine(store.layout);
    assert.equal(entry?.from, `snapshots/quiesce/${path.split('/').pop()}`);
    assert.deepEqual(await readFile(join(store.layout.quarantine, entry.entry, path.split('/').pop() as string), 'utf8'), '{"schemaVersion":1,"key":');
  });

  it('an object with neither record nor intent marker is listed as orphaned and kept; adopt refuses an object that has its record', async () => {
    const { store, backend } = await fresh('orphan');
    const record = await storeSnapshot(store, sampleVolumes('o'));
    await assert.rejects(backend.snapshots.adopt(record.id), (e: unknown) => e instanceof BerthError && e.codeName === 'Conflict');
    await store.catalog.remove(record);
    for (let i = 0; i < 2; i++) await recoverSnapshots(store, noEngine, nullLog);
    assert.equal(await store.hasObject(record.id), true);
    const listed = await backend.snapshots.listAll(undefined);
    assert.deepEqual(listed.orphans.map((o) => o.id), [record.id]);
    await assert.rejects(backend.snapshots.verify({ id: record.id }, detachedContext()), (e: unknown) => e instanceof BerthError && e.codeName === 'NotFound' && /adopt/.test(e.message));
  });
});

describe('snapshot catalog: every capture is its own record', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-records-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('two imports of identical content with different labels keep both records with their own times; the same file again adds none', async () => {
    const state = join(root, 'imports');
    const backend = backendAt(state);
    const volumes = sampleVolumes('same');
    const first = join(root, 'first.tar.gz');
    const second = join(root, 'second.tar.gz');
    await writeFile(first, portable({ ...manifestOf(volumes, { label: 'before-upgrade' }), capturedAt: '2026-01-01T00:00:00.000Z' }, rawEntries(volumes)));
    await writeFile(second, portable({ ...manifestOf(volumes, { label: 'nightly' }), capturedAt: '2026-01-02T00:00:00.000Z' }, rawEntries(volumes)));
    const a = await backend.snapshots.import(first, detachedContext());
    const b = await backend.snapshots.import(second, detachedContext());
    assert.equal(a.snapshot.id, b.snapshot.id);
    assert.notEqual(a.snapshot.recordId, b.snapshot.recordId);
    const again = await backend.snapshots.import(first, detachedContext());
    assert.equal(again.existing, true);
    assert.equal(again.snapshot.recordId, a.snapshot.recordId);
    const listed = await backend.snapshots.list(undefined);
    assert.deepEqual(listed.map((s) => [s.label, s.capturedAt]), [
      ['nightly', '2026-01-02T00:00:00.000Z'],
      ['before-upgrade', '2026-01-01T00:00:00.000Z'],
    ]);
    assert.equal((await readdir(join(state, 'snapshots', 'objects'))).length, 1);
  });

  it('delete and pin by a content ID that several records share are refused, listing them; by record ID or label they act on that record only', async () => {
    const state = join(root, 'ambiguous');
    const store = new SnapshotStore(state);
    const backend = backendAt(state);
    const one = await storeSnapshot(store, sampleVolumes('amb'), { label: 'keep-me', capturedAt: '2026-01-01T00:00:00.000Z' });
    const two = await storeSnapshot(store, sampleVolumes('amb'), { capturedAt: '2026-01-02T00:00:00.000Z' });
    await assert.rejects(backend.snapshots.remove({ id: one.id.slice(0, 10) }), (e: unknown) => invalid(e) && (e as Error).message.includes(one.recordId) && (e as Error).message.includes(two.recordId));
    await assert.rejects(backend.snapshots.pin({ id: one.id }, true), invalid);
    // Content operations do not care: the content is the same.
    assert.equal((await backend.snapshots.verify({ id: one.id.slice(0, 10) }, detachedContext())).ok, true);
    const pinned = await backend.snapshots.pin({ id: 'keep-me' }, true);
    assert.deepEqual(pinned.map((s) => s.recordId), [one.recordId]);
    const removed = await backend.snapshots.remove({ id: two.recordId });
    assert.deepEqual(removed.deleted.map((d) => d.recordId), [two.recordId]);
    assert.equal(removed.freedBytes, 0);
    const left = await backend.snapshots.list(undefined);
    assert.deepEqual(left.map((s) => [s.recordId, s.label, s.pinned, s.capturedAt]), [[one.recordId, 'keep-me', true, '2026-01-01T00:00:00.000Z']]);
    assert.equal(await store.hasObject(one.id), true);
  });

  it('retention removes old unlabelled records but never the data a kept record shares', async () => {
    const state = join(root, 'retention-shared');
    const store = new SnapshotStore(state);
    const backend = backendAt(state);
    const labelled = await storeSnapshot(store, sampleVolumes('r'), { key: 'container:r', label: 'before-upgrade', capturedAt: '2026-01-01T00:00:00.000Z' });
    const old = await storeSnapshot(store, sampleVolumes('r'), { key: 'container:r', capturedAt: '2026-01-02T00:00:00.000Z' });
    await storeSnapshot(store, sampleVolumes('r2'), { key: 'container:r', capturedAt: '2026-01-03T00:00:00.000Z' });
    const { removed } = await backend.snapshots.prune({ workload: 'container:r', keep: 1 });
    assert.deepEqual(removed, [old.recordId]);
    assert.equal(await store.hasObject(labelled.id), true);
    assert.deepEqual((await backend.snapshots.list('container:r')).map((s) => s.label).sort(), ['', 'before-upgrade']);
  });
});

describe('snapshot catalog: migration of a store written by the release with one record per content', () => {
  let root: string;
  before(async () => {
    assert.ok(existsSync(resolve(process.cwd(), 'dist', 'cli.js')), 'build the CLI first (node esbuild.mjs)');
    root = await mkdtemp(join(tmpdir(), 'berth-migrate-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The fixture's records as the migration must leave them (record IDs aside). */
  const EXPECTED = [
    ['container:berth-fixture-c', '2026-12-07T18:11:39', 'exported', false, 'import', 'f0c7ff4e8e48'],
    ['container:berth-fixture-b', '2026-12-07T18:11:38', '', false, 'capture', 'aa9de4e70e3f'],
    ['container:berth-fixture-a', '2026-12-07T18:11:37', '', true, 'capture', '7185bd09b845'],
    ['container:berth-fixture-a', '2026-12-07T18:11:35', 'nightly', false, 'capture', 'aa9de4e70e3f'],
    ['container:berth-fixture-a', '2026-12-07T18:11:34', 'before-upgrade', false, 'capture', 'aa9de4e70e3f'],
  ];

  async function copyFixture(name: string): Promise<string> {
    const state = join(root, name);
    await cp(FIXTURE, state, { recursive: true });
    return state;
  }

  async function v1Files(dir: string): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const d of await readdir(dir).catch(() => [] as string[])) {
      for (const f of await readdir(join(dir, d))) out.set(`${d}/${f}`, await readFile(join(dir, d, f)));
    }
    return out;
  }

  async function assertMigrated(state: string, label: string): Promise<string[]> {
    const backend = backendAt(state);
    const listed = await backend.snapshots.listAll(undefined);
    const rows = listed.snapshots.map((s) => [s.workload.key, s.capturedAt.slice(0, 19), s.label, s.pinned, s.origin, s.id.slice(0, 12)]);
    assert.deepEqual(rows, EXPECTED, label);
    assert.deepEqual({ orphans: listed.orphans, quarantined: listed.quarantined }, { orphans: [], quarantined: [] }, label);
    const store = new SnapshotStore(state);
    const files = await recordFiles(store);
    assert.equal(files.length, EXPECTED.length, `${label}: one file per record, no copies: ${files.join(', ')}`);
    // The old records are never lost: each is kept byte for byte under legacy/v1/.
    assert.deepEqual(await v1Files(store.layout.legacy), await v1Files(join(FIXTURE, 'snapshots', 'records')), `${label}: schema-1 records kept`);
    return listed.snapshots.map((s) => s.recordId).sort();
  }

  it('keeps every record, brings back the label a later capture overwrote, and keeps the old files', async () => {
    const state = await copyFixture('clean');
    const ids = await assertMigrated(state, 'first run');
    const before = await recordFiles(new SnapshotStore(state));
    const texts = await Promise.all(before.map((f) => readFile(f, 'utf8')));
    const report = await recoverSnapshots(new SnapshotStore(state), noEngine, nullLog);
    assert.equal(report.migrated, 0, 'idempotent: nothing left to migrate');
    assert.deepEqual(await assertMigrated(state, 'second run'), ids);
    assert.deepEqual(await Promise.all(before.map((f) => readFile(f, 'utf8'))), texts, 'the records are unchanged by a rerun');
    // The migrated store works: the shared object verifies, and the pinned record is pinned.
    assert.equal((await backendAt(state).snapshots.verify({ id: 'before-upgrade' }, detachedContext())).ok, true);
  });

  it('the records a migration writes are the same whichever process runs it (IDs derived from the old records)', async () => {
    const one = await assertMigrated(await copyFixture('same-a'), 'a');
    const two = await assertMigrated(await copyFixture('same-b'), 'b');
    assert.deepEqual(one, two);
  });

  for (const step of CATALOG_MIGRATION_STEPS) {
    for (const skip of [0, 1, 2, 3]) {
      it(`a kill at ${step} (file ${skip + 1} of 4), then any command, gives the same result`, async () => {
        const clean = await assertMigrated(await copyFixture(`reference-${step}-${skip}`), 'reference');
        const state = await copyFixture(`crash-${step}-${skip}`);
        const crashed = await berth(['snapshots', 'list', '--json'], { BERTH_STATE_DIR: state, ...crashAt(step, { skip }) });
        assert.equal(crashed.signal, 'SIGKILL', `died at ${step} (exit ${crashed.code}: ${crashed.stderr})`);
        const next = await berth(['snapshots', 'list', '--json'], { BERTH_STATE_DIR: state });
        assert.equal(next.code, 0, next.stderr);
        assert.equal((JSON.parse(next.stdout) as ListSnapshotsResult).snapshots.length, EXPECTED.length);
        assert.deepEqual(await assertMigrated(state, `after a kill at ${step} #${skip}`), clean);
      });
    }
  }

  it('a schema-1 record that cannot be read is quarantined by the migration; its object stays', async () => {
    const state = await copyFixture('damaged-v1');
    const digest = keyDigest('container:berth-fixture-c');
    const file = join(state, 'snapshots', 'records', digest, 'f0c7ff4e8e48c98af6807a66e556a732ed72dc1c9edae843e45004d0660f697b.json');
    await writeFile(file, '{garbage');
    const listed = await backendAt(state).snapshots.listAll(undefined);
    assert.equal(listed.snapshots.length, EXPECTED.length - 1);
    assert.deepEqual(listed.orphans.map((o) => o.id.slice(0, 12)), ['f0c7ff4e8e48']);
    assert.deepEqual(listed.quarantined.map((q) => q.contentId?.slice(0, 12)), ['f0c7ff4e8e48']);
  });

  it('when the migration cannot write (a state folder it needs is a file), the old records are still listed, unchanged on disk', async () => {
    const state = await copyFixture('readonly');
    await rm(join(state, 'locks'), { recursive: true, force: true });
    await writeFile(join(state, 'locks'), 'not a folder');
    const before = await v1Files(join(state, 'snapshots', 'records'));
    const listed = await backendAt(state).snapshots.listAll(undefined);
    assert.deepEqual(listed.snapshots.map((s) => [s.workload.key, s.capturedAt.slice(0, 19), s.label, s.pinned, s.origin, s.id.slice(0, 12)]), EXPECTED);
    assert.deepEqual(await v1Files(join(state, 'snapshots', 'records')), before);
  });
});
