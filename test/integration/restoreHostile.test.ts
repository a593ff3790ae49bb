// Hostile and tampered snapshots in the store (guard 4 and manifest tampering): every one is
// refused as Rejected before any live byte changes. The live trees are hashed before and after,
// the workload is never stopped (its StartedAt is unchanged), and nothing is left behind. A
// legitimate control built the same way restores fine, so the refusals are not false alarms.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, type WorkloadIdentity } from '../../protocol/src';
import { detachedContext } from '../../server/src/operation';
import { cleanupTestObjects } from '../fixtures/docker';
import { baseDraft, clone, declare, paxGlobal, storeDraft, type Draft, type RawEntry } from '../fixtures/hostileSnapshots';
import { assertRunning, createWorld, fill, leftovers, treeHash, treeOfManifest, type World } from '../fixtures/restoreWorld';

type Volume = { index: number; target: string; type: string; entries: ReturnType<typeof declare>[]; files: number; bytes: number };

const vols = (d: Draft) => d.manifest.volumes as Volume[];
const entry = (d: Draft, path: string) => d.entries.find((e) => e.path === path) as RawEntry;
/** Re-declares the manifest from the (edited) raw entries, so only the intended difference remains. */
function redeclare(d: Draft): Draft {
  for (const v of vols(d)) {
    v.entries = d.entries.filter((e) => e.path.startsWith(`${v.index}/`) && ['File', 'Directory', 'SymbolicLink'].includes(e.type)).map(declare);
    const files = v.entries.filter((e) => e.type === 'file');
    v.files = files.length;
    v.bytes = files.reduce((n, e) => n + e.size, 0);
  }
  d.manifest.totals = { files: vols(d).reduce((n, v) => n + v.files, 0), bytes: vols(d).reduce((n, v) => n + v.bytes, 0) };
  return d;
}

