import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { ErrorCodes, ExitCodes, type WorkspaceExportResult } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { acquireLock } from '../../server/src/locks';
import { detachedContext } from '../../server/src/operation';
import { cleanupTestObjects, createTestContainer, ensureBusyboxImage, uniqueName } from '../fixtures/docker';
import { ensureGitImage } from '../fixtures/gitImage';
import { charDevice, fifoWithReader, isCharDevice } from '../fixtures/outputTargets';
import { containerGitState, containerTreeHashes, copyBetweenContainers, execIn, git, localGitState, makeRepo, tempDir, treeHashes } from '../fixtures/gitRepo';

const LINES = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
const BASE_FILES = {
  'README.md': '# demo\n',
  'src/app.txt': LINES,
  'src/keep.txt': 'keep\n',
  'to-delete.txt': 'bye\n',
  '.gitignore': '*.log\nbuild/\n',
  // A leading NUL: git's test for binary content, made certain rather than likely.
  'logo.bin': Buffer.concat([Buffer.from([0]), randomBytes(2047)]),
};

/** In the container: a stash, a commit, a staged file, modifications, untracked, ignored, binary. */
const CONTAINER_WORK = `
set -e
cd /workspace
export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@b GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@b
echo stash-me >> README.md && git stash -q
echo "committed line" >> src/app.txt && git commit -qam "work in the container"
sed -i 's/^line 5$/line five/' src/app.txt
echo untracked > new.txt && git add new.txt
echo noise > debug.log
mkdir -p build && echo out > build/out.txt
head -c 4096 /dev/urandom > data.bin
head -c 64 /dev/urandom >> logo.bin
echo spaced > "notes with spaces.txt"
rm to-delete.txt
chmod +x src/keep.txt
`;

function isCode(code: number) {
  return (error: unknown) => (error as { code?: unknown }).code === code;
}

