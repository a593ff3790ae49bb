import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCodes, type InstallPluginResult, type ListPluginsResult, type SweepPluginsResult } from '../../protocol/src';
import { displayName, nameFromBytes } from '../../server/src/archive/names';
import { cleanupTestObjects, docker, BUSYBOX_IMAGE, ensureBusyboxImage } from '../fixtures/docker';
import {
  children,
  containerTree,
  createPluginContainer,
  createTestVolume,
  ensureImportedImage,
  folderTree,
  runCli,
  shIn,
  subtree,
  withoutMarker,
  writePlugin,
} from '../fixtures/plugins';

const ROOT = '/configs/plugins';
const work = mkdtempSync(join(tmpdir(), 'berth-plugins-safety-'));
const env = { BERTH_STATE_DIR: join(work, 'state') };
const good = writePlugin(join(work, 'good', 'demo'), { 'a.txt': 'a\n', 'sub/b.txt': 'b\n', 'inner.lnk': { link: 'sub/b.txt' }, 'plugin.json': '{"version":"1.0"}' });

interface CliError {
  readonly error: { readonly name: string; readonly message: string; readonly path?: string };
}
const errorOf = (stdout: string) => (JSON.parse(stdout) as CliError).error;

after(() => rmSync(work, { recursive: true, force: true }));

/** A plugin with a 1777 folder, a 2755 folder, a 3777 folder and a 4755 file. */
function modesPlugin(folder: string): string {
  writePlugin(folder, { 'shared/x.txt': 'x\n', 'grp/y.txt': 'y\n', 'both/z.txt': 'z\n', 'bin/tool': { text: '#!/bin/sh\n', mode: 0o755 }, 'bin/plain': 'p\n' });
  chmodSync(join(folder, 'shared'), 0o1777);
  chmodSync(join(folder, 'grp'), 0o2755);
  chmodSync(join(folder, 'both'), 0o3777);
  chmodSync(join(folder, 'bin', 'tool'), 0o4755);
  chmodSync(join(folder, 'bin', 'plain'), 0o1644);
  return folder;
}

/** `stat -c '%a %n'` lines of the installed modes plugin, checked against the decided modes. */
function assertInstalledModes(statOutput: string): void {
  const modes = Object.fromEntries(statOutput.trim().split('\n').map((line) => line.split(' ').reverse() as [string, string]));
  assert.deepEqual(modes, { shared: '1777', grp: '755', both: '1777', 'bin/tool': '755', 'bin/plain': '644' }, statOutput);
}