const CASES: readonly { name: string; why: RegExp; make: (base: Draft) => Draft }[] = [
  // Manifest tampering.
  { name: 'target changed to a path the container does not mount', why: /no mount at \/etc/, make: (b) => { const d = clone(b); vols(d)[1]!.target = '/etc'; return d; } },
  { name: 'target changed to /', why: /not a usable mount target \(the root directory\)/, make: (b) => { const d = clone(b); vols(d)[1]!.target = '/'; return d; } },
  { name: 'target changed to a relative path', why: /not absolute/, make: (b) => { const d = clone(b); vols(d)[1]!.target = 'data'; return d; } },
  { name: 'target changed to a path with ..', why: /not normalized/, make: (b) => { const d = clone(b); vols(d)[1]!.target = '/data/../etc'; return d; } },
  { name: 'target changed to the other volume\'s target', why: /listed twice/, make: (b) => { const d = clone(b); vols(d)[1]!.target = '/bind'; return d; } },
  { name: 'volume type changed (volume → bind)', why: /holds a bind, but \/data is a volume/, make: (b) => { const d = clone(b); vols(d)[1]!.type = 'bind'; return d; } },
  { name: 'index out of range', why: /out of range/, make: (b) => { const d = clone(b); vols(d)[1]!.index = 7; return d; } },
  { name: 'duplicate index', why: /is a duplicate/, make: (b) => { const d = clone(b); vols(d)[1]!.index = 0; return d; } },
  { name: 'ID that does not match the content', why: /does not match its content/, make: (b) => { const d = clone(b); entry(d, '0/f.txt').mode = 0o600; redeclare(d); d.recomputeId = false; return d; } },
  { name: '__proto__ key in the manifest', why: /forbidden key "__proto__"/, make: (b) => { const d = clone(b); d.manifestText = JSON.stringify(d.manifest).replace('"label":"crafted"', '"label":"crafted","__proto__":{"polluted":1}'); return d; } },
  { name: 'manifest changed after sealing (stale seal)', why: /does not match its seal/, make: (b) => { const d = clone(b); d.manifest.label = 'changed'; d.seal = 'stale'; return d; } },
  { name: 'damaged seal', why: /seal .* is damaged/, make: (b) => { const d = clone(b); d.seal = 'garbage'; return d; } },
  { name: 'totals that do not add up', why: /totals\.bytes does not match/, make: (b) => { const d = clone(b); (d.manifest.totals as { bytes: number }).bytes += 1; return d; } },
  { name: 'unsafe path in the manifest', why: /Unsafe path "\.\.\/escape"/, make: (b) => { const d = clone(b); vols(d)[0]!.entries.push({ ...declare(entry(b, '0/f.txt')), path: '../escape' }); return d; } },
  { name: 'symlink declared to climb out of the volume', why: /points outside its volume/, make: (b) => { const d = clone(b); entry(d, '0/l').linkpath = '../../etc/passwd'; return redeclare(d); } },
  { name: 'absolute symlink outside the volume', why: /points outside its volume \(\/etc\/shadow\)/, make: (b) => { const d = clone(b); entry(d, '0/l').linkpath = '/etc/shadow'; return redeclare(d); } },
  { name: 'schema-1 symlinks that escape only together (d/l1 -> .., l2 -> d/l1/..)', why: /The symlink "l2" points outside its volume \(d\/l1\/\.\. through d\/l1\)/, make: (b) => { const d = clone(b); d.entries.splice(5, 0, { path: '0/d/l1', type: 'SymbolicLink', mode: 0o777, uid: 0, gid: 0, linkpath: '..' }, { path: '0/l2', type: 'SymbolicLink', mode: 0o777, uid: 0, gid: 0, linkpath: 'd/l1/..' }); return redeclare(d); } },
  { name: 'schema-1 absolute symlinks that escape only together (up -> /bind, esc -> /bind/up/..)', why: /The symlink "esc" points outside its volume \(\/bind\/up\/\.\. through up\)/, make: (b) => { const d = clone(b); d.entries.splice(5, 0, { path: '0/up', type: 'SymbolicLink', mode: 0o777, uid: 0, gid: 0, linkpath: '/bind' }, { path: '0/esc', type: 'SymbolicLink', mode: 0o777, uid: 0, gid: 0, linkpath: '/bind/up/..' }); return redeclare(d); } },
  { name: 'file declared under a symlink', why: /before \(or without\) its parent/, make: (b) => { const d = clone(b); d.entries.splice(5, 0, { path: '0/l/evil', type: 'File', mode: 0o644, uid: 0, gid: 0, body: Buffer.from('x') }); return redeclare(d); } },
  { name: 'declared total far beyond what the data can hold (bomb)', why: /decompression bomb/, make: (b) => { const d = clone(b); const v = vols(d)[0]!; const f = v.entries.find((e) => e.path === 'f.txt')!; (f as { size: number }).size = 2 ** 40; v.bytes = v.entries.filter((e) => e.type === 'file').reduce((n, e) => n + e.size, 0); d.manifest.totals = { files: 4, bytes: vols(d).reduce((n, x) => n + x.bytes, 0) }; return d; } },
  // Hostile archives (manifest valid, ID and seal consistent).
  { name: 'absolute path in the archive', why: /Absolute path/, make: (b) => { const d = clone(b); d.entries.push({ path: '/etc/passwd', type: 'File', mode: 0o644, uid: 0, gid: 0, body: Buffer.from('root::0:0\n') }); return d; } },
  { name: '.. path in the archive', why: /climbs out/, make: (b) => { const d = clone(b); d.entries.push({ path: '0/../../etc/x', type: 'File', mode: 0o644, uid: 0, gid: 0, body: Buffer.from('x') }); return d; } },
  { name: '.. path hidden in a PAX header', why: /climbs out/, make: (b) => { const d = clone(b); d.entries.push({ path: '0/benign', paxPath: '0/../../../etc/cron.d/x', type: 'File', mode: 0o644, uid: 0, gid: 0, body: Buffer.from('x') }); return d; } },
  { name: 'hard link', why: /hard link/, make: (b) => { const d = clone(b); d.entries.push({ path: '0/h', type: 'Link', mode: 0o644, uid: 0, gid: 0, linkpath: '0/f.txt' }); return d; } },
  { name: 'device node', why: /device node/, make: (b) => { const d = clone(b); d.entries.push({ path: '0/dev', type: 'CharacterDevice', mode: 0o666, uid: 0, gid: 0 }); return d; } },
  { name: 'FIFO', why: /FIFO/, make: (b) => { const d = clone(b); d.entries.push({ path: '0/fifo', type: 'FIFO', mode: 0o644, uid: 0, gid: 0 }); return d; } },
  { name: 'more bytes than declared', why: /Size mismatch/, make: (b) => { const d = clone(b); entry(d, '0/f.txt').body = Buffer.from('hello!\n'); return d; } },
  { name: 'content that does not match its hash', why: /does not match its SHA-256/, make: (b) => { const d = clone(b); entry(d, '0/f.txt').body = Buffer.from('HELLO\n'); return d; } },
  { name: 'entry the manifest does not declare', why: /not declared in the manifest/, make: (b) => { const d = clone(b); d.entries.push({ path: '0/extra', type: 'File', mode: 0o644, uid: 0, gid: 0, body: Buffer.from('x') }); return d; } },
  { name: 'declared entry missing from the archive', why: /missing from the archive/, make: (b) => { const d = clone(b); d.entries = d.entries.filter((e) => e.path !== '1/sub/y'); return d; } },
  { name: 'entry twice in the archive', why: /appears twice/, make: (b) => { const d = clone(b); d.entries.splice(2, 0, { ...entry(d, '0/f.txt') }); return d; } },
  { name: 'entry before its parent directory', why: /comes before its parent/, make: (b) => { const d = clone(b); const g = d.entries.splice(3, 1)[0]!; d.entries.splice(2, 0, g); return d; } },
  { name: 'mode differs from the manifest', why: /Mode mismatch/, make: (b) => { const d = clone(b); entry(d, '0/d/g.bin').mode = 0o644; return d; } },
  { name: 'owner differs from the manifest', why: /Owner mismatch/, make: (b) => { const d = clone(b); entry(d, '1/x.txt').uid = 1234; return d; } },
  { name: 'link target differs from the manifest', why: /points to "d\/g\.bin"/, make: (b) => { const d = clone(b); entry(d, '0/l').linkpath = 'd/g.bin'; return d; } },
  { name: 'volumes interleaved', why: /not contiguous/, make: (b) => { const d = clone(b); const g = d.entries.splice(3, 1)[0]!; d.entries.push(g); return redeclare(d); } },
  { name: 'entry of a volume the manifest does not list', why: /does not list/, make: (b) => { const d = clone(b); d.entries.push({ path: '5/x', type: 'File', mode: 0o644, uid: 0, gid: 0, body: Buffer.from('x') }); return d; } },
  { name: 'manifest.json inside the data', why: /manifest\.json appears more than once/, make: (b) => { const d = clone(b); d.entries.unshift({ path: 'manifest.json', type: 'File', mode: 0o644, uid: 0, gid: 0, body: Buffer.from('{}') }); return d; } },
  { name: 'PAX global header', why: /PAX global header/, make: (b) => { const d = clone(b); d.tarTweak = (tar) => Buffer.concat([paxGlobal('0/evil'), tar]); return d; } },
  { name: 'nested gzip', why: /nested gzip/, make: (b) => { const d = clone(b); d.tarTweak = (tar) => gzipSync(tar); return d; } },
  { name: 'truncated gzip', why: /truncated/, make: (b) => { const d = clone(b); d.gzTweak = (gz) => gz.subarray(0, gz.length - 40); return d; } },
  { name: 'garbage after the gzip stream', why: /gzip data is damaged/, make: (b) => { const d = clone(b); d.gzTweak = (gz) => Buffer.concat([gz, Buffer.from('trailing garbage')]); return d; } },
  { name: 'no end-of-archive marker', why: /end-of-archive marker/, make: (b) => { const d = clone(b); d.tarTweak = (tar) => tar.subarray(0, tar.length - 1024); return d; } },
  { name: 'decompression bomb after the end marker', why: /decompression bomb/, make: (b) => { const d = clone(b); d.tarTweak = (tar) => Buffer.concat([tar, Buffer.alloc(64 * 1024 * 1024)]); return d; } },
  { name: 'data changed after sealing (stale seal)', why: /does not match its SHA-256/, make: (b) => { const d = clone(b); entry(d, '1/sub/y').body = Buffer.from('Z\n'); d.seal = 'stale'; return d; } },
];

