// The catalog against the real engine: damaged records never cost data, every capture is its own
// record, and a restore's safety copy never changes a record the user already has.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCodes, type AdoptSnapshotResult, type ListSnapshotsResult } from '../../protocol/src';
import { runCli } from '../../cli/src/cli';
import { Backend } from '../../server/src/backend';
import { detachedContext } from '../../server/src/operation';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { cleanupTestObjects, createTestContainer, docker, TEST_LABEL, TEST_RUN, uniqueName } from '../fixtures/docker';
import { createWorld, fill, type World } from '../fixtures/restoreWorld';
import { CORRUPTIONS } from '../fixtures/catalogDamage';

const ctx = () => detachedContext();

async function cli(stateDir: string, ...args: string[]): Promise<{ code: number; doc: Record<string, unknown> }> {
  const out: string[] = [];
  const env = { ...process.env, BERTH_STATE_DIR: stateDir, BERTH_HELPER_LABELS: `${TEST_LABEL}=${TEST_RUN}` };
  const code = await runCli([...args, '--json'], { out: (t) => out.push(t), err: () => undefined }, env);
  return { code, doc: JSON.parse(out.join('\n')) as Record<string, unknown> };
}

function recordFiles(stateDir: string): string[] {
  const records = join(stateDir, 'snapshots', 'records');
  return readdirSync(records).flatMap((d) => readdirSync(join(records, d)).map((f) => join(records, d, f)));
}