describe('plugins: hostile input is refused before anything is written', () => {
  let id = '';
  let server: Server | undefined;
  before(async () => {
    id = await createPluginContainer();
    assert.equal((await runCli(['plugins', 'install', id, good], env)).code, 0);
  });
  after(async () => {
    server?.close();
    await cleanupTestObjects();
  });

  const unchanged = async (run: () => Promise<void>) => {
    const before = await containerTree(id, ROOT);
    await run();
    assert.deepEqual((await containerTree(id, ROOT))?.tree, before?.tree, 'nothing in the container changed');
  };

  for (const name of ['..', '.', '.hidden', '../escape', 'a/b', 'a b', '$(id)', 'x'.repeat(101), 'plügin', 'semi;colon', '']) {
    it(`refuses the plugin name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 20)}…` : name)} (exit 5)`, async () => {
      await unchanged(async () => {
        const run = await runCli(['plugins', 'install', id, good, '--name', name, '--json'], env);
        assert.equal(run.code, ExitCodes.Rejected, run.stdout + run.stderr);
        assert.equal(errorOf(run.stdout).name, 'Rejected');
      });
    });
  }

  it('refuses hostile names for rollback and remove too', async () => {
    for (const verb of ['rollback', 'remove']) {
      const run = await runCli(['plugins', verb, id, '../demo', '--json'], env);
      assert.equal(run.code, ExitCodes.Rejected, run.stdout);
    }
  });

  const hostile: readonly [string, (dir: string) => string][] = [
    ['a symlink pointing outside the plugin', (dir) => (symlinkSync('../../../etc/passwd', join(dir, 'evil')), 'evil')],
    ['an absolute symlink', (dir) => (symlinkSync('/etc/passwd', join(dir, 'abs')), 'abs')],
    [
      'a symlink that escapes through another symlink (l -> ., x -> l/../outside)',
      (dir) => {
        symlinkSync('.', join(dir, 'l'));
        symlinkSync('l/../outside', join(dir, 'x'));
        return 'x';
      },
    ],
    ['a FIFO', (dir) => (execFileSync('mkfifo', [join(dir, 'pipe')]), 'pipe')],
    ['a character device', (dir) => (execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']), 'null')],
    ['a .complete file of its own', (dir) => (writeFileSync(join(dir, '.complete'), 'fake'), '.complete')],
  ];
  for (const [what, make] of hostile) {
    it(`refuses a source folder with ${what}, naming the path (exit 5)`, async () => {
      const dir = writePlugin(join(work, `hostile-${Math.random().toString(36).slice(2)}`, 'demo'), { 'ok.txt': 'fine\n' });
      const bad = make(dir);
      await unchanged(async () => {
        const run = await runCli(['plugins', 'install', id, dir, '--json'], env);
        assert.equal(run.code, ExitCodes.Rejected, run.stdout + run.stderr);
        const e = errorOf(run.stdout);
        assert.ok(e.message.includes(join(dir, bad)), `the message names ${join(dir, bad)}: ${e.message}`);
      });
    });
  }

  it('refuses a source folder with a socket, naming the path (exit 5)', async () => {
    const dir = writePlugin(join(work, 'sock', 'demo'), { 'ok.txt': 'fine\n' });
    server = createServer();
    await new Promise<void>((resolve) => server?.listen(join(dir, 'sock'), resolve));
    const run = await runCli(['plugins', 'install', id, dir, '--json'], env);
    assert.equal(run.code, ExitCodes.Rejected, run.stdout);
    assert.match(errorOf(run.stdout).message, /socket/);
  });

  it('a missing folder is NotFound (exit 4); a file is refused (exit 5)', async () => {
    assert.equal((await runCli(['plugins', 'install', id, join(work, 'nope'), '--json'], env)).code, ExitCodes.NotFound);
    writeFileSync(join(work, 'file'), 'x');
    assert.equal((await runCli(['plugins', 'install', id, join(work, 'file'), '--json'], env)).code, ExitCodes.Rejected);
  });

  it('refuses an unusable plugin root from --root or the label (exit 5), blaming where the value came from', async () => {
    for (const root of ['relative/path', '/', '/configs/../etc', '/configs/plugins/.staging']) {
      for (const args of [['plugins', 'install', id, good], ['plugins', 'remove', id, 'demo'], ['plugins', 'sweep', id]]) {
        const run = await runCli([...args, '--root', root, '--json'], env);
        assert.equal(run.code, ExitCodes.Rejected, `${root}: ${run.stdout}`);
        const message = errorOf(run.stdout).message;
        assert.match(message, / from --root is not usable/, message);
        assert.doesNotMatch(message, /setting/, `a --root value is not the setting's fault: ${message}`);
      }
    }
    const listed = await runCli(['plugins', 'list', id, '--root', 'relative/path', '--json'], env);
    const group = (JSON.parse(listed.stdout) as { workloads: { rootSource: string; error?: { message: string } }[] }).workloads[0];
    assert.equal(group?.rootSource, 'request');
    assert.match(group?.error?.message ?? '', / from --root is not usable/);
    const fromVariable = await runCli(['plugins', 'install', id, good, '--json'], { ...env, BERTH_PLUGINS_ROOT: 'relative/path' });
    assert.equal(fromVariable.code, ExitCodes.Rejected, fromVariable.stdout);
    assert.match(errorOf(fromVariable.stdout).message, / from the environment variable BERTH_PLUGINS_ROOT is not usable/);
    const labelled = await createPluginContainer({ labels: { 'berth.plugins.root': '/../etc' } });
    const fromLabel = await runCli(['plugins', 'install', labelled, good, '--root', '/ok', '--json'], env);
    assert.equal(fromLabel.code, ExitCodes.Rejected);
    assert.match(errorOf(fromLabel.stdout).message, / from the label berth\.plugins\.root of /);
  });

  it('modes: a 1777 folder keeps its sticky bit; setgid and setuid are stripped (docs/plugins.md)', async () => {
    const modes = modesPlugin(join(work, 'modes', 'modes'));
    const run = await runCli(['plugins', 'install', id, modes, '--json'], env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assertInstalledModes(await shIn(id, `cd ${ROOT}/modes && stat -c '%a %n' shared grp both bin/tool bin/plain`));
    // A container that runs as another user extracts the same modes (no umask in between).
    const user = await createPluginContainer({ user: '1000:1000', tmpfs: { [ROOT]: 'mode=0777' } });
    const asUser = await runCli(['plugins', 'install', user, modes, '--json'], env);
    assert.equal(asUser.code, 0, asUser.stdout + asUser.stderr);
    assertInstalledModes(await shIn(user, `cd ${ROOT}/modes && stat -c '%a %n' shared grp both bin/tool bin/plain`));
  });

  it('internal relative symlinks are kept as symlinks', async () => {
    const t = await containerTree(id, ROOT);
    assert.equal(t?.tree['demo/inner.lnk'], 'l sub/b.txt');
  });
});

