import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, ExitCodes } from '../../protocol/src';
import { runCli } from '../../cli/src/cli';
import { Backend } from '../../server/src/backend';
import { detachedContext } from '../../server/src/operation';
import { importRecordPath } from '../../server/src/workspace/records';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects, createTestContainer, ensureBusyboxImage, uniqueName } from '../fixtures/docker';
import { ensureGitImage } from '../fixtures/gitImage';
import { containerGitState, containerTreeHashes, execIn, git, localGitState, makeRepo, tempDir, treeHashes, writeFiles } from '../fixtures/gitRepo';

const TOKEN = `berth-pwned-${process.pid}`;
/** Shell metacharacters that would run commands if anything interpolated them into a shell. */
const HOSTILE_FILES = {
  '-rf': 'dash\n',
  '--output=x.txt': 'option-like\n',
  [`$(touch /tmp/${TOKEN}-file).txt`]: 'dollar\n',
  [`\`touch /tmp/${TOKEN}-bt\`.txt`]: 'backtick\n',
  'quote\'s "double".txt': 'quotes\n',
  'semi;colon&amp|pipe.txt': 'punct\n',
  'spaces  in  name.txt': 'spaces\n',
  'ünïcödé.txt': 'unicode\n',
};
const HOSTILE_BRANCH = `x'"$(touch\${IFS}/tmp/${TOKEN}-ref)\`touch\${IFS}/tmp/${TOKEN}-ref2\`;&|`;
const HOSTILE_PATH = `/srv/we'ird "dir" $(touch /tmp/${TOKEN}-path) \`touch /tmp/${TOKEN}-path2\`; x/-rf`;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const bytes: Buffer[] = [];
  stdout.on('data', (c: Buffer) => bytes.push(c));
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), stdout }, out, err, bytes };
}

