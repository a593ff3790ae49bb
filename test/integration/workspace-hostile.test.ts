// A container without git makes Berth copy its repo out and run THIS machine's git on the copy.
// Every case plants a configuration key or file that git reads, naming a command that would
// create a marker file on this machine, then runs the real `berth workspace export` CLI against
// the real engine and asserts that no marker appears and that the patch is still right (or that
// the export refuses clearly where the repo cannot be read safely).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkspaceExportResult } from '../../protocol/src';
import { ExitCodes } from '../../protocol/src';
import { cleanupTestObjects, createTestContainer, ensureBusyboxImage, uniqueName } from '../fixtures/docker';
import { git, makeRepo, tempDir, writeFiles } from '../fixtures/gitRepo';

const CLI = resolve('bin/berth.js');
const BASE = { 'a.txt': 'one\n', 'keep.txt': 'keep\n' };
/** The work every case does on top of its base commit: one modification, one new file. */
const WORK = { 'a.txt': 'two\n', 'b.txt': 'new\n' };

interface Case {
  readonly name: string;
  /** Plants hostile keys and files into the repo; `cmd(tag)` is a shell command that creates a marker. */
  plant(repo: string, cmd: (tag: string) => string, host: HostWorld): void;
  /** Paths the patch must hold besides a.txt and b.txt (planted work-tree files). */
  readonly extra?: readonly string[];
  /** The export must refuse with this exit code and a message matching `message`. */
  readonly refuse?: { readonly exit: number; readonly message: RegExp };
  /** A warning the result must carry. */
  readonly warning?: RegExp;
}

interface HostWorld {
  /** A real repo on this machine that a hostile copy could try to reach (alternates, commondir). */
  readonly repo: string;
}

function write(path: string, text: string, mode?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  if (mode !== undefined) chmodSync(path, mode);
}

/** Turns on extensions.worktreeConfig so git reads .git/config.worktree (repository format 1). */
function enableWorktreeConfig(repo: string, worktreeConfig: string): void {
  const config = join(repo, '.git', 'config');
  writeFileSync(config, readFileSync(config, 'utf8').replace('repositoryformatversion = 0', 'repositoryformatversion = 1') + '[extensions]\n\tworktreeConfig = true\n');
  write(join(repo, '.git', 'config.worktree'), worktreeConfig);
}

function appendConfig(repo: string, text: string): void {
  const config = join(repo, '.git', 'config');
  writeFileSync(config, readFileSync(config, 'utf8') + text);
}

const hook = (command: string) => `#!/bin/sh\n${command}\nexit 0\n`;
const HOOKS = ['post-index-change', 'reference-transaction', 'post-checkout', 'pre-commit', 'post-commit', 'fsmonitor-watchman', 'pre-auto-gc', 'post-rewrite'];