describe('workspace export against the real engine', () => {
  const stateDir = tempDir('berth-ws-state-');
  const backend = new Backend({ settings: { stateDir }, env: { ...process.env, BERTH_STATE_DIR: stateDir } });
  const localRepo = join(tempDir('berth-ws-local-'), 'repo');
  let baseCommit = '';
  let gitContainer: Docker.Container;
  let gitName = '';
  let firstPatch = Buffer.alloc(0);
  let firstResult: WorkspaceExportResult;

  before(async () => {
    await ensureGitImage();
    await ensureBusyboxImage();
    baseCommit = makeRepo(localRepo, BASE_FILES);
    gitName = uniqueName('berth-ws-git');
    gitContainer = await createTestContainer({ name: gitName, image: await ensureGitImage() });
    await backend.workspace.import({ workload: gitName, dir: localRepo }, detachedContext());
    await execIn(gitContainer, ['sh', '-c', CONTAINER_WORK]);
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('round trip: every change since the import base, ignored files excluded, applies to a clean copy at the base', async () => {
    const before = await containerGitState(gitContainer, '/workspace');
    const out = join(tempDir('berth-ws-out-'), 'changes.patch');
    firstResult = await backend.workspace.export({ workload: gitName }, { kind: 'file', path: out }, detachedContext());
    firstPatch = readFileSync(out);

    assert.equal(firstResult.method, 'container-git');
    assert.equal(firstResult.baseSource, 'import');
    assert.equal(firstResult.baseRecord, 'container');
    assert.equal(firstResult.base, baseCommit);
    assert.equal(firstResult.hasChanges, true);
    const byPath = new Map(firstResult.files.map((f) => [f.path, f]));
    assert.deepEqual([...byPath.keys()].sort(), ['data.bin', 'logo.bin', 'new.txt', 'notes with spaces.txt', 'src/app.txt', 'src/keep.txt', 'to-delete.txt']);
    assert.equal(byPath.get('to-delete.txt')?.status, 'deleted');
    assert.equal(byPath.get('new.txt')?.status, 'added');
    assert.equal(byPath.get('data.bin')?.binary, true);
    assert.equal(byPath.get('logo.bin')?.binary, true);
    assert.equal(byPath.get('src/keep.txt')?.newMode, '100755');
    assert.equal(firstResult.patchBytes, firstPatch.length);
    assert.match(firstPatch.toString('latin1'), /GIT binary patch/);

    // The user's git state in the container is byte-for-byte what it was, objects included.
    assert.deepEqual(await containerGitState(gitContainer, '/workspace'), before);
    assert.equal((await execIn(gitContainer, ['sh', '-c', 'ls -a /tmp | grep berth-export || true'])).trim(), '');

    // A clean local copy at the base, plus the patch, is exactly the container's tree.
    const clone = join(tempDir('berth-ws-clone-'), 'repo');
    git(localRepo, 'clone', '-q', localRepo, clone);
    assert.equal(git(clone, 'rev-parse', 'HEAD'), baseCommit);
    git(clone, 'apply', out);
    const local = treeHashes(clone);
    assert.deepEqual(local, await containerTreeHashes(gitContainer, '/workspace'));
    assert.ok(!('debug.log' in local) && !('build/out.txt' in local), 'ignored files are not exported');
    assert.match(readFileSync(join(clone, 'src/app.txt'), 'utf8'), /committed line/, 'committed work since the base is in the patch');
    assert.ok((statSync(join(clone, 'src/keep.txt')).mode & 0o100) !== 0, 'the mode change is in the patch');
  });

  it('a container without git takes the fallback path and gives the same patch', async () => {
    const name = uniqueName('berth-ws-nogit');
    const plain = await createTestContainer({ name, image: await ensureBusyboxImage() });
    await execIn(plain, ['rm', '-rf', '/workspace']);
    await copyBetweenContainers(gitContainer, '/workspace', plain, '/');
    const before = await containerGitState(plain, '/workspace');
    const out = join(tempDir('berth-ws-out-'), 'fallback.patch');
    const result = await backend.workspace.export({ workload: name }, { kind: 'file', path: out }, detachedContext());
    assert.equal(result.method, 'local-fallback');
    assert.ok(result.warnings.some((w) => /no git/.test(w)), 'the result says which path was taken');
    assert.equal(result.base, baseCommit);
    assert.equal(result.baseSource, 'import');
    assert.deepEqual(result.files, firstResult.files);
    assert.ok(readFileSync(out).equals(firstPatch), 'both paths give the same bytes');
    assert.deepEqual(await containerGitState(plain, '/workspace'), before);
  });

  it('a container without git whose repo holds a name that is not UTF-8: the fallback refuses (Rejected) instead of exporting another name', async () => {
    const name = uniqueName('berth-ws-nogit-latin1');
    const plain = await createTestContainer({ name, image: await ensureBusyboxImage() });
    await execIn(plain, ['rm', '-rf', '/workspace']);
    await copyBetweenContainers(gitContainer, '/workspace', plain, '/');
    await execIn(plain, ['sh', '-c', "printf 'x\\n' > \"/workspace/$(printf 'caf\\351.txt')\""]);
    const out = join(tempDir('berth-ws-out-'), 'latin1.patch');
    await assert.rejects(backend.workspace.export({ workload: name }, { kind: 'file', path: out }, detachedContext()), (error: unknown) => {
      const e = error as { code?: number; message?: string; extra?: { step?: string } };
      return e.code === ErrorCodes.Rejected && /not UTF-8/.test(e.message ?? '') && /caf\\xe9\.txt/.test(e.message ?? '') && e.extra?.step === 'copy-out';
    });
    assert.equal(existsSync(out), false, 'no patch was written');
  });

  it('a stopped workload is exported through the archive API', async () => {
    const name = uniqueName('berth-ws-stopped');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    await execIn(c, ['rm', '-rf', '/workspace']);
    await copyBetweenContainers(gitContainer, '/workspace', c, '/');
    await c.stop({ t: 0 });
    const out = join(tempDir('berth-ws-out-'), 'stopped.patch');
    const result = await backend.workspace.export({ workload: name }, { kind: 'file', path: out }, detachedContext());
    assert.equal(result.method, 'local-fallback');
    assert.ok(readFileSync(out).equals(firstPatch));
  });

  it('without a recorded base it diffs against HEAD and says that commits are missing', async () => {
    const name = uniqueName('berth-ws-head');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    await execIn(c, ['sh', '-c', `
set -e
export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@b GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@b
cd /workspace && git init -q && echo one > f.txt && git add f.txt && git commit -qm one
echo two >> f.txt && git commit -qam two
echo three >> f.txt`]);
    const head = (await execIn(c, ['git', '-C', '/workspace', 'rev-parse', 'HEAD'])).trim();
    const result = await backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext());
    assert.equal(result.baseSource, 'head');
    assert.equal(result.base, head);
    assert.equal(result.baseRecord, undefined);
    assert.ok(result.warnings.some((w) => /NOT in this patch/.test(w)), `warns about missed commits: ${result.warnings.join(' | ')}`);
    assert.deepEqual(result.files.map((f) => [f.path, f.additions, f.deletions]), [['f.txt', 1, 0]]);

    // An explicit base brings the commits back, and says it was explicit.
    const first = (await execIn(c, ['git', '-C', '/workspace', 'rev-parse', 'HEAD~1'])).trim();
    const explicit = await backend.workspace.export({ workload: name, base: 'HEAD~1' }, { kind: 'discard' }, detachedContext());
    assert.equal(explicit.baseSource, 'explicit');
    assert.equal(explicit.base, first);
    assert.deepEqual(explicit.files.map((f) => [f.path, f.additions]), [['f.txt', 2]]);
  });

  it('the base recorded in the state folder is used when the container lost its record', async () => {
    const name = uniqueName('berth-ws-record');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    await backend.workspace.import({ workload: name, dir: localRepo }, detachedContext());
    await execIn(c, ['sh', '-c', 'cd /workspace && rm .git/berth-base && GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@b GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@b git commit -q --allow-empty -m later']);
    const result = await backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext());
    assert.equal(result.baseSource, 'import');
    assert.equal(result.baseRecord, 'state');
    assert.equal(result.base, baseCommit);
  });

  it('bad bases and paths give clear typed errors', async () => {
    await assert.rejects(backend.workspace.export({ workload: gitName, base: 'no-such-ref' }, { kind: 'discard' }, detachedContext()), (e: Error & { code?: number }) => e.code === ErrorCodes.NotFound && /no-such-ref/.test(e.message));
    await assert.rejects(backend.workspace.export({ workload: gitName, base: '--output=/tmp/x' }, { kind: 'discard' }, detachedContext()), isCode(ErrorCodes.Rejected));
    await assert.rejects(backend.workspace.export({ workload: gitName, path: '/nowhere' }, { kind: 'discard' }, detachedContext()), isCode(ErrorCodes.NotFound));
    await assert.rejects(backend.workspace.export({ workload: gitName, path: 'relative/path' }, { kind: 'discard' }, detachedContext()), isCode(ErrorCodes.Rejected));
    await assert.rejects(backend.workspace.export({ workload: gitName, path: '/workspace/src' }, { kind: 'discard' }, detachedContext()), (e: Error & { code?: number }) => e.code === ErrorCodes.Rejected && /--path \/workspace/.test(e.message));
  });

  it('--output leaves no file behind when the export fails', async () => {
    const dir = tempDir('berth-ws-out-');
    const out = join(dir, 'never.patch');
    await assert.rejects(backend.workspace.export({ workload: gitName, base: 'no-such-ref' }, { kind: 'file', path: out }, detachedContext()));
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('--output to a device, a FIFO, stdout, a link and a folder (the real CLI): written to, never replaced', async () => {
    const dir = tempDir('berth-ws-out-');
    const cli = (...args: string[]) => runBerth(['workspace', 'export', gitName, ...args], { BERTH_STATE_DIR: stateDir });
    const full = charDevice(dir, 'full');
    const failed = await cli('--output', full);
    assert.equal(failed.code, ExitCodes.Failed, failed.stderr);
    assert.match(failed.stderr, /no space left/i);
    assert.ok(isCharDevice(full), `${full} is still a character device`);

    const nul = charDevice(dir, 'null');
    assert.equal((await cli('--output', nul)).code, ExitCodes.Ok);
    assert.ok(isCharDevice(nul));

    const { path, received } = fifoWithReader(dir);
    assert.equal((await cli('--output', path)).code, ExitCodes.Ok);
    assert.ok((await received).equals(firstPatch), 'the FIFO received the patch');
    assert.ok(lstatSync(path).isFIFO());

    const link = join(dir, 'to-stdout');
    symlinkSync('/proc/self/fd/1', link);
    for (const named of ['-', '/dev/stdout', link]) {
      const run = await cli('--output', named);
      assert.equal(run.code, ExitCodes.Ok, run.stderr);
      assert.ok(run.stdout.equals(firstPatch), `${named}: the patch is on stdout`);
    }
    assert.equal(readlinkSync(link), '/proc/self/fd/1');
    assert.equal((await cli('--output', '-', '--json')).code, ExitCodes.Usage, '--json owns stdout');

    mkdirSync(join(dir, 'folder'));
    const refused = await cli('--output', join(dir, 'folder'));
    assert.equal(refused.code, ExitCodes.Rejected, refused.stderr);
    assert.deepEqual(readdirSync(join(dir, 'folder')), []);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.berth-tmp')), []);
  });

  it('workspace operations serialize on their own lock and do not block lifecycle operations', async () => {
    const name = uniqueName('berth-ws-lock');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    await backend.workspace.import({ workload: name, dir: localRepo }, detachedContext());
    const key = `container:${name}`;
    const held = await acquireLock(stateDir, 'workspace', key, 'test holds it');
    try {
      await assert.rejects(backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext()), isCode(ErrorCodes.Busy));
      // Lifecycle operations are not blocked by the workspace lock.
      assert.equal((await backend.workloads.stop(name, detachedContext())).state, 'exited');
      assert.equal((await backend.workloads.start(name, detachedContext())).state, 'running');
    } finally {
      await held.release();
    }
    // And the workload lock does not block workspace operations.
    const workloadLock = await acquireLock(stateDir, 'workload', key, 'test holds it');
    try {
      const result = await backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext());
      assert.equal(result.hasChanges, false);
    } finally {
      await workloadLock.release();
    }
    void c;
  });

  describe('a long export', () => {
    let name = '';
    let c: Docker.Container;
    before(async () => {
      name = uniqueName('berth-ws-long');
      c = await createTestContainer({ name, image: await ensureGitImage() });
      await backend.workspace.import({ workload: name, dir: localRepo }, detachedContext());
      // Enough data that staging it takes seconds, so the test can act while git runs.
      await execIn(c, ['sh', '-c', 'head -c 48000000 /dev/urandom > /workspace/big.bin']);
    });

    it('a large patch streams through the CLI without MaxListenersExceededWarning', () => {
      const out = join(tempDir('berth-ws-out-'), 'big.patch');
      const run = spawnSync(process.execPath, [resolve('bin/berth.js'), 'workspace', 'export', name, '--output', out], { env: { ...process.env, BERTH_STATE_DIR: stateDir }, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.doesNotMatch(run.stderr, /MaxListenersExceededWarning/);
      assert.ok(statSync(out).size > 48_000_000, 'the whole binary patch arrived');
    });

    it('stopped mid-export fails cleanly with a typed error and leaves the repo untouched', async () => {
      const state = await containerGitState(c, '/workspace');
      const out = join(tempDir('berth-ws-out-'), 'stopped.patch');
      const exporting = backend.workspace.export({ workload: name }, { kind: 'file', path: out }, detachedContext());
      await waitFor(async () => (await execIn(c, ['sh', '-c', 'ls /tmp | grep -c berth-export || true'])).trim() !== '0', 'the export started in the container');
      await c.stop({ t: 0 });
      await assert.rejects(exporting, (e: Error & { code?: number; data?: unknown }) => e.code === ErrorCodes.Conflict && /stopped during the export/.test(e.message));
      assert.equal(existsSync(out), false, 'no partial patch');
      await c.start();
      assert.deepEqual(await containerGitState(c, '/workspace'), state);
      // The next export sweeps what the killed one left in /tmp, and works.
      const result = await backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext());
      assert.deepEqual(result.files.map((f) => f.path), ['big.bin']);
      assert.equal((await execIn(c, ['sh', '-c', 'ls -a /tmp | grep berth-export || true'])).trim(), '');
      assert.deepEqual(await containerGitState(c, '/workspace'), state);
    });

    it('cancelling stops git in the container and removes its temp folder', async () => {
      const controller = new AbortController();
      const exporting = backend.workspace.export({ workload: name }, { kind: 'discard' }, { signal: controller.signal, progress: { report: () => undefined } });
      await waitFor(async () => (await execIn(c, ['sh', '-c', 'ls /tmp | grep -c berth-export || true'])).trim() !== '0', 'the export started in the container');
      controller.abort();
      await assert.rejects(exporting, isCode(ErrorCodes.Cancelled));
      await waitFor(async () => (await execIn(c, ['sh', '-c', 'ls /tmp | grep -c berth-export || true'])).trim() === '0', 'the temp folder is removed');
      const running = await execIn(c, ['sh', '-c', 'ps -o comm | grep -c "^git" || true']);
      assert.equal(running.trim(), '0', 'no git left running');
    });
  });

  it('full_copy with a submodule: changes inside it are named in warnings, never dropped silently, and both paths agree', async () => {
    const dir = tempDir('berth-ws-submodule-');
    const subSource = join(dir, 'lib-src');
    makeRepo(subSource, { 'lib.txt': 'lib\n' });
    const top = join(dir, 'top');
    makeRepo(top, { 'main.txt': 'main\n' });
    git(top, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', subSource, 'lib');
    git(top, 'commit', '-qm', 'add lib');
    const name = uniqueName('berth-ws-sub');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    await backend.workspace.import({ workload: name, dir: top, mode: 'full_copy' }, detachedContext());
    // Work in the superproject and, uncommitted, inside the submodule.
    await execIn(c, ['sh', '-c', 'cd /workspace && echo more >> main.txt && echo changed > lib/lib.txt && echo new > lib/untracked.txt']);

    const result = await backend.workspace.export({ workload: name }, { kind: 'keep' }, detachedContext());
    assert.equal(result.method, 'container-git');
    assert.deepEqual(result.files.map((f) => f.path), ['main.txt'], 'the superproject patch holds only its own files');
    const dirty = result.warnings.filter((w) => /submodule lib has changes inside it/.test(w));
    assert.equal(dirty.length, 1, `one warning names the submodule with changes: ${result.warnings.join(' | ')}`);
    assert.match(dirty[0] ?? '', /--path \/workspace\/lib/);

    // The same repo without git in the container: the same patch and the same warning.
    const plainName = uniqueName('berth-ws-sub-nogit');
    const plain = await createTestContainer({ name: plainName, image: await ensureBusyboxImage() });
    await execIn(plain, ['rm', '-rf', '/workspace']);
    await copyBetweenContainers(c, '/workspace', plain, '/');
    const out = join(tempDir('berth-ws-out-'), 'sub.patch');
    const fallback = await backend.workspace.export({ workload: plainName, base: result.base }, { kind: 'file', path: out }, detachedContext());
    assert.equal(fallback.method, 'local-fallback');
    assert.ok(readFileSync(out).equals(readFileSync(result.patchPath ?? '')), 'both paths give the same bytes');
    assert.ok(fallback.warnings.some((w) => /submodule lib has changes inside it/.test(w)), fallback.warnings.join(' | '));

    // The advice works: the submodule exported on its own holds the change inside it.
    const inner = await backend.workspace.export({ workload: name, path: '/workspace/lib', base: 'HEAD' }, { kind: 'discard' }, detachedContext());
    assert.deepEqual(inner.files.map((f) => f.path).sort(), ['lib.txt', 'untracked.txt']);

    // A commit inside the submodule moves its pointer: the patch says only that, and the export says so.
    await execIn(c, ['sh', '-c', 'cd /workspace/lib && git add -A && GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@b GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@b git commit -qm inside']);
    const moved = await backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext());
    assert.deepEqual(moved.files.map((f) => [f.path, f.newMode]).sort(), [['lib', '160000'], ['main.txt', '100644']]);
    assert.ok(moved.warnings.some((w) => /lib is a submodule/.test(w) && /--path \/workspace\/lib/.test(w)), moved.warnings.join(' | '));
    assert.ok(!moved.warnings.some((w) => /has changes inside it/.test(w)), 'nothing uncommitted is left inside it');
  });

  it('keeps an export for the diff view: both sides of each file, binary files as placeholders, and apply', async () => {
    const kept = await backend.workspace.export({ workload: gitName }, { kind: 'keep' }, detachedContext());
    assert.ok(kept.exportId && kept.patchPath);
    assert.ok(readFileSync(kept.patchPath).equals(firstPatch));
    const signal = new AbortController().signal;
    const oldApp = await backend.workspace.fileContent(kept.exportId, 'src/app.txt', 'base', signal);
    const newApp = await backend.workspace.fileContent(kept.exportId, 'src/app.txt', 'new', signal);
    assert.equal(oldApp.content, LINES);
    assert.equal(newApp.content, (await execIn(gitContainer, ['cat', '/workspace/src/app.txt'])));
    assert.deepEqual(await backend.workspace.fileContent(kept.exportId, 'new.txt', 'base', signal), { content: '', placeholder: false });
    assert.equal((await backend.workspace.fileContent(kept.exportId, 'new.txt', 'new', signal)).content, 'untracked\n');
    assert.equal((await backend.workspace.fileContent(kept.exportId, 'to-delete.txt', 'new', signal)).content, '');
    assert.equal((await backend.workspace.fileContent(kept.exportId, 'data.bin', 'new', signal)).placeholder, true);
    await assert.rejects(backend.workspace.fileContent(kept.exportId, 'not-changed.txt', 'new', signal), isCode(ErrorCodes.NotFound));

    // Apply to a clean copy at the base: clean.
    const clone = join(tempDir('berth-ws-apply-'), 'repo');
    git(localRepo, 'clone', '-q', localRepo, clone);
    const applied = await backend.workspace.apply(kept.exportId, clone, detachedContext());
    assert.equal(applied.how, 'clean');
    assert.deepEqual(treeHashes(clone), await containerTreeHashes(gitContainer, '/workspace'));

    // Apply to a copy whose app.txt conflicts: refused, and nothing changes.
    const other = join(tempDir('berth-ws-apply-'), 'repo');
    git(localRepo, 'clone', '-q', localRepo, other);
    writeFileSync(join(other, 'src/app.txt'), LINES.replace('line 5\n', 'line 5 (local)\n').replace('line 20\n', 'line 20 (local)\n'));
    git(other, 'commit', '-qam', 'local edit');
    const state = localGitState(other);
    const tree = treeHashes(other);
    await assert.rejects(backend.workspace.apply(kept.exportId, other, detachedContext()), (e: Error & { code?: number }) => e.code === ErrorCodes.Conflict && /src\/app\.txt/.test(e.message));
    assert.deepEqual(localGitState(other), state);
    assert.deepEqual(treeHashes(other), tree);

    // Save Patch… goes through the same writer of user-named paths.
    const saveDir = tempDir('berth-ws-save-');
    const saved = join(saveDir, 'saved.patch');
    writeFileSync(saved, 'old\n');
    assert.equal((await backend.workspace.savePatch(kept.exportId, saved)).bytes, firstPatch.length);
    assert.ok(readFileSync(saved).equals(firstPatch));
    const full = charDevice(saveDir, 'full');
    await assert.rejects(backend.workspace.savePatch(kept.exportId, full), (e: Error & { code?: number }) => e.code === ErrorCodes.OperationFailed && /no space left/i.test(e.message));
    assert.ok(isCharDevice(full));
    const { path: fifo, received } = fifoWithReader(saveDir);
    await backend.workspace.savePatch(kept.exportId, fifo);
    assert.ok((await received).equals(firstPatch));
    await assert.rejects(backend.workspace.savePatch(kept.exportId, '-'), isCode(ErrorCodes.InvalidParams));
    await assert.rejects(backend.workspace.savePatch(kept.exportId, 'relative.patch'), isCode(ErrorCodes.InvalidParams));
    await assert.rejects(backend.workspace.savePatch(kept.exportId, saveDir), isCode(ErrorCodes.Rejected));
  });

  it('a kept fallback export serves the old side from what it kept', async () => {
    const name = uniqueName('berth-ws-nogit-keep');
    const plain = await createTestContainer({ name, image: await ensureBusyboxImage() });
    await execIn(plain, ['rm', '-rf', '/workspace']);
    await copyBetweenContainers(gitContainer, '/workspace', plain, '/');
    const kept = await backend.workspace.export({ workload: name }, { kind: 'keep' }, detachedContext());
    assert.equal(kept.method, 'local-fallback');
    const signal = new AbortController().signal;
    assert.equal((await backend.workspace.fileContent(kept.exportId ?? '', 'src/app.txt', 'base', signal)).content, LINES);
    assert.equal((await backend.workspace.fileContent(kept.exportId ?? '', 'src/app.txt', 'new', signal)).content, await execIn(gitContainer, ['cat', '/workspace/src/app.txt']));
  });
});

function runBerth(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [resolve('bin/berth.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout: Buffer.concat(out), stderr }));
  });
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting until ${what}`);
}