describe('snapshot catalog against the real engine', () => {
  let root: string;
  let name: string;
  before(async () => {
    await cleanupTestObjects();
    root = mkdtempSync(join(tmpdir(), 'berth-catalog-it-'));
    const volume = uniqueName('berth-catvol');
    await docker().createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
    name = uniqueName('berth-cat');
    await createTestContainer({ name, binds: [`${volume}:/data`], cmd: ['sh', '-c', 'echo one > /data/one && mkdir /data/d && echo two > /data/d/two; trap "exit 0" TERM; while true; do sleep 1; done'] });
    for (let i = 0; i < 100; i++) {
      const listed = await docker().getContainer(name).inspect();
      if (listed.State.Running) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(root, { recursive: true, force: true });
  });

  for (const [kind, damage] of Object.entries(CORRUPTIONS)) {
    it(`a ${kind} record: "snapshots list" keeps the data`, async () => {
      const stateDir = join(root, `corrupt-${kind.replace(/\W+/g, '-')}`);
      const created = await cli(stateDir, 'snapshots', 'create', name, '--label', 'precious');
      assert.equal(created.code, 0, JSON.stringify(created.doc));
      const id = (created.doc.snapshot as { id: string }).id;
      const [file] = recordFiles(stateDir);
      assert.ok(file);
      writeFileSync(file, damage(readFileSync(file)));
      const listed = await cli(stateDir, 'snapshots', 'list');
      assert.equal(listed.code, 0);
      assert.equal(await new SnapshotStore(stateDir).hasObject(id), true, 'the object is still in the store');
      // Reported: the record set aside, the data orphaned and adoptable.
      const doc = listed.doc as unknown as ListSnapshotsResult;
      assert.deepEqual(doc.snapshots, []);
      assert.deepEqual(doc.quarantined.map((q) => [q.contentId, q.objectPresent, q.entry !== '']), [[id, true, true]]);
      assert.deepEqual(doc.orphans.map((o) => [o.id, o.manifest?.label, o.manifest?.workload.key]), [[id, 'precious', `container:${name}`]]);
      const adopted = await cli(stateDir, 'snapshots', 'adopt', id.slice(0, 12));
      assert.equal(adopted.code, 0, JSON.stringify(adopted.doc));
      const record = (adopted.doc as unknown as AdoptSnapshotResult).snapshot;
      assert.deepEqual([record.id, record.label, record.pinned], [id, 'precious', true]);
      const verified = await cli(stateDir, 'snapshots', 'verify', record.recordId);
      assert.equal(verified.code, 0, JSON.stringify(verified.doc));
      const after = (await cli(stateDir, 'snapshots', 'list')).doc as unknown as ListSnapshotsResult;
      assert.deepEqual([after.snapshots.map((s) => s.recordId), after.orphans, after.quarantined], [[record.recordId], [], []]);
    });
  }

  it('two captures of identical content with different labels keep both records, each with its own time', async () => {
    const stateDir = join(root, 'labels');
    const backend = new Backend({ settings: {}, env: { ...process.env, BERTH_STATE_DIR: stateDir } });
    const first = await backend.snapshots.create({ workload: name, label: 'before-upgrade' }, ctx());
    await new Promise((r) => setTimeout(r, 20));
    const second = await backend.snapshots.create({ workload: name, label: 'nightly' }, ctx());
    assert.equal(second.snapshot.id, first.snapshot.id, 'same content, same content ID');
    const listed = await backend.snapshots.list(name);
    assert.deepEqual(listed.map((s) => [s.label, s.capturedAt]), [
      ['nightly', second.snapshot.capturedAt],
      ['before-upgrade', first.snapshot.capturedAt],
    ]);
    assert.notEqual(first.snapshot.capturedAt, second.snapshot.capturedAt);
    assert.equal(readdirSync(join(stateDir, 'snapshots', 'objects')).length, 1, 'one stored copy');
    assert.equal(second.existing, true);
    assert.equal(second.sameContentAs, first.snapshot.recordId);

    // A third capture without a label changes neither: it is a record of its own.
    const third = await backend.snapshots.create({ workload: name }, ctx());
    assert.deepEqual((await backend.snapshots.list(name)).map((s) => [s.recordId, s.label]), [
      [third.snapshot.recordId, ''],
      [second.snapshot.recordId, 'nightly'],
      [first.snapshot.recordId, 'before-upgrade'],
    ]);
    // Deleting by the shared content ID is refused (exit 2) naming the records; by label it is exact.
    const refused = await cli(stateDir, 'snapshots', 'delete', first.snapshot.id.slice(0, 12));
    assert.equal(refused.code, ExitCodes.Usage);
    const message = (refused.doc.error as { message: string }).message;
    for (const s of [first, second, third]) assert.ok(message.includes(s.snapshot.recordId), message);
    assert.equal((await cli(stateDir, 'snapshots', 'delete', 'nightly')).code, ExitCodes.Ok);
    assert.deepEqual((await backend.snapshots.list(name)).map((s) => s.label), ['', 'before-upgrade']);
    assert.equal(readdirSync(join(stateDir, 'snapshots', 'objects')).length, 1, 'the data stays while records need it');
  });
});

describe('restore: the safety copy never changes an existing record', () => {
  let world: World;
  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
  });
  after(async () => {
    await world?.dispose();
    await cleanupTestObjects();
  });

  it('an unlabelled record, and a labelled pinned one, of the data a restore replaces stay as they were', async () => {
    const backend = world.backend();
    fill(world, 'A');
    const a = await backend.snapshots.create({ workload: world.name, label: 'A' }, ctx());
    fill(world, 'B');
    const unlabelled = await backend.snapshots.create({ workload: world.name }, ctx());
    // Restoring A replaces B: the safety copy has the content of the unlabelled record.
    const first = await backend.restore.restore({ workload: world.name, snapshot: a.snapshot.id, confirm: a.snapshot.id }, ctx());
    assert.equal(first.safetySnapshot, unlabelled.snapshot.id);
    let listed = await backend.snapshots.list(world.name);
    const stillUnlabelled = listed.filter((s) => s.id === unlabelled.snapshot.id && s.label === '' && s.capturedAt === unlabelled.snapshot.capturedAt);
    assert.equal(stillUnlabelled.length, 1, `the unlabelled record is unchanged: ${JSON.stringify(listed.map((s) => [s.id.slice(0, 8), s.label, s.capturedAt]))}`);

    // Now A is live: a labelled, pinned record of A, then restore B over it.
    const golden = await backend.snapshots.create({ workload: world.name, label: 'golden' }, ctx());
    await backend.snapshots.pin({ id: golden.snapshot.recordId }, true);
    listed = await backend.snapshots.list(world.name);
    const goldenBefore = listed.find((s) => s.label === 'golden');
    assert.ok(goldenBefore?.pinned, 'golden is pinned');
    await backend.restore.restore({ workload: world.name, snapshot: unlabelled.snapshot.id, confirm: unlabelled.snapshot.id }, ctx());
    listed = await backend.snapshots.list(world.name);
    const goldenAfter = listed.find((s) => s.label === 'golden');
    assert.deepEqual(
      goldenAfter && { label: goldenAfter.label, pinned: goldenAfter.pinned, capturedAt: goldenAfter.capturedAt },
      { label: 'golden', pinned: true, capturedAt: goldenBefore.capturedAt },
      'the labelled, pinned record is unchanged',
    );
    assert.ok(listed.some((s) => s.label === 'A' && s.id === a.snapshot.id), 'the record labelled A is still there');
    const safety = listed.filter((s) => s.label === 'pre-restore');
    assert.equal(safety.length, 2, 'each restore added its own pre-restore record');
    assert.ok(safety.every((s) => s.restoreId && s.origin === 'capture' && !s.pinned));
    assert.deepEqual(new Set(safety.map((s) => s.id)), new Set([unlabelled.snapshot.id, a.snapshot.id]), 'sharing the data of the records it never changed');
  });
});