const CASES: readonly Case[] = [
  {
    name: 'config.worktree with extensions.worktreeConfig: core.fsmonitor',
    plant: (repo, cmd) => enableWorktreeConfig(repo, `[core]\n\tfsmonitor = "${cmd('fsmonitor')}; false"\n`),
  },
  {
    name: 'config.worktree: filter clean and smudge on every file',
    plant: (repo, cmd) => {
      enableWorktreeConfig(repo, `[filter "x"]\n\tclean = "${cmd('clean')}; cat"\n\tsmudge = "${cmd('smudge')}; cat"\n\trequired = true\n`);
      write(join(repo, '.gitattributes'), '* filter=x\n');
    },
    extra: ['.gitattributes'],
  },
  {
    name: 'config.worktree: a long-running filter process',
    plant: (repo, cmd) => {
      enableWorktreeConfig(repo, `[filter "x"]\n\tprocess = "${cmd('process')}; false"\n`);
      write(join(repo, '.gitattributes'), '* filter=x\n');
    },
    extra: ['.gitattributes'],
  },
  {
    name: '.git/config: core.fsmonitor, filter, diff driver, textconv and diff.external',
    plant: (repo, cmd) => {
      appendConfig(repo, `[core]\n\tfsmonitor = "${cmd('cfg-fsmonitor')}; false"\n[filter "x"]\n\tclean = "${cmd('cfg-clean')}; cat"\n[diff "x"]\n\tcommand = "${cmd('cfg-diffcmd')}; true"\n\ttextconv = "${cmd('cfg-textconv')}; cat"\n[diff]\n\texternal = "${cmd('cfg-external')}; true"\n`);
      write(join(repo, '.gitattributes'), '* filter=x diff=x\n');
    },
    extra: ['.gitattributes'],
  },
  {
    name: 'config.worktree: diff.external, diff.<x>.command and textconv',
    plant: (repo, cmd) => {
      enableWorktreeConfig(repo, `[diff]\n\texternal = "${cmd('external')}; true"\n[diff "x"]\n\tcommand = "${cmd('diffcmd')}; true"\n\ttextconv = "${cmd('textconv')}; cat"\n`);
      write(join(repo, '.gitattributes'), '* diff=x\n');
    },
    extra: ['.gitattributes'],
  },
  {
    name: '.git/info/attributes names a filter the repo config defines',
    plant: (repo, cmd) => {
      enableWorktreeConfig(repo, `[filter "y"]\n\tclean = "${cmd('info-attr')}; cat"\n`);
      write(join(repo, '.git', 'info', 'attributes'), '* filter=y\n');
    },
  },
  {
    name: 'core.attributesFile points into the copy',
    plant: (repo, cmd) => {
      write(join(repo, '.git', 'evil-attributes'), '* filter=z\n');
      enableWorktreeConfig(repo, `[core]\n\tattributesFile = .git/evil-attributes\n[filter "z"]\n\tclean = "${cmd('attributesfile')}; cat"\n`);
    },
  },
  {
    name: 'include.path and includeIf in .git/config',
    plant: (repo, cmd) => {
      write(join(repo, '.git', 'extra.cfg'), `[core]\n\tfsmonitor = "${cmd('include')}; false"\n`);
      write(join(repo, '.git', 'extra2.cfg'), `[filter "x"]\n\tclean = "${cmd('includeif')}; cat"\n`);
      appendConfig(repo, '[include]\n\tpath = extra.cfg\n[includeIf "gitdir:/"]\n\tpath = extra2.cfg\n');
      write(join(repo, '.gitattributes'), '* filter=x\n');
    },
    extra: ['.gitattributes'],
  },
  {
    name: 'include.path in config.worktree',
    plant: (repo, cmd) => {
      write(join(repo, '.git', 'extra.cfg'), `[core]\n\tfsmonitor = "${cmd('wt-include')}; false"\n`);
      enableWorktreeConfig(repo, '[include]\n\tpath = extra.cfg\n');
    },
  },
  {
    name: 'hooks in .git/hooks (post-index-change, reference-transaction, …)',
    plant: (repo, cmd) => {
      for (const name of HOOKS) write(join(repo, '.git', 'hooks', name), hook(cmd(`hook-${name}`)), 0o755);
    },
  },
  {
    name: 'core.hooksPath in config.worktree, and the fsmonitor-watchman hook',
    plant: (repo, cmd) => {
      for (const name of HOOKS) write(join(repo, '.git', 'myhooks', name), hook(cmd(`hookspath-${name}`)), 0o755);
      enableWorktreeConfig(repo, `[core]\n\thooksPath = .git/myhooks\n\tfsmonitor = .git/myhooks/fsmonitor-watchman\n`);
    },
  },
  {
    name: 'core.sshCommand, pager, editor, askPass, gitProxy and a lazy-fetching promisor remote',
    plant: (repo, cmd) => {
      enableWorktreeConfig(
        repo,
        `[core]\n\tsshCommand = "${cmd('ssh')}; false"\n\tpager = "${cmd('pager')}; cat"\n\teditor = "${cmd('editor')}; true"\n\taskPass = "${cmd('askpass')}; true"\n\tgitProxy = "${cmd('gitproxy')}; true"\n` +
          `[protocol]\n\tallow = always\n[remote "origin"]\n\turl = "ext::sh -c ${cmd('ext').replaceAll(' ', '% ')}"\n\tpromisor = true\n[credential]\n\thelper = "!${cmd('credential')}; true"\n[sequence]\n\teditor = "${cmd('seqeditor')}; true"\n`,
      );
      appendConfig(repo, '[extensions]\n\tpartialClone = origin\n');
    },
  },
  {
    name: 'objects/info/alternates pointing at a repo on this machine is dropped',
    plant: (repo, _cmd, host) => write(join(repo, '.git', 'objects', 'info', 'alternates'), `${join(host.repo, '.git', 'objects')}\n`),
    warning: /alternates/,
  },
  {
    name: 'objects only reachable through alternates on this machine: refused, the host repo is never read',
    plant: (repo, _cmd, host) => {
      // The copy's own objects are gone; the host repo (same history) has them all.
      rmSync(join(repo, '.git', 'objects'), { recursive: true, force: true });
      mkdirSync(join(repo, '.git', 'objects', 'info'), { recursive: true });
      mkdirSync(join(repo, '.git', 'objects', 'pack'), { recursive: true });
      write(join(repo, '.git', 'objects', 'info', 'alternates'), `${join(host.repo, '.git', 'objects')}\n`);
    },
    refuse: { exit: ExitCodes.Rejected, message: /alternates/ },
  },
  {
    name: '.git/commondir (a linked worktree) pointing at a repo on this machine',
    plant: (repo, _cmd, host) => write(join(repo, '.git', 'commondir'), `${join(host.repo, '.git')}\n`),
    refuse: { exit: ExitCodes.Rejected, message: /worktree/ },
  },
  {
    name: 'a .git file (gitdir:) pointing at a repo on this machine',
    plant: (repo, _cmd, host) => {
      rmSync(join(repo, '.git'), { recursive: true, force: true });
      write(join(repo, '.git'), `gitdir: ${join(host.repo, '.git')}\n`);
    },
    refuse: { exit: ExitCodes.Rejected, message: /\.git is a file/ },
  },
  {
    name: 'a submodule whose git dir (.git/modules/sub) plants fsmonitor, filters, include and hooks',
    plant: (repo, cmd) => {
      const modules = join(repo, '.git', 'modules', 'sub');
      appendConfigFile(join(modules, 'config'), `[core]\n\tfsmonitor = "${cmd('sub-fsmonitor')}; false"\n[filter "x"]\n\tclean = "${cmd('sub-clean')}; cat"\n[include]\n\tpath = extra.cfg\n`);
      write(join(modules, 'extra.cfg'), `[diff "x"]\n\ttextconv = "${cmd('sub-include')}; cat"\n`);
      for (const name of HOOKS) write(join(modules, 'hooks', name), hook(cmd(`sub-hook-${name}`)), 0o755);
      write(join(repo, 'sub', '.gitattributes'), '* filter=x diff=x\n');
      // A change inside the submodule: not in the superproject's patch, so the export must say so.
      write(join(repo, 'sub', 's.txt'), 'changed in the submodule\n');
    },
    submodule: true,
    warning: /submodule sub has changes inside it/,
  } as Case & { submodule: true },
  {
    name: 'an untracked nested repo with its own hostile config and hooks',
    plant: (repo, cmd) => {
      const nested = join(repo, 'nested');
      makeRepo(nested, { 'n.txt': 'n\n' });
      appendConfigFile(join(nested, '.git', 'config'), `[core]\n\tfsmonitor = "${cmd('nested-fsmonitor')}; false"\n[filter "x"]\n\tclean = "${cmd('nested-clean')}; cat"\n`);
      for (const name of HOOKS) write(join(nested, '.git', 'hooks', name), hook(cmd(`nested-hook-${name}`)), 0o755);
      write(join(nested, '.gitattributes'), '* filter=x\n');
      write(join(nested, 'n.txt'), 'dirty\n');
    },
    extra: ['nested'],
    warning: /nested is a submodule/,
  },
  {
    name: 'a packed-refs line that is not a ref is refused',
    plant: (repo) => appendConfigFile(join(repo, '.git', 'packed-refs'), 'not a ref line\n'),
    refuse: { exit: ExitCodes.Rejected, message: /packed-refs/ },
  },
  {
    name: 'a HEAD that is neither a branch nor a commit is refused',
    plant: (repo) => write(join(repo, '.git', 'HEAD'), 'ref: ../../../../etc/passwd\n'),
    refuse: { exit: ExitCodes.Rejected, message: /HEAD/ },
  },
  {
    name: 'refs with unsafe names or values are skipped, with a warning',
    plant: (repo) => {
      write(join(repo, '.git', 'refs', 'heads', 'evil'), 'ref: ../../../../etc/passwd\n');
      write(join(repo, '.git', 'refs', 'tags', '.hidden'), `${'0'.repeat(40)}\n`);
    },
    warning: /skipped 2 ref/,
  },
  {
    name: 'HEAD naming a commit the repo does not have is a clear error, not an empty repo',
    plant: (repo) => write(join(repo, '.git', 'HEAD'), `${'1234567890'.repeat(4)}\n`),
    noBase: true,
    refuse: { exit: ExitCodes.NotFound, message: /does not have/ },
  } as Case & { noBase: true },
  {
    name: 'a split index (sharedindex file) is read',
    plant: (repo) => git(repo, 'update-index', '--split-index'),
  },
];