describe('plugins: names a container plants in its plugin root cannot add records to the script protocol', () => {
  let id = '';
  before(async () => {
    id = await createPluginContainer();
    assert.equal((await runCli(['plugins', 'install', id, good], env)).code, 0);
  });
  after(() => cleanupTestObjects());

  const S = '20250101T000000001Z-1-aaaaaaaaaaaa';
  // Each name, if echoed raw, would end its line and start a record of its own.
  const planted: Buffer[] = [
    ...['x\nDONE', 'y\nRECOVERED demo rolled-forward', 'z\nSTEP install.swap', 'v\nREMOVED important', `w\nLIVE evil complete {"name":"evil","stamp":"${S}"}`, 'u\rFAIL sweep.clean spoofed'].map((n) => Buffer.from(n)),
    Buffer.from([0x63, 0x61, 0x66, 0xe9]),
  ];
  const journal = Buffer.from('q\nRECOVERED demo rolled-back\nDONE.journal');
  /** A printf format that writes the name's bytes exactly (octal escapes; nothing is interpreted). */
  const octal = (name: Buffer) => [...name].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
  const plant = async () => {
    const lines = planted.map((n) => `n=$(printf '${octal(n)}') && mkdir -p "${ROOT}/.staging/$n" "${ROOT}/.previous/$n"`);
    lines.push(`n=$(printf '${octal(journal)}') && echo garbage > "${ROOT}/.staging/$n"`);
    await shIn(id, lines.join('\n'));
  };
  const expected = planted.flatMap((n) => [`.staging/${displayName(nameFromBytes(n))}`, `.previous/${displayName(nameFromBytes(n))}`]).sort();
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await runCli([...args, '--json'], env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    return JSON.parse(run.stdout) as T;
  };

  it('the sweep reports exactly what it removed and recovered nothing', async () => {
    await plant();
    const swept = await json<SweepPluginsResult>(['plugins', 'sweep', id]);
    assert.deepEqual(swept.recovered, []);
    assert.deepEqual([...swept.removed].sort(), expected);
    assert.deepEqual(children((await containerTree(id, ROOT))?.tree ?? {}, '.staging'), []);
  });

  it('the sweep before an install reports exactly what it removed; the install is not spoofed', async () => {
    await plant();
    const installed = await json<InstallPluginResult>(['plugins', 'install', id, good]);
    assert.deepEqual([...installed.swept].sort(), expected);
    assert.equal(installed.name, 'demo');
    const listed = await json<ListPluginsResult>(['plugins', 'list', id]);
    assert.deepEqual(listed.workloads[0]?.plugins.map((p) => [p.name, p.stamp]), [['demo', installed.stamp]]);
  });

  it('the listing shows no planted name as a plugin', async () => {
    await plant();
    const listed = await json<ListPluginsResult>(['plugins', 'list', id]);
    assert.deepEqual(listed.workloads[0]?.plugins.map((p) => p.name), ['demo']);
    assert.equal(listed.workloads[0]?.leftovers.length, planted.length * 2 + 1);
  });
});

