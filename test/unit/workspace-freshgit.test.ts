import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { buildFreshGitDir, isSafeRefName, refValue, renderBerthConfig, validPackedRefs } from '../../server/src/workspace/freshGitDir';
import { isolatedGitEnv } from '../../server/src/workspace/localProcess';
import { git, makeRepo, tempDir, writeFiles } from '../fixtures/gitRepo';

const A = 'a'.repeat(40);

function write(path: string, text: string, mode?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  if (mode !== undefined) chmodSync(path, mode);
}

/** Every file under dir, relative, sorted. */
function files(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...files(dir, path));
    else out.push(path);
  }
  return out.sort();
}

describe('fresh git dir: validators', () => {
  it('ref names follow git check-ref-format', () => {
    for (const ok of ['refs/heads/main', 'refs/tags/v1.0', 'refs/remotes/origin/feature/x', 'refs/heads/ünï']) assert.equal(isSafeRefName(ok), true, ok);
    for (const bad of ['HEAD', 'refs/heads/../x', 'refs/heads/.x', 'refs/heads/x.lock', 'refs/heads/a b', 'refs/heads/x~1', 'refs/heads/x@{1}', 'refs//x', 'refs/heads/', 'refs/heads/x.', 'refs/heads/a\nb', 'refs/heads/a:b', '/etc/passwd', '../../x']) {
      assert.equal(isSafeRefName(bad), false, JSON.stringify(bad));
    }
  });

  it('ref values are an object ID or a symbolic ref, nothing else', () => {
    assert.equal(refValue(`${A}\n`), A);
    assert.equal(refValue('ref: refs/heads/main\n'), 'ref: refs/heads/main');
    for (const bad of ['ref: ../../etc/passwd\n', 'ref: /etc/passwd', `${A}\n${A}\n`, 'xyz', '', `${A.slice(1)}\n`]) assert.equal(refValue(bad), undefined, JSON.stringify(bad));
  });

  it('packed-refs: header, refs and peeled lines only', () => {
    assert.equal(validPackedRefs(`# pack-refs with: peeled fully-peeled sorted \n${A} refs/heads/main\n${A} refs/tags/v1\n^${A}\n`), true);
    assert.equal(validPackedRefs(''), true);
    assert.equal(validPackedRefs(`${A} refs/heads/main\nnot a ref\n`), false);
    assert.equal(validPackedRefs(`${A} ../../x\n`), false);
    assert.equal(validPackedRefs(`${A} refs/heads/a\n# pack-refs with: late header\n`), false);
  });

  it('Berth\'s config pins every command-running key off and carries only format literals', () => {
    const config = renderBerthConfig({ objectFormat: 'sha256', booleans: new Map([['filemode', false]]), autocrlf: 'input' });
    for (const line of ['fsmonitor = false', 'hooksPath = /dev/null', 'attributesFile = /dev/null', 'allow = never', 'filemode = false', 'autocrlf = input', 'objectFormat = sha256', 'repositoryformatversion = 1']) {
      assert.ok(config.includes(line), line);
    }
    assert.doesNotMatch(config, /include|worktreeConfig|filter|diff|alternates/i);
  });
});

describe('fresh git dir from a hostile one', () => {
  it('copies refs, objects and the index; never config, config.worktree, hooks, attributes, alternates, modules or commondir', async () => {
    const work = tempDir('berth-fresh-');
    const repo = join(work, 'repo');
    makeRepo(repo, { 'a.txt': 'one\n' });
    git(repo, 'tag', 'v1');
    git(repo, 'pack-refs', '--all');
    git(repo, 'branch', 'topic');
    writeFiles(repo, { 'a.txt': 'two\n' });
    const marker = join(work, 'PWNED');
    const gitDir = join(repo, '.git');
    write(join(gitDir, 'config'), readFileSync(join(gitDir, 'config'), 'utf8').replace('repositoryformatversion = 0', 'repositoryformatversion = 1') + `[extensions]\n\tworktreeConfig = true\n[core]\n\tfilemode = no\n[include]\n\tpath = /etc/gitconfig\n`);
    write(join(gitDir, 'config.worktree'), `[core]\n\tfsmonitor = "touch ${marker}; false"\n`);
    write(join(gitDir, 'hooks', 'post-index-change'), `#!/bin/sh\ntouch ${marker}\n`, 0o755);
    write(join(gitDir, 'info', 'attributes'), '* filter=x\n');
    write(join(gitDir, 'objects', 'info', 'alternates'), '/etc\n');
    write(join(gitDir, 'modules', 'sub', 'config'), '[core]\n\tfsmonitor = x\n');
    write(join(gitDir, 'refs', 'heads', 'evil'), 'ref: ../../../etc/passwd\n');
    write(join(gitDir, 'berth-base'), `${git(repo, 'rev-parse', 'HEAD')}\n`);
    const home = join(work, 'home');
    mkdirSync(home);

    const dest = join(work, 'fresh');
    const result = await buildFreshGitDir(gitDir, dest, home, work);
    assert.deepEqual(result.droppedAlternates, ['objects/info/alternates']);
    assert.deepEqual(result.skippedRefs, ['refs/heads/evil']);
    const copied = files(dest);
    assert.ok(copied.includes('config') && copied.includes('HEAD') && copied.includes('index') && copied.includes('packed-refs') && copied.includes('refs/heads/topic') && copied.includes('berth-base'));
    for (const never of ['config.worktree', 'hooks/post-index-change', 'info/attributes', 'objects/info/alternates', 'modules/sub/config', 'refs/heads/evil', 'description']) {
      assert.ok(!copied.includes(never), `${never} is not copied`);
    }
    assert.equal(readFileSync(join(dest, 'config'), 'utf8'), renderBerthConfig({ objectFormat: 'sha1', booleans: new Map([['filemode', false]]) }));

    // Berth's git dir is a working repo: this machine's git reads it, runs nothing, and sees the work.
    const env = { ...isolatedGitEnv(home, process.env, work), GIT_DIR: dest, GIT_WORK_TREE: repo, GIT_INDEX_FILE: join(work, 'index.tmp') };
    copyFileSync(join(dest, 'index'), join(work, 'index.tmp'));
    // Keep the index's mtime, as the export script does (cp -p): git's racy-clean check needs it.
    utimesSync(join(work, 'index.tmp'), statSync(join(dest, 'index')).atime, statSync(join(dest, 'index')).mtime);
    execFileSync('git', ['add', '-A'], { cwd: repo, env });
    const changed = execFileSync('git', ['diff', '--cached', '--name-only', 'v1'], { cwd: repo, env, encoding: 'utf8' });
    assert.equal(changed, 'a.txt\n');
    assert.equal(existsSync(marker), false, 'no command from the container ran');
  });

  it('a sha256 repository gets a sha256 git dir', async () => {
    const work = tempDir('berth-fresh-');
    const repo = join(work, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q', '--object-format=sha256');
    writeFiles(repo, { 'a.txt': 'x\n' });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'x');
    const home = join(work, 'home');
    mkdirSync(home);
    const dest = join(work, 'fresh');
    await buildFreshGitDir(join(repo, '.git'), dest, home, work);
    const env = { ...isolatedGitEnv(home, process.env, work), GIT_DIR: dest };
    assert.equal(execFileSync('git', ['rev-parse', 'HEAD'], { env, encoding: 'utf8' }).trim(), git(repo, 'rev-parse', 'HEAD'));
    assert.equal(execFileSync('git', ['rev-parse', 'HEAD'], { env, encoding: 'utf8' }).trim().length, 64);
  });
});