function appendConfigFile(path: string, text: string): void {
  writeFileSync(path, (existsSync(path) ? readFileSync(path, 'utf8') : '') + text);
}

describe('workspace export fallback: a hostile repo never runs anything on this machine', () => {
  const stateDir = tempDir('berth-wsh-state-');
  const markers = tempDir('berth-wsh-markers-');
  const env = { ...process.env, BERTH_STATE_DIR: stateDir };

  before(async () => {
    await ensureBusyboxImage();
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(stateDir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const token = randomBytes(6).toString('hex');
      const tag = (t: string) => join(markers, `berth-pwned-${token}-${t}`);
      const cmd = (t: string) => `touch ${tag(t)}`;
      const work = tempDir('berth-wsh-repo-');
      const repo = join(work, 'repo');
      makeRepo(repo, BASE);
      if ((c as { submodule?: boolean }).submodule) {
        const sub = join(work, 'subsrc');
        makeRepo(sub, { 's.txt': 'sub\n' });
        git(repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'sub');
        git(repo, 'commit', '-qm', 'add sub');
      }
      const base = git(repo, 'rev-parse', 'HEAD');
      // A clean clone at the base, to apply the patch to; and one that stands for a repo on this
      // machine that a hostile copy could try to reach.
      const clone = join(work, 'clone');
      const host = join(work, 'host');
      git(work, 'clone', '-q', repo, clone);
      git(work, 'clone', '-q', repo, host);
      writeFiles(repo, WORK);
      // Plant last: from here on, no git runs on this repo on this machine.
      c.plant(repo, cmd, { repo: host });

      const name = uniqueName('berth-wsh');
      const container = await createTestContainer({ name });
      const tar = execFileSync('tar', ['-C', repo, '--numeric-owner', '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
      await container.putArchive(tar, { path: '/workspace' });

      const out = join(work, 'out.patch');
      const baseArgs = (c as { noBase?: boolean }).noBase ? [] : ['--base', base];
      const run = spawnSync(process.execPath, [CLI, 'workspace', 'export', name, ...baseArgs, '--output', out, '--json'], { env, encoding: 'utf8' });
      const planted = readdirSync(markers).filter((m) => m.includes(token));
      assert.deepEqual(planted, [], `commands from the container ran on this machine: ${planted.join(', ')}\n${run.stderr}`);

      const document = JSON.parse(run.stdout) as WorkspaceExportResult & { error?: { message: string } };
      if (c.refuse) {
        assert.equal(run.status, c.refuse.exit, `refused with exit ${c.refuse.exit}: ${run.stdout}${run.stderr}`);
        assert.match(document.error?.message ?? '', c.refuse.message);
        assert.equal(existsSync(out), false, 'no patch on refusal');
        return;
      }
      assert.equal(run.status, 0, `export failed: ${run.stdout}${run.stderr}`);
      assert.equal(document.method, 'local-fallback');
      assert.deepEqual(document.files.map((f) => f.path).sort(), ['a.txt', 'b.txt', ...(c.extra ?? [])].sort());
      if (c.warning) assert.ok(document.warnings.some((w) => c.warning?.test(w)), `warns: ${document.warnings.join(' | ')}`);

      // The patch is exactly the work: applied to a clean clone at the base, it gives the files.
      git(clone, 'apply', '--exclude=nested', out);
      for (const [path, content] of Object.entries(WORK)) assert.equal(readFileSync(join(clone, path), 'utf8'), content, path);
      for (const path of c.extra ?? []) {
        if (path === 'nested') continue;
        assert.equal(readFileSync(join(clone, path), 'utf8'), readFileSync(join(repo, path), 'utf8'), path);
      }
    });
  }
});