describe('workspace import against the real engine', () => {
  const stateDir = tempDir('berth-ws-state-');
  const env = { ...process.env, BERTH_STATE_DIR: stateDir };
  const backend = new Backend({ settings: { stateDir }, env });
  const localRepo = join(tempDir('berth-ws-local-'), 'repo');
  let base = '';

  before(async () => {
    await ensureGitImage();
    await ensureBusyboxImage();
    base = makeRepo(localRepo, { 'a.txt': 'a\n', 'dir/b.txt': 'b\n', '.gitignore': '*.log\n', 'tool.sh': '#!/bin/sh\n' });
    chmodSync(join(localRepo, 'tool.sh'), 0o755);
    git(localRepo, 'add', 'tool.sh');
    git(localRepo, 'commit', '-qm', 'exec bit');
    base = git(localRepo, 'rev-parse', 'HEAD');
    // Working-tree state that tracked mode must carry (modification) or leave out (the rest).
    writeFiles(localRepo, { 'a.txt': 'a modified\n', 'untracked.txt': 'u\n', 'debug.log': 'ignored\n' });
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('tracked: tracked files as on disk plus .git at the same HEAD; untracked and ignored left out; base recorded', async () => {
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    const localState = localGitState(localRepo);
    const result = await backend.workspace.import({ workload: name, dir: localRepo }, detachedContext());
    assert.equal(result.mode, 'tracked');
    assert.equal(result.base, base);
    assert.equal(result.gitInContainer, true);
    assert.deepEqual(localGitState(localRepo), localState, 'the local repo is not touched');
    assert.equal((await execIn(c, ['git', '-C', '/workspace', 'rev-parse', 'HEAD'])).trim(), base);
    assert.equal((await execIn(c, ['cat', '/workspace/.git/berth-base'])).trim(), base);
    assert.equal(await execIn(c, ['cat', '/workspace/a.txt']), 'a modified\n');
    assert.equal((await execIn(c, ['git', '-C', '/workspace', 'status', '--porcelain'])).trim(), 'M a.txt');
    assert.equal((await execIn(c, ['sh', '-c', 'ls -a /workspace | sort | tr "\\n" " "'])).trim(), '. .. .git .gitignore a.txt dir tool.sh');
    assert.equal((await execIn(c, ['stat', '-c', '%a', '/workspace/tool.sh'])).trim(), '755');
  });

  it('full_copy: everything, including untracked and ignored files', async () => {
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    const result = await backend.workspace.import({ workload: name, dir: localRepo, mode: 'full_copy' }, detachedContext());
    assert.equal(result.mode, 'full_copy');
    assert.equal(await execIn(c, ['cat', '/workspace/debug.log']), 'ignored\n');
    assert.equal(await execIn(c, ['cat', '/workspace/untracked.txt']), 'u\n');
    // The export sees the untracked file but not the ignored one.
    const exported = await backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext());
    assert.deepEqual(exported.files.map((f) => f.path), ['a.txt', 'untracked.txt']);
  });

  it('a container without git can be imported into (no branch) and exported through the fallback', async () => {
    const name = uniqueName('berth-wsi-nogit');
    const c = await createTestContainer({ name, image: await ensureBusyboxImage() });
    const result = await backend.workspace.import({ workload: name, dir: localRepo }, detachedContext());
    assert.equal(result.gitInContainer, false);
    assert.equal((await execIn(c, ['cat', '/workspace/.git/berth-base'])).trim(), base);
    const exported = await backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext());
    assert.equal(exported.method, 'local-fallback');
    assert.deepEqual(exported.files.map((f) => f.path), ['a.txt']);
    await assert.rejects(
      backend.workspace.import({ workload: name, dir: localRepo, path: '/other', branch: 'topic' }, detachedContext()),
      (e: Error & { code?: number }) => e.code === ErrorCodes.Rejected && /--branch/.test(e.message),
    );
    assert.equal((await execIn(c, ['sh', '-c', 'test -e /other && echo yes || echo no'])).trim(), 'no', 'refused before touching the container');
  });

  it('a non-empty target is refused; an interrupted import is cleared and redone', async () => {
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    await execIn(c, ['sh', '-c', 'echo mine > /workspace/user-file']);
    await assert.rejects(backend.workspace.import({ workload: name, dir: localRepo }, detachedContext()), (e: Error & { code?: number }) => e.code === ErrorCodes.Conflict && /not empty/.test(e.message));
    assert.equal(await execIn(c, ['cat', '/workspace/user-file']), 'mine\n', 'an unmarked folder is never touched');

    // Crash at the finish step (SIGKILL): the copy stays marked, export refuses it, import redoes it.
    const cli = resolve('bin/berth.js');
    const crashed = spawnSync(process.execPath, [cli, 'workspace', 'import', name, localRepo, '--path', '/crash'], {
      env: { ...env, ...crashAt('workspace.import.finish') },
      encoding: 'utf8',
    });
    assert.equal(crashed.signal, 'SIGKILL', `the CLI was killed at the step: ${crashed.stderr}`);
    assert.equal((await execIn(c, ['sh', '-c', 'test -e /crash/.berth-import-incomplete && echo marked'])).trim(), 'marked');
    await assert.rejects(backend.workspace.export({ workload: name, path: '/crash' }, { kind: 'discard' }, detachedContext()), (e: Error & { code?: number }) => e.code === ErrorCodes.Conflict && /did not finish/.test(e.message));
    const redone = await backend.workspace.import({ workload: name, dir: localRepo, path: '/crash' }, detachedContext());
    assert.equal(redone.base, base);
    assert.equal((await execIn(c, ['sh', '-c', 'test -e /crash/.berth-import-incomplete && echo marked || echo clean'])).trim(), 'clean');
  });

  it('--branch with --from checks out a new branch at that commit and records it as the base', async () => {
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    const first = git(localRepo, 'rev-parse', 'HEAD~1');
    const localState = localGitState(localRepo);
    const result = await backend.workspace.import({ workload: name, dir: localRepo, branch: 'topic', from: 'HEAD~1' }, detachedContext());
    assert.equal(result.base, first);
    assert.equal((await execIn(c, ['git', '-C', '/workspace', 'symbolic-ref', 'HEAD'])).trim(), 'refs/heads/topic');
    assert.equal((await execIn(c, ['git', '-C', '/workspace', 'rev-parse', 'HEAD'])).trim(), first);
    assert.deepEqual(localGitState(localRepo), localState, 'the branch exists only in the container');
    await assert.rejects(backend.workspace.import({ workload: name, dir: localRepo, path: '/x', branch: 'main' }, detachedContext()), (e: Error & { code?: number }) => e.code === ErrorCodes.Rejected && /already exists/.test(e.message));
    await assert.rejects(backend.workspace.import({ workload: name, dir: localRepo, path: '/x', branch: 'bad..name' }, detachedContext()), (e: Error & { code?: number }) => e.code === ErrorCodes.Rejected);
    await assert.rejects(backend.workspace.import({ workload: name, dir: localRepo, path: '/x', branch: 'ok', from: 'no-such-commit' }, detachedContext()), (e: Error & { code?: number }) => e.code === ErrorCodes.NotFound);
  });

  it('--branch without --from starts the new branch at the local HEAD, keeping the working-tree changes', async () => {
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    const head = git(localRepo, 'rev-parse', 'HEAD');
    assert.notEqual(head, git(localRepo, 'rev-parse', 'HEAD~1'), 'the repo has more than one commit to start from');
    const result = await backend.workspace.import({ workload: name, dir: localRepo, branch: 'from-head' }, detachedContext());
    assert.equal(result.branch, 'from-head');
    assert.equal(result.base, head);
    assert.equal((await execIn(c, ['git', '-C', '/workspace', 'symbolic-ref', 'HEAD'])).trim(), 'refs/heads/from-head');
    assert.equal((await execIn(c, ['git', '-C', '/workspace', 'rev-parse', 'HEAD'])).trim(), head);
    assert.equal((await execIn(c, ['cat', '/workspace/.git/berth-base'])).trim(), head);
    assert.equal((await execIn(c, ['git', '-C', '/workspace', 'status', '--porcelain'])).trim(), 'M a.txt', 'the modification came along');
  });

  it('a stopped workload is refused (Conflict naming its state): nothing is written into it or recorded', async () => {
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    await c.stop();
    const record = importRecordPath(stateDir, (await backend.workloads.resolve(name)).identity.key, '/stopped');
    await assert.rejects(backend.workspace.import({ workload: name, dir: localRepo, path: '/stopped' }, detachedContext()), (e: Error & { code?: number }) => {
      assert.equal(e.code, ErrorCodes.Conflict, e.message);
      assert.match(e.message, new RegExp(`${name} is exited; start it first`));
      return true;
    });
    assert.equal(existsSync(record), false, 'no import record');
    await c.start();
    assert.equal((await execIn(c, ['sh', '-c', 'test -e /stopped && echo exists || echo absent'])).trim(), 'absent', 'nothing was created in the container');
  });

  it('CLI: --from without --branch is a usage error (exit 2)', async () => {
    const { io, err } = capture();
    const code = await runCli(['workspace', 'import', 'anything', localRepo, '--from', 'main'], io, env);
    assert.equal(code, ExitCodes.Usage);
    assert.match(err.join('\n'), /--from needs --branch/);
    const bad = capture();
    assert.equal(await runCli(['workspace', 'import', 'anything', localRepo, '--mode', 'everything'], bad.io, env), ExitCodes.Usage);
  });

  it('submodules are refused in tracked mode, naming them and suggesting full_copy', async () => {
    const repo = join(tempDir('berth-ws-sub-'), 'repo');
    const commit = makeRepo(repo, { 'main.txt': 'm\n' });
    git(repo, 'update-index', '--add', '--cacheinfo', `160000,${commit},libs/vendored`);
    git(repo, 'commit', '-qm', 'add a submodule');
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    await assert.rejects(
      backend.workspace.import({ workload: name, dir: repo, path: '/sub' }, detachedContext()),
      (e: Error & { code?: number }) => e.code === ErrorCodes.Rejected && /libs\/vendored/.test(e.message) && /full_copy/.test(e.message),
    );
    assert.equal((await execIn(c, ['sh', '-c', 'test -e /sub && echo yes || echo no'])).trim(), 'no');
    const { io, err } = capture();
    assert.equal(await runCli(['workspace', 'import', name, repo, '--path', '/sub'], io, env), ExitCodes.Rejected);
    assert.match(err.join('\n'), /libs\/vendored/);
    const full = await backend.workspace.import({ workload: name, dir: repo, path: '/sub', mode: 'full_copy' }, detachedContext());
    assert.equal(full.mode, 'full_copy');
  });

  it('--read-only removes every write permission, and export still works (it never writes the repo)', async () => {
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    const result = await backend.workspace.import({ workload: name, dir: localRepo, readOnly: true }, detachedContext());
    assert.equal(result.readOnly, true);
    const modes = await execIn(c, ['sh', '-c', 'find /workspace -exec stat -c "%a %n" {} +']);
    const writable = modes.split('\n').filter((l) => l && (parseInt(l.split(' ')[0] ?? '0', 8) & 0o222) !== 0);
    assert.deepEqual(writable, []);
    assert.ok(modes.split('\n').length > 10);
    const state = await containerGitState(c, '/workspace');
    const exported = await backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext());
    assert.equal(exported.method, 'container-git');
    assert.equal(exported.baseSource, 'import');
    assert.deepEqual(exported.files.map((f) => f.path), ['a.txt']);
    assert.deepEqual(await containerGitState(c, '/workspace'), state);
    // A non-root user in the container cannot write to it.
    await assert.rejects(execIn(c, ['sh', '-c', 'echo x > /workspace/a.txt'], 'nobody'));
  });

  it('hostile names: paths, file names and refs with shell metacharacters are data, never commands', async () => {
    const repo = join(tempDir('berth-ws-hostile-'), `re po 'x' $(y)`);
    const first = makeRepo(repo, HOSTILE_FILES);
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage(), labels: { 'berth.workspace.path': HOSTILE_PATH } });
    const imported = await backend.workspace.import({ workload: name, dir: repo, branch: HOSTILE_BRANCH, from: 'main' }, detachedContext());
    assert.equal(imported.pathSource, 'label');
    assert.equal(imported.path, HOSTILE_PATH);
    assert.equal(imported.base, first);
    const work = Object.keys(HOSTILE_FILES)
      .map((f, i) => `printf 'changed %d\\n' ${i} >> ./${shq(f)}`)
      .join('\n');
    await execIn(c, ['sh', '-c', `cd -- "$1" && ${work} && echo new > ./${shq(`new $(touch ${TOKEN}-new) .txt`)}`, 'work', HOSTILE_PATH]);
    const state = await containerGitState(c, HOSTILE_PATH);

    const out = join(tempDir('berth-ws-out-'), 'hostile.patch');
    const h = capture();
    const code = await runCli(['workspace', 'export', name, '--base', HOSTILE_BRANCH, '--output', out, '--json'], h.io, env);
    assert.equal(code, ExitCodes.Ok, `${h.out.join('')} ${h.err.join('')}`);
    const doc = JSON.parse(h.out.join('')) as { base: string; baseSource: string; files: { path: string }[] };
    assert.equal(doc.baseSource, 'explicit');
    assert.equal(doc.base, first);
    assert.equal(doc.files.length, Object.keys(HOSTILE_FILES).length + 1);
    assert.deepEqual(await containerGitState(c, HOSTILE_PATH), state);

    const clone = join(tempDir('berth-ws-clone-'), 'repo');
    git(repo, 'clone', '-q', repo, clone);
    git(clone, 'apply', out);
    assert.deepEqual(treeHashes(clone), await containerTreeHashes(c, HOSTILE_PATH));

    // Refs that look like options are refused before any command runs; unknown refs are not found.
    for (const [args, exit] of [
      [['--base', '-rf'], ExitCodes.Usage],
      [['--base=-rf'], ExitCodes.Rejected],
      [['--base=--output=/tmp/x'], ExitCodes.Rejected],
      [['--base', 'refs/heads/no such'], ExitCodes.NotFound],
    ] as const) {
      const r = capture();
      assert.equal(await runCli(['workspace', 'export', name, ...args, '--json'], r.io, env), exit, `${args.join(' ')}: ${r.out.join('')}`);
    }
    // Nothing anywhere ran the commands hidden in the names.
    assert.deepEqual(readdirSync('/tmp').filter((f) => f.startsWith(TOKEN)), []);
    assert.equal((await execIn(c, ['sh', '-c', `ls -a /tmp / | grep -c ${TOKEN} || true`])).trim(), '0');
  });

  it('CLI: export writes the patch to stdout, or only with --output under --json', async () => {
    const name = uniqueName('berth-wsi');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    const imported = capture();
    assert.equal(await runCli(['workspace', 'import', name, localRepo], imported.io, env), ExitCodes.Ok, imported.err.join('\n'));
    assert.match(imported.out.join('\n'), new RegExp(`Base for export: ${base}`));
    await execIn(c, ['sh', '-c', 'echo more >> /workspace/dir/b.txt']);

    const piped = capture();
    assert.equal(await runCli(['workspace', 'export', name], piped.io, env), ExitCodes.Ok, piped.err.join('\n'));
    const patch = Buffer.concat(piped.bytes).toString('utf8');
    assert.match(patch, /^diff --git a\/a\.txt b\/a\.txt/m);
    assert.match(patch, /^\+more$/m);
    assert.deepEqual(piped.out, [], 'nothing but the patch on stdout');

    const json = capture();
    assert.equal(await runCli(['workspace', 'export', name, '--json'], json.io, env), ExitCodes.Ok);
    assert.equal(json.bytes.length, 0, 'no patch without --output');
    const doc = JSON.parse(json.out.join('')) as { base: string; baseSource: string; method: string; hasChanges: boolean; files: { path: string }[] };
    assert.equal(doc.base, base);
    assert.equal(doc.baseSource, 'import');
    assert.equal(doc.method, 'container-git');
    assert.equal(doc.hasChanges, true);
    assert.deepEqual(doc.files.map((f) => f.path), ['a.txt', 'dir/b.txt']);

    const out = join(tempDir('berth-ws-out-'), 'p.patch');
    const withOutput = capture();
    assert.equal(await runCli(['workspace', 'export', name, '--json', '--output', out], withOutput.io, env), ExitCodes.Ok);
    assert.equal(readFileSync(out, 'utf8'), patch);
    assert.ok(existsSync(out));
  });
});

/** Single-quotes a word for the test's own shell snippets. */
function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
