// The workspace's shell programs (export.sh, export-cancel.sh, import-prepare.sh,
// import-finish.sh) run under dash and under busybox sh (which runs its own applets, as a
// busybox container does), against real git repos on this machine, and what they print is read
// by the backend's own parsers. Names that would pass for protocol lines if anything printed them
// raw (a newline, then `base …` or `patch`) stay inside their length-framed or NUL-separated parts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { parseChangeList } from '../../server/src/workspace/changeList';
import { ExportOutputParser } from '../../server/src/workspace/exportOutput';
import { CANCEL_SCRIPT, EXPORT_SCRIPT, ExportExit } from '../../server/src/workspace/exportScript';
import { FINISH_SCRIPT, IMPORT_MARKER, ImportExit, parseFinished, parsePrepared, PREPARE_SCRIPT } from '../../server/src/workspace/importScripts';
import { assignSections, sectionStarts } from '../../server/src/workspace/patchSections';
import { git, gitEnv, makeRepo, tempDir, writeFiles } from '../fixtures/gitRepo';

const work = tempDir('berth-ws-scripts-');
after(() => rmSync(work, { recursive: true, force: true }));

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? 'busybox';
// Absolute paths: some runs give the script a PATH without the shell's own directory.
const SHELLS = [
  ['dash', [['/bin/dash', '/usr/bin/dash'].find((p) => existsSync(p)) ?? 'dash']],
  ['busybox sh', [BUSYBOX, 'sh']],
] as const;

/** A PATH with busybox's basic tools and no git (for dash, which finds tools only on PATH). */
function pathWithoutGit(): string {
  const dir = join(work, 'nogit-bin');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    for (const tool of ['cat', 'ls', 'rm', 'mkdir', 'mv', 'chmod', 'cp', 'wc', 'grep', 'pwd']) symlinkSync(BUSYBOX, join(dir, tool));
  }
  return dir;
}