describe('plugins: output that breaks the script protocol is an error, never a result', () => {
  after(() => cleanupTestObjects());

  // A container whose sh ignores Berth's script and prints records of its own: the old line
  // protocol, and NUL-framed records with a field too many.
  const fakes: readonly (readonly [string, string])[] = [
    ['the old line protocol', String.raw`printf 'BERTH 1\nREMOVED .staging/important\nRECOVERED demo rolled-forward\nDONE\n'`],
    ['a framed record with a field too many', String.raw`printf 'BERTH\0002\000\nREMOVED\000.staging/a\000.staging/b\000\nDONE\000\n'`],
  ];
  for (const [what, body] of fakes) {
    it(`a shell that prints ${what}: sweep fails (exit 1), the listing shows an error`, async () => {
      const id = await createPluginContainer();
      await shIn(id, `mkdir -p ${ROOT} && rm /bin/sh && printf '#!/bin/busybox sh\n%s\n' "$1" > /bin/sh && chmod 755 /bin/sh`.replace('"$1"', `'${body.replaceAll("'", `'\\''`)}'`));
      const swept = await runCli(['plugins', 'sweep', id, '--json'], env);
      assert.equal(swept.code, ExitCodes.Failed, swept.stdout + swept.stderr);
      assert.match(errorOf(swept.stdout).message, /breaks its protocol/);
      const listed = await runCli(['plugins', 'list', id, '--json'], env);
      const row = (JSON.parse(listed.stdout) as ListPluginsResult).workloads[0];
      assert.ok(row?.error, listed.stdout);
      assert.deepEqual(row.plugins, []);
    });
  }
});

describe('plugins: containers without a shell or without tar', () => {
  const nosh = () => ensureImportedImage('berth-test/plugins-nosh:2', [], {}, true);
  after(async () => {
    await cleanupTestObjects();
  });

  it('no /bin/sh and the root on the image: refused before anything is written (exit 5)', async () => {
    const id = await createPluginContainer({ image: await nosh(), cmd: ['/busybox', 'sleep', '1000'] });
    const before = await containerTree(id, '/configs');
    const run = await runCli(['plugins', 'install', id, good, '--json'], env);
    assert.equal(run.code, ExitCodes.Rejected, run.stdout + run.stderr);
    assert.match(errorOf(run.stdout).message, /has no \/bin\/sh.*Nothing was written/);
    assert.deepEqual((await containerTree(id, '/configs'))?.tree, before?.tree);
    const list = await runCli(['plugins', 'list', id, '--json'], env);
    assert.equal(list.code, 0, list.stdout);
    assert.equal((JSON.parse(list.stdout) as { workloads: { via: string }[] }).workloads[0]?.via, 'archive');
  });

  it('no /bin/sh but the root on a volume: a helper container does the work and is removed', async () => {
    await ensureBusyboxImage();
    const volume = await createTestVolume();
    const id = await createPluginContainer({ image: await nosh(), cmd: ['/busybox', 'sleep', '1000'], binds: [`${volume}:${ROOT}`] });
    const helperEnv = { ...env, BERTH_HELPER_IMAGE: BUSYBOX_IMAGE };
    const run = await runCli(['plugins', 'install', id, good, '--json'], helperEnv);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal((JSON.parse(run.stdout) as { via: string }).via, 'helper');
    const t = await containerTree(id, ROOT);
    assert.ok(t);
    assert.deepEqual(withoutMarker(subtree(t.tree, 'demo')), folderTree(good));
    const list = await runCli(['plugins', 'list', id, '--json'], helperEnv);
    const plugins = (JSON.parse(list.stdout) as { workloads: { plugins: { name: string; state: string }[] }[] }).workloads[0]?.plugins;
    assert.deepEqual(plugins?.map((p) => `${p.name} ${p.state}`), ['demo complete']);
    assert.equal((await runCli(['plugins', 'remove', id, 'demo'], helperEnv)).code, 0);
    assert.deepEqual(children((await containerTree(id, ROOT))?.tree ?? {}).sort(), ['.previous', '.staging']);
    const name = (await docker().getContainer(id).inspect()).Name.replace(/^\//, '');
    const helpers = await docker().listContainers({ all: true, filters: { label: [`berth.helper.workload=container:${name}`] } });
    assert.deepEqual(helpers, [], 'no helper container is left');
  });

  it('no /bin/sh, root on a volume, but the helper image is missing: refused, naming the image', async () => {
    const volume = await createTestVolume();
    const id = await createPluginContainer({ image: await nosh(), cmd: ['/busybox', 'sleep', '1000'], binds: [`${volume}:${ROOT}`] });
    const run = await runCli(['plugins', 'install', id, good, '--json'], { ...env, BERTH_HELPER_IMAGE: 'berth-test/no-such-image:0' });
    assert.equal(run.code, ExitCodes.Rejected, run.stdout);
    assert.match(errorOf(run.stdout).message, /berth-test\/no-such-image:0/);
  });

  it('sh but no tar: the content goes in by putArchive and the same steps commit it', async () => {
    // Debian's busybox sh runs every applet even without a symlink, so this image's sh is dash.
    const image = await ensureImportedImage('berth-test/plugins-notar:2', ['mkdir', 'mv', 'rm', 'sleep', 'df', 'sync', 'chmod', 'cat'], {}, false, true);
    const id = await createPluginContainer({ image, cmd: ['sleep', '1000'] });
    const run = await runCli(['plugins', 'install', id, good, '--json'], env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal((JSON.parse(run.stdout) as { via: string }).via, 'putArchive');
    const again = await runCli(['plugins', 'install', id, good, '--json'], env);
    assert.equal(again.code, 0, again.stdout);
    const t = await containerTree(id, ROOT);
    assert.ok(t);
    assert.deepEqual(withoutMarker(subtree(t.tree, 'demo')), folderTree(good));
    assert.deepEqual(children(t.tree, '.staging'), []);
    assert.equal(children(t.tree, '.previous').length, 1);
    // The engine extracts here, not tar -o: the modes must come out the same.
    const modes = await runCli(['plugins', 'install', id, modesPlugin(join(work, 'modes-notar', 'modes')), '--json'], env);
    assert.equal(modes.code, 0, modes.stdout + modes.stderr);
    const t2 = await containerTree(id, ROOT);
    const mode = (path: string) => t2?.tree[`modes/${path}`]?.split(' ')[1];
    assert.deepEqual(
      { shared: mode('shared'), grp: mode('grp'), both: mode('both'), tool: mode('bin/tool'), plain: mode('bin/plain') },
      { shared: '1777', grp: '755', both: '1777', tool: '755', plain: '644' },
    );
  });
});

describe('plugins: the loader check snippet', () => {
  let id = '';
  before(async () => {
    id = await createPluginContainer();
  });
  after(() => cleanupTestObjects());

  it('accepts a complete plugin and refuses a half-installed one, dot-names and missing ones', async () => {
    const snippet = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'plugin-loader-check.sh'), 'utf8');
    await shIn(id, `mkdir -p ${ROOT}/done ${ROOT}/half ${ROOT}/.hidden && touch ${ROOT}/done/.complete ${ROOT}/.hidden/.complete`);
    const check = async (dir: string) => {
      const exec = await docker().getContainer(id).exec({ Cmd: ['sh', '-c', snippet, 'plugin-loader-check.sh', dir], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      await new Promise((resolve) => {
        stream.on('end', resolve);
        stream.resume();
      });
      let info = await exec.inspect();
      for (let i = 0; info.Running && i < 200; i++) {
        await new Promise((r) => setTimeout(r, 10));
        info = await exec.inspect();
      }
      return info.ExitCode;
    };
    assert.equal(await check(`${ROOT}/done`), 0);
    assert.equal(await check(`${ROOT}/done/`), 0);
    assert.equal(await check(`${ROOT}/half`), 1);
    assert.equal(await check(`${ROOT}/.hidden`), 1, 'dot-names are never plugins');
    assert.equal(await check(`${ROOT}/missing`), 1);
  });
});