describe('a store written by the release with one record per content, used against the real engine', () => {
  const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'state-v1', 'state');
  let root: string;
  let name: string;
  before(async () => {
    await cleanupTestObjects();
    root = mkdtempSync(join(tmpdir(), 'berth-catalog-v1-'));
    const volume = uniqueName('berth-catv1');
    await docker().createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
    name = uniqueName('berth-catv1');
    await createTestContainer({ name, binds: [`${volume}:/data`], cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] });
    execFileSync('docker', ['exec', name, 'sh', '-c', 'echo current > /data/now']);
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(root, { recursive: true, force: true });
  });

  it('migrates on first use: the overwritten label names its snapshot again, restores into a workload, and the old records stay as they were', async () => {
    const stateDir = join(root, 'state');
    cpSync(FIXTURE, stateDir, { recursive: true });
    const restored = await cli(stateDir, 'snapshots', 'restore', name, 'before-upgrade', '--yes');
    assert.equal(restored.code, ExitCodes.Ok, JSON.stringify(restored.doc));
    const exec = (cmd: string) => execFileSync('docker', ['exec', name, 'sh', '-c', cmd], { encoding: 'utf8' });
    assert.equal(exec('cat /data/a.txt /data/sub/b.txt'), 'alpha\nbeta\n');
    assert.equal(exec('test -e /data/now && echo yes || echo no'), 'no\n');
    const listed = (await cli(stateDir, 'snapshots', 'list')).doc as unknown as ListSnapshotsResult;
    const a = listed.snapshots.filter((s) => s.workload.key === 'container:berth-fixture-a').map((s) => [s.label, s.pinned]);
    assert.deepEqual(a, [['', true], ['nightly', false], ['before-upgrade', false]]);
    const safety = listed.snapshots.filter((s) => s.label === 'pre-restore');
    assert.equal(safety.length, 1);
    assert.equal(safety[0]?.workload.key, `container:${name}`);
    // The schema-1 files are kept byte for byte.
    for (const digest of readdirSync(join(FIXTURE, 'snapshots', 'records'))) {
      for (const file of readdirSync(join(FIXTURE, 'snapshots', 'records', digest))) {
        assert.deepEqual(readFileSync(join(stateDir, 'snapshots', 'legacy', 'v1', digest, file)), readFileSync(join(FIXTURE, 'snapshots', 'records', digest, file)));
      }
    }
  });
});