describe('restore: hostile and tampered snapshots are refused before any live byte changes', () => {
  let world: World;
  let identity: WorkloadIdentity;
  let base: Draft;
  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
    const workload = await world.backend().workloads.resolve(world.name);
    identity = workload.identity;
    base = baseDraft(identity);
  });
  after(async () => {
    await world?.dispose();
    await cleanupTestObjects();
  });

  it('control: the base snapshot, built the same way, restores (setuid/setgid stripped, owners kept)', async () => {
    const control = baseDraft(identity, true);
    const id = storeDraft(world.stateDir, identity, control, control);
    await world.backend().restore.restore({ workload: world.name, snapshot: id, confirm: id }, detachedContext());
    for (const v of vols(control)) {
      const live = world.trees()[v.target as '/data' | '/bind'];
      assert.deepEqual(live, treeOfManifest(v.entries));
    }
    const f = world.trees()['/bind'].find((e) => e.path === 'f.txt');
    assert.equal(f?.mode, 0o755, 'setuid stripped');
    assert.equal(world.trees()['/data'].find((e) => e.path === 'x.txt')?.mode, 0o755, 'setgid stripped');
    assert.equal(world.trees()['/bind'].find((e) => e.path === 'd/g.bin')?.uid, 999, 'numeric owner kept');
  });

  it(`refuses all ${CASES.length} hostile snapshots`, async () => {
    assert.ok(CASES.length >= 25);
    fill(world, 'B', 'hostile');
    const before = treeHash([...world.trees()['/data'], ...world.trees()['/bind']]);
    const startedAt = (await world.container()).State.StartedAt;
    const failures: string[] = [];
    for (const c of CASES) {
      const id = storeDraft(world.stateDir, identity, c.make(base), base);
      try {
        await world.backend().restore.restore({ workload: world.name, snapshot: id, confirm: id }, detachedContext());
        failures.push(`${c.name}: was restored`);
      } catch (error) {
        const code = (error as { code?: number }).code;
        if (process.env.BERTH_TEST_VERBOSE) process.stderr.write(`${c.name}: ${(error as Error).message}\n`);
        if (code !== ErrorCodes.Rejected) failures.push(`${c.name}: failed with ${code} (${(error as Error).message}) instead of Rejected`);
        else if (!c.why.test((error as Error).message)) failures.push(`${c.name}: refused for another reason: ${(error as Error).message}`);
      }
      const now = treeHash([...world.trees()['/data'], ...world.trees()['/bind']]);
      if (now !== before) failures.push(`${c.name}: live data changed`);
      const left = await leftovers(world);
      if (left.length > 0) failures.push(`${c.name}: left ${left.join(', ')}`);
    }
    assert.deepEqual(failures, []);
    assert.equal((await world.container()).State.StartedAt, startedAt, 'the workload was never stopped');
    await assertRunning(world);
  });

  it('ignores the source paths a manifest records: data goes to the current mounts only', async () => {
    const decoy = baseDraft(identity);
    vols(decoy)[0]!.target = '/bind';
    (vols(decoy)[0] as unknown as { source: string }).source = world.volumeDir;
    (vols(decoy)[1] as unknown as { source: string }).source = '/etc';
    fill(world, 'B', 'decoy');
    const id = storeDraft(world.stateDir, identity, decoy, decoy);
    await world.backend().restore.restore({ workload: world.name, snapshot: id, confirm: id }, detachedContext());
    assert.deepEqual(world.trees()['/bind'], treeOfManifest(vols(decoy)[0]!.entries), 'the bind mount got volume 0');
    assert.deepEqual(world.trees()['/data'], treeOfManifest(vols(decoy)[1]!.entries), 'the named volume got volume 1, not /etc');
  });
});