/** A git that also prints a line of its own on stdout during checkout, as a hostile one could. */
function chattyGitPath(fakeBase: string): string {
  const dir = join(work, 'chatty-bin');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    writeFileSync(join(dir, 'git'), `#!/bin/sh\ncase " $* " in *" checkout "*) printf 'base %s\\n' ${fakeBase} ;; esac\nexec /usr/bin/git "$@"\n`);
    chmodSync(join(dir, 'git'), 0o755);
  }
  return `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

for (const [shellName, shell] of SHELLS) {
  const run = (script: string, name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(shell[0], [...shell.slice(1), '-c', script, name, ...args], { env: { ...gitEnv(), ...env }, maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
  };
  let count = 0;
  const fresh = (what: string) => join(work, `${shellName.replace(' ', '-')}-${what}-${count++}`);

  describe(`export.sh under ${shellName}`, () => {
    it('is valid POSIX sh', () => {
      assert.equal(spawnSync(shell[0], [...shell.slice(1), '-n', '-c', EXPORT_SCRIPT]).status, 0);
    });

    it('frames the header, the NUL-separated list and the patch so that no file name can pass for a header line', async () => {
      const repo = fresh('repo');
      const head = makeRepo(repo, { 'a.txt': 'one\n', 'keep.txt': 'same\n' });
      const spoofs = [`x\nbase ${'0'.repeat(40)}`, 'y\npatch', 'z\nlist 0'];
      writeFiles(repo, { 'a.txt': 'two\n', ...Object.fromEntries(spoofs.map((n) => [n, `${n}\n`])) });
      const tmpRoot = fresh('tmp');
      mkdirSync(tmpRoot);
      const r = run(EXPORT_SCRIPT, 'berth-export', [repo, '', '', tmpRoot, 'berth-export.0123abcd']);
      assert.equal(r.status, 0, r.stderr);

      const patch = new PassThrough();
      const chunks: Buffer[] = [];
      patch.on('data', (c: Buffer) => chunks.push(c));
      const parser = new ExportOutputParser(patch);
      await new Promise<void>((resolve) => parser.end(r.stdout, resolve));
      assert.equal(parser.problem, undefined);
      const header = parser.header;
      assert.ok(header);
      assert.deepEqual([header.base, header.source, header.record, header.head, header.warnings], [head, 'head', undefined, head, []]);
      const files = parseChangeList(header.list);
      assert.deepEqual(files.map((f) => [f.path, f.status]).sort(), [['a.txt', 'modified'], ...spoofs.map((n) => [n, 'added'])].sort());
      const patchFile = join(tmpRoot, 'changes.patch');
      writeFileSync(patchFile, Buffer.concat(chunks));
      const { starts, size } = await sectionStarts(patchFile);
      assert.ok(assignSections(files, starts, size), 'one patch section per changed file');
      assert.deepEqual(readdirSync(tmpRoot), ['changes.patch'], 'the temp folder is gone');
      assert.equal(git(repo, 'status', '--porcelain', '-z').split('\0').filter(Boolean).length, 4, "the repo's own index is untouched");
    });

    it('exits with its codes: no such path, not a repo, no git', () => {
      const tmpRoot = fresh('tmp');
      mkdirSync(tmpRoot);
      const plain = fresh('plain');
      mkdirSync(plain);
      assert.equal(run(EXPORT_SCRIPT, 'berth-export', [join(plain, 'missing'), '', '', tmpRoot, 'berth-export.1']).status, ExportExit.PathMissing);
      assert.equal(run(EXPORT_SCRIPT, 'berth-export', [plain, '', '', tmpRoot, 'berth-export.2']).status, ExportExit.NotRepo);
      assert.equal(run(EXPORT_SCRIPT, 'berth-export', [plain, '', '', tmpRoot, 'berth-export.3'], { PATH: pathWithoutGit() }).status, ExportExit.NoGit);
      assert.deepEqual(readdirSync(tmpRoot), []);
    });
  });

  describe(`export-cancel.sh under ${shellName}`, () => {
    it('sends TERM to the PID the export recorded, prints nothing, and exits 0 when there is nothing to stop', async () => {
      const tmpRoot = fresh('tmp');
      mkdirSync(join(tmpRoot, 'berth-export.cafe'), { recursive: true });
      const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
      const ended = new Promise<NodeJS.Signals | null>((resolve) => sleeper.once('exit', (_code, signal) => resolve(signal)));
      writeFileSync(join(tmpRoot, 'berth-export.cafe', 'pid'), `${sleeper.pid ?? ''}\n`);
      const r = run(CANCEL_SCRIPT, 'berth-export-cancel', [tmpRoot, 'berth-export.cafe']);
      assert.deepEqual([r.status, r.stdout.length], [0, 0]);
      assert.equal(await ended, 'SIGTERM');
      const none = run(CANCEL_SCRIPT, 'berth-export-cancel', [tmpRoot, 'berth-export.gone']);
      assert.deepEqual([none.status, none.stdout.length], [0, 0]);
    });
  });

  describe(`import-prepare.sh and import-finish.sh under ${shellName}`, () => {
    it('prepare: creates the folder and the marker; answers git or no-git', () => {
      const target = join(fresh('target'), 'repo');
      const r = run(PREPARE_SCRIPT, 'berth-import', [target, IMPORT_MARKER, '0']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(parsePrepared(r.stdout.toString('latin1')), true);
      assert.ok(lstatSync(join(target, IMPORT_MARKER)).isFile());
      const bare = join(fresh('target'), 'repo');
      const without = run(PREPARE_SCRIPT, 'berth-import', [bare, IMPORT_MARKER, '0'], { PATH: pathWithoutGit() });
      assert.equal(without.status, 0, without.stderr);
      assert.equal(parsePrepared(without.stdout.toString('latin1')), false);
    });

    it('prepare: refuses a file, a non-empty folder Berth did not mark, and a branch without git; clears a marked one', () => {
      const dir = fresh('target');
      mkdirSync(dir);
      writeFileSync(join(dir, 'file'), 'x');
      assert.equal(run(PREPARE_SCRIPT, 'berth-import', [join(dir, 'file'), IMPORT_MARKER, '0']).status, ImportExit.NotAFolder);
      mkdirSync(join(dir, 'full'));
      writeFileSync(join(dir, 'full', 'mine'), 'x');
      assert.equal(run(PREPARE_SCRIPT, 'berth-import', [join(dir, 'full'), IMPORT_MARKER, '0']).status, ImportExit.NotEmpty);
      assert.ok(existsSync(join(dir, 'full', 'mine')), 'an unmarked folder is never touched');
      assert.equal(run(PREPARE_SCRIPT, 'berth-import', [join(dir, 'new'), IMPORT_MARKER, '1'], { PATH: pathWithoutGit() }).status, ImportExit.NoGitForBranch);
      writeFiles(join(dir, 'partial'), { [IMPORT_MARKER]: '', 'half.txt': 'x', '.hidden': 'y' });
      const r = run(PREPARE_SCRIPT, 'berth-import', [join(dir, 'partial'), IMPORT_MARKER, '0']);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(readdirSync(join(dir, 'partial')), [IMPORT_MARKER]);
    });

    it('finish: checks out the branch, records the base, removes the marker, makes the copy read-only; answers only the base', () => {
      const repo = fresh('repo');
      const head = makeRepo(repo, { 'a.txt': 'one\n' });
      writeFileSync(join(repo, IMPORT_MARKER), '');
      const r = run(FINISH_SCRIPT, 'berth-import', [repo, IMPORT_MARKER, head, 'feature', '', '1']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(parseFinished(r.stdout.toString('latin1')), head);
      assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'feature');
      assert.equal(readFileSync(join(repo, '.git', 'berth-base'), 'utf8'), `${head}\n`);
      assert.ok(!existsSync(join(repo, IMPORT_MARKER)));
      assert.equal(lstatSync(join(repo, 'a.txt')).mode & 0o222, 0);
      chmodSync(repo, 0o755);
    });

    it('finish: whatever git prints on stdout cannot spoof the recorded base', () => {
      const repo = fresh('repo');
      const head = makeRepo(repo, { 'a.txt': 'one\n' });
      writeFileSync(join(repo, IMPORT_MARKER), '');
      const r = run(FINISH_SCRIPT, 'berth-import', [repo, IMPORT_MARKER, head, 'feature', '', '0'], { PATH: chattyGitPath('1'.repeat(40)) });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(parseFinished(r.stdout.toString('latin1')), head);
    });

    it('finish without git in the container: the base is the local HEAD Berth passed', () => {
      const dir = fresh('plain');
      mkdirSync(join(dir, '.git'), { recursive: true });
      writeFileSync(join(dir, IMPORT_MARKER), '');
      const r = run(FINISH_SCRIPT, 'berth-import', [dir, IMPORT_MARKER, 'f'.repeat(40), '', '', '0'], { PATH: pathWithoutGit() });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(parseFinished(r.stdout.toString('latin1')), 'f'.repeat(40));
    });
  });
}

describe('the import scripts\' answers are read whole', () => {
  it('prepare answers exactly git or no-git', () => {
    assert.equal(parsePrepared('git\n'), true);
    assert.equal(parsePrepared('no-git\n'), false);
    for (const bad of ['', 'git', 'git\ngit\n', 'noise\ngit\n', ' git\n']) assert.throws(() => parsePrepared(bad), /outside its protocol/, JSON.stringify(bad));
  });

  it('finish answers exactly one base line (empty when there is no commit)', () => {
    const id = 'a'.repeat(40);
    assert.equal(parseFinished(`base ${id}\n`), id);
    assert.equal(parseFinished('base \n'), undefined);
    for (const bad of ['', `base ${id}`, `base ${'1'.repeat(40)}\nbase ${id}\n`, `noise\nbase ${id}\n`, 'base xyz\n']) assert.throws(() => parseFinished(bad), /outside its protocol/, JSON.stringify(bad));
  });
});

describe('the export header is read strictly', () => {
  const id = 'c'.repeat(40);
  const list = Buffer.from(`:000000 100644 ${'0'.repeat(40)} ${id} A\0x\0` + '1\t0\tx\0');
  const framed = (header: string) => Buffer.concat([Buffer.from(`BERTH-EXPORT 1\n${header}list ${list.length}\n`), list, Buffer.from('patch\ndiff --git a/x b/x\n')]);
  const parse = async (bytes: Buffer) => {
    const parser = new ExportOutputParser(new PassThrough().resume());
    await new Promise<void>((resolve) => parser.end(bytes, resolve));
    return parser;
  };

  it('accepts the header the script prints', async () => {
    const parser = await parse(framed(`base ${id}\nsource head\nrecord -\nhead ${id}\nwarn record-missing ${id}\nwarn submodules-unchecked -\n`));
    assert.equal(parser.problem, undefined);
    assert.deepEqual(parser.header?.warnings, [`record-missing ${id}`, 'submodules-unchecked -']);
  });

  for (const [what, header] of [
    ['an unknown line', `base ${id}\nsource head\nrecord -\nhead ${id}\nbogus line\n`],
    ['a second base', `base ${id}\nsource head\nrecord -\nhead ${id}\nbase ${'d'.repeat(40)}\n`],
    ['a field out of order', `source head\nbase ${id}\nrecord -\nhead ${id}\n`],
    ['a missing field', `base ${id}\nsource head\nhead ${id}\n`],
    ['a record outside its words', `base ${id}\nsource head\nrecord elsewhere\nhead ${id}\n`],
    ['a head that is no object ID', `base ${id}\nsource head\nrecord -\nhead HEAD\n`],
    ['a warning the script never prints', `base ${id}\nsource head\nrecord -\nhead ${id}\nwarn x\n`],
  ] as const) {
    it(`refuses ${what}: nothing reaches the patch`, async () => {
      const parser = await parse(framed(header));
      assert.ok(parser.problem, what);
      assert.equal(parser.header, undefined);
      assert.equal(parser.patchBytes, 0);
    });
  }
});
