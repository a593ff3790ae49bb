import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { ExitCodes } from '../../protocol/src';
import { runCli } from '../../cli/src/cli';
import type { ManifestEntry } from '../../server/src/archive/manifest';
import { Backend } from '../../server/src/backend';
import { BerthError } from '../../server/src/errors';
import { acquireLock } from '../../server/src/locks';
import type { OperationContext } from '../../server/src/operation';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { cleanupTestObjects, createTestContainer, docker, TEST_LABEL, TEST_RUN, uniqueName } from '../fixtures/docker';

interface LiveEntry {
  readonly type: ManifestEntry['type'] | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly sha256?: string;
  readonly target?: string;
}

/** The tree under `path` as the container sees it: type, mode, owner, size, hash, link target. */
function liveTree(container: string, path: string): Map<string, LiveEntry> {
  const script = `cd '${path}' && find . | while IFS= read -r p; do
    if [ -L "$p" ]; then echo "L|$p|$(stat -c '%a|%u|%g' "$p")|0|$(readlink "$p")";
    elif [ -d "$p" ]; then echo "D|$p|$(stat -c '%a|%u|%g' "$p")|0|";
    elif [ -f "$p" ]; then echo "F|$p|$(stat -c '%a|%u|%g|%s' "$p")|$(sha256sum "$p" | cut -d' ' -f1)";
    elif [ -p "$p" ]; then echo "P|$p|$(stat -c '%a|%u|%g' "$p")|0|";
    else echo "O|$p|$(stat -c '%a|%u|%g' "$p")|0|"; fi; done`;
  const out = execFileSync('docker', ['exec', container, 'sh', '-c', script], { encoding: 'utf8' });
  const tree = new Map<string, LiveEntry>();
  for (const line of out.trim().split('\n')) {
    const [kind, raw, mode, uid, gid, size, extra] = line.split('|') as string[];
    const rel = raw === '.' ? '.' : (raw ?? '').replace(/^\.\//, '');
    const type = kind === 'F' ? 'file' : kind === 'D' ? 'dir' : kind === 'L' ? 'symlink' : kind === 'P' ? 'fifo' : 'other';
    tree.set(rel, {
      type,
      mode: parseInt(mode ?? '0', 8),
      uid: Number(uid),
      gid: Number(gid),
      size: type === 'file' ? Number(size) : 0,
      ...(type === 'file' ? { sha256: extra } : {}),
      ...(type === 'symlink' ? { target: extra } : {}),
    });
  }
  return tree;
}

/** How the container sees an entry: a hard link is a second name of the file it links to. */
function asLive(e: ManifestEntry, all: readonly ManifestEntry[]): LiveEntry {
  const content = e.type === 'hardlink' ? (all.find((x) => x.path === e.target) ?? e) : e;
  return { type: content.type, mode: e.mode, uid: e.uid, gid: e.gid, size: content.size, ...(content.sha256 ? { sha256: content.sha256 } : {}), ...(content.type === 'symlink' && content.target !== undefined ? { target: content.target } : {}) };
}

function context(onProgress?: (message: string) => void, signal = new AbortController().signal): OperationContext {
  return { signal, progress: { report: (message) => onProgress?.(message) } };
}

async function state(id: string): Promise<{ status: string; paused: boolean; running: boolean }> {
  const info = await docker().getContainer(id).inspect();
  return { status: info.State.Status, paused: info.State.Paused, running: info.State.Running };
}

describe('snapshots against the real engine', () => {
  let root: string;
  let stateDir: string;
  let backend: Backend;
  let bind: string;
  let volume: string;
  let container: Docker.Container;
  let name: string;
  let socketServer: Server;

  before(async () => {
    await cleanupTestObjects();
    root = mkdtempSync(join(tmpdir(), 'berth-snap-it-'));
    stateDir = join(root, 'state');
    backend = new Backend({ settings: {}, env: { ...process.env, BERTH_STATE_DIR: stateDir } });
    bind = join(root, 'bind');
    mkdirSync(join(bind, 'conf.d', 'nested'), { recursive: true });
    writeFileSync(join(bind, 'conf.d', 'nested', 'app.conf'), 'listen = 127.0.0.1\n');
    writeFileSync(join(bind, 'secret.key'), 'k'.repeat(64));
    chmodSync(join(bind, 'secret.key'), 0o600);
    chownSync(join(bind, 'secret.key'), 999, 999);
    symlinkSync('conf.d/nested/app.conf', join(bind, 'current.conf'));
    // A single-file bind mount and a socket bind mount (like docker.sock) are listed as skipped.
    writeFileSync(join(root, 'single.conf'), 'single = true\n');
    mkdirSync(join(root, 'sock'));
    socketServer = createServer().listen(join(root, 'sock', 'app.sock'));
    await new Promise((r) => socketServer.once('listening', r));
    volume = uniqueName('berth-snapvol');
    await docker().createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
    name = uniqueName('berth-snap');
    container = await createTestContainer({
      name,
      binds: [`${volume}:/data`, `${bind}:/srv/bind`, `${join(root, 'single.conf')}:/etc/app.conf:ro`, `${join(root, 'sock', 'app.sock')}:/run/app.sock`],
      tmpfs: { '/scratch': 'size=1m' },
      cmd: [
        'sh',
        '-c',
        [
          'mkdir -p /data/db/base/1 /data/empty /data/logs',
          'echo "row 1" > /data/db/base/1/page',
          'touch /data/zero',
          'echo "restricted" > /data/odd-0640 && chmod 0640 /data/odd-0640',
          'echo "#!/bin/sh" > /data/odd-0751 && chmod 0751 /data/odd-0751',
          'echo "owned" > /data/db/owned && chown 999:999 /data/db/owned /data/db',
          'head -c 5000000 /dev/urandom > /data/big.bin',
          'ln -s db/base/1/page /data/page-link',
          'ln -s /data/db /data/abs-link',
          'ln /data/db/owned /data/hardlink',
          'busybox mkfifo /data/fifo',
          'touch /tmp/ready',
          'trap "exit 0" TERM; while true; do sleep 1; done',
        ].join(' && '),
      ],
    });
    for (let i = 0; i < 100 && !(await ready(name)); i++) await new Promise((r) => setTimeout(r, 100));
  });

  after(async () => {
    await cleanupTestObjects();
    socketServer.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('captures both volumes faithfully: every path, type, mode, owner, size, hash and link target', async () => {
    const progress: string[] = [];
    const result = await backend.snapshots.create({ workload: name, label: 'first' }, context((m) => progress.push(m)));
    assert.equal(result.existing, false);
    assert.equal(result.snapshot.volumes.length, 2);
    assert.deepEqual(result.snapshot.volumes.map((v) => [v.index, v.target, v.type]), [[0, '/data', 'volume'], [1, '/srv/bind', 'bind']]);
    assert.equal(result.snapshot.volumes[0]?.source, volume);
    assert.equal(result.snapshot.quiesce, 'pause');
    assert.ok(progress.some((m) => /Reading volume 1\/2 \(\/data\)/.test(m)), progress.join('\n'));
    assert.ok(!result.warnings.some((w) => /hardlink|hard link|fifo|FIFO/.test(w)), `hard links and FIFOs are held, not skipped: ${result.warnings.join('\n')}`);
    assert.ok(result.warnings.some((w) => /tmpfs mount \/scratch/.test(w)), result.warnings.join('\n'));
    assert.ok(result.warnings.some((w) => /bind mount \/etc\/app\.conf \(file\)/.test(w)), result.warnings.join('\n'));
    assert.ok(result.warnings.some((w) => /bind mount \/run\/app\.sock \(unsupported\)/.test(w)), result.warnings.join('\n'));
    assert.deepEqual(await state(container.id), { status: 'running', paused: false, running: true });

    const manifest = await new SnapshotStore(stateDir).readManifest(result.snapshot.id);
    for (const v of manifest.volumes) {
      const live = liveTree(name, v.target);
      const skipped = new Set(v.skipped.map((s) => s.path));
      const expected = new Map([...live].filter(([p]) => !skipped.has(p)));
      assert.deepEqual(new Map(v.entries.map((e) => [e.path, asLive(e, v.entries)])), expected, `volume ${v.target}`);
    }
    const data = manifest.volumes[0];
    assert.deepEqual(data?.skipped, [], 'nothing in /data is skipped');
    assert.deepEqual(data?.entries.find((e) => e.path === 'hardlink'), { ...data?.entries.find((e) => e.path === 'hardlink'), type: 'hardlink', target: 'db/owned' });
    assert.equal(data?.entries.find((e) => e.path === 'fifo')?.type, 'fifo');
    const entry = (p: string) => data?.entries.find((e) => e.path === p);
    assert.equal(entry('zero')?.size, 0);
    assert.equal(entry('odd-0640')?.mode, 0o640);
    assert.equal(entry('odd-0751')?.mode, 0o751);
    assert.equal(entry('db/owned')?.uid, 999);
    assert.equal(entry('big.bin')?.size, 5_000_000);
    assert.equal(entry('empty')?.type, 'dir');
    assert.equal(entry('abs-link')?.target, '/data/db');
  });

  it('capturing again without change gives the same ID, stores one copy, and is a record of its own', async () => {
    const [before] = await backend.snapshots.list(name);
    const again = await backend.snapshots.create({ workload: name }, context());
    assert.equal(again.snapshot.id, before?.id);
    assert.equal(again.existing, true);
    assert.equal(again.sameContentAs, before?.recordId);
    assert.equal(again.snapshot.label, '', 'the new capture has no label of its own');
    assert.equal(readdirSync(join(stateDir, 'snapshots', 'objects')).length, 1);
    const listed = await backend.snapshots.list(undefined);
    assert.deepEqual(listed.map((s) => [s.recordId, s.label, s.capturedAt]), [
      [again.snapshot.recordId, '', again.snapshot.capturedAt],
      [before?.recordId, 'first', before?.capturedAt],
    ], 'the first capture keeps its label and time');
  });

  it('exports, imports into a fresh store, verifies, and standard tar reads the same bytes', async () => {
    const [snap] = await backend.snapshots.list(name);
    assert.ok(snap);
    const file = join(root, 'export.tar.gz');
    await backend.snapshots.export({ id: snap.id }, file, context());
    const listing = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n');
    assert.equal(listing[0], 'manifest.json', 'manifest.json comes first');
    assert.ok(listing.includes('0/db/base/1/page') && listing.includes('1/conf.d/nested/app.conf'));
    const other = new Backend({ settings: {}, env: { ...process.env, BERTH_STATE_DIR: join(root, 'state-imported') } });
    const imported = await other.snapshots.import(file, context());
    assert.equal(imported.snapshot.id, snap.id);
    assert.equal(imported.snapshot.workload.key, `container:${name}`);
    const verified = await other.snapshots.verify({ id: snap.id }, context());
    assert.equal(verified.ok, true);
    assert.deepEqual(await other.snapshots.list(`container:${name}`).then((l) => l.map((s) => s.id)), [snap.id]);
    const out = join(root, 'extracted');
    mkdirSync(out);
    execFileSync('tar', ['-xzf', file, '-C', out]);
    const live = liveTree(name, '/data');
    assert.equal(createHash('sha256').update(readFileSync(join(out, '0', 'big.bin'))).digest('hex'), live.get('big.bin')?.sha256);
    assert.equal(readFileSync(join(out, '1', 'conf.d', 'nested', 'app.conf'), 'utf8'), 'listen = 127.0.0.1\n');
  });

  it('stop mode stops and restarts the workload; a stopped workload stays stopped (offline); a paused one stays paused', async () => {
    const stopped = await backend.snapshots.create({ workload: name, quiesce: 'stop' }, context());
    assert.equal(stopped.snapshot.quiesce, 'stop');
    assert.deepEqual(await state(container.id), { status: 'running', paused: false, running: true });

    await container.pause();
    const paused = await backend.snapshots.create({ workload: name }, context());
    assert.equal(paused.snapshot.quiesce, 'pause');
    assert.equal((await state(container.id)).paused, true, 'left paused as it was');
    await container.unpause();

    const none = await backend.snapshots.create({ workload: name, quiesce: 'none' }, context());
    assert.equal(none.snapshot.quiesce, 'none');

    await container.stop({ t: 2 });
    const offline = await backend.snapshots.create({ workload: name }, context());
    assert.equal(offline.snapshot.quiesce, 'offline');
    assert.equal((await state(container.id)).running, false, 'left stopped as it was');
    await container.start();
    for (let i = 0; i < 100 && !(await ready(name)); i++) await new Promise((r) => setTimeout(r, 100));
  });

  it('a second operation on the same workload gets BUSY', async () => {
    const [w] = (await backend.workloads.list(true)).filter((x) => x.name === name);
    assert.ok(w);
    const lock = await acquireLock(stateDir, 'workload', w.identity.key, 'restore');
    try {
      await assert.rejects(backend.snapshots.create({ workload: name }, context()), (e: unknown) => e instanceof BerthError && e.codeName === 'Busy');
    } finally {
      await lock.release();
    }
  });

  it('CLI: create, list, verify, export, delete with --json and the fixed exit codes', async () => {
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const code = await runCli([...args, '--json'], { out: (t) => out.push(t), err: () => undefined }, { ...process.env, BERTH_STATE_DIR: join(root, 'state-cli') });
      return { code, doc: JSON.parse(out.join('\n')) as Record<string, unknown> };
    };
    const created = await run('snapshots', 'create', name, '--label', 'cli');
    assert.equal(created.code, ExitCodes.Ok);
    const id = (created.doc.snapshot as { id: string }).id;
    const listed = await run('snapshots', 'list', name);
    assert.deepEqual((listed.doc.snapshots as { id: string }[]).map((s) => s.id), [id]);
    assert.equal((await run('snapshots', 'verify', id.slice(0, 10))).code, ExitCodes.Ok);
    assert.equal((await run('snapshots', 'export', id, join(root, 'cli.tar.gz'))).code, ExitCodes.Ok);
    assert.equal((await run('snapshots', 'verify', 'deadbeef00')).code, ExitCodes.NotFound);
    assert.equal((await run('snapshots', 'create', 'no-such-container-xyz')).code, ExitCodes.NotFound);
    assert.equal((await run('snapshots', 'create', name, '--quiesce', 'freeze')).code, ExitCodes.Usage);
    assert.equal((await run('snapshots', 'import', join(root, 'nope.tar.gz'))).code, ExitCodes.NotFound);
    assert.equal((await run('snapshots', 'delete', id)).code, ExitCodes.Ok);
    assert.deepEqual((await run('snapshots', 'list')).doc.snapshots, []);
  });

  it('cancel really stops: no partial snapshot, nothing left in the store, the workload runs', async () => {
    const bigName = uniqueName('berth-snap-big');
    const bigVolume = uniqueName('berth-snapvol-big');
    await docker().createVolume({ Name: bigVolume, Labels: { [TEST_LABEL]: TEST_RUN } });
    const big = await createTestContainer({ name: bigName, binds: [`${bigVolume}:/data`], cmd: ['sh', '-c', 'head -c 314572800 /dev/urandom > /data/big && touch /tmp/ready; trap "exit 0" TERM; while true; do sleep 1; done'] });
    for (let i = 0; i < 600 && !(await ready(bigName)); i++) await new Promise((r) => setTimeout(r, 100));
    const cancelState = join(root, 'state-cancel');
    const b = new Backend({ settings: {}, env: { ...process.env, BERTH_STATE_DIR: cancelState } });
    const controller = new AbortController();
    let sawBytes = false;
    const capture = b.snapshots.create(
      { workload: bigName },
      context((m) => {
        if (/: [1-9][\d.]* (KiB|MiB)/.test(m) && !controller.signal.aborted) {
          sawBytes = true;
          controller.abort();
        }
      }, controller.signal),
    );
    await assert.rejects(capture, (e: unknown) => e instanceof BerthError && e.codeName === 'Cancelled');
    assert.ok(sawBytes, 'cancelled while data was flowing');
    const store = new SnapshotStore(cancelState);
    assert.deepEqual(await store.objectIds(), []);
    assert.deepEqual(await store.catalog.list(), []);
    assert.deepEqual(readdirSync(store.layout.tmp), []);
    assert.deepEqual(readdirSync(store.layout.quiesce), []);
    assert.deepEqual(await state(big.id), { status: 'running', paused: false, running: true });
  });

  it('lists a removed container\'s snapshots by its name', async () => {
    const goneName = uniqueName('berth-snap-gone');
    const goneVolume = uniqueName('berth-snapvol-gone');
    await docker().createVolume({ Name: goneVolume, Labels: { [TEST_LABEL]: TEST_RUN } });
    const gone = await createTestContainer({ name: goneName, binds: [`${goneVolume}:/data`] });
    const made = await backend.snapshots.create({ workload: goneName }, context());
    await gone.remove({ force: true });
    assert.deepEqual((await backend.snapshots.list(goneName)).map((s) => s.id), [made.snapshot.id]);
  });
});

async function ready(name: string): Promise<boolean> {
  try {
    execFileSync('docker', ['exec', name, 'test', '-e', '/tmp/ready'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
