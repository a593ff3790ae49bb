import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { Parser, type ReadEntry } from 'tar';
import { ErrorCodes } from '../../protocol/src';
import { PackError, packPluginFolder } from '../../server/src/archive/pluginTar';
import { scanPluginFolder } from '../../server/src/install/source';

const work = mkdtempSync(join(tmpdir(), 'berth-plugin-src-'));
after(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function folder(files: Record<string, string> = {}): string {
  const dir = join(work, `f${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const rejectedNaming = async (dir: string, path: string) =>
  assert.rejects(scanPluginFolder(dir), (e: Error & { code?: number; extra?: { path?: string } }) => {
    assert.equal(e.code, ErrorCodes.Rejected, e.message);
    assert.ok(e.message.includes(join(dir, path)), `names ${path}: ${e.message}`);
    assert.equal(e.extra?.path, join(dir, path));
    return true;
  });

interface Listed {
  path: string;
  type: string;
  mode: number;
  uid?: number;
  gid?: number;
  linkpath?: string;
  sha?: string;
}
async function list(stream: Readable): Promise<{ entries: Listed[]; chunks: number[] }> {
  const entries: Listed[] = [];
  const chunks: number[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.length));
  const parser = new Parser({
    onReadEntry: (e: ReadEntry) => {
      const hash = createHash('sha256');
      e.on('data', (c: Buffer) => hash.update(c));
      e.on('end', () => entries.push({ path: e.path, type: e.type, mode: e.mode ?? 0, uid: e.uid, gid: e.gid, ...(e.linkpath ? { linkpath: e.linkpath } : {}), ...(e.type === 'File' ? { sha: hash.digest('hex') } : {}) }));
    },
  });
  await pipeline(stream, parser);
  return { entries, chunks };
}

describe('plugin source folders', () => {
  it('walks files, folders and internal symlinks; strips setuid/setgid, keeps sticky on folders; reads plugin.json version', async () => {
    const dir = folder({ 'plugin.json': '{"version":"3.1.4"}', 'lib/a.js': 'a', 'lib/deep/b.js': 'bb', 'tmp/c': 'c', 'grp/d': 'd' });
    chmodSync(join(dir, 'lib/a.js'), 0o7755);
    chmodSync(join(dir, 'tmp'), 0o1777);
    chmodSync(join(dir, 'grp'), 0o3775);
    chmodSync(join(dir, 'lib/deep'), 0o555);
    symlinkSync('lib/a.js', join(dir, 'a-link'));
    symlinkSync('../a.js', join(dir, 'lib/deep/up-link'));
    symlinkSync('missing-later', join(dir, 'dangling'));
    const source = await scanPluginFolder(dir);
    chmodSync(join(dir, 'lib/deep'), 0o755);
    assert.equal(source.version, '3.1.4');
    assert.equal(source.files, 5);
    assert.equal(source.bytes, '{"version":"3.1.4"}'.length + 5);
    const byPath = Object.fromEntries(source.entries.map((e) => [e.path, e]));
    assert.equal(byPath['lib/a.js']?.mode, 0o755, 'setuid, setgid and sticky stripped from a file');
    assert.equal(byPath['tmp']?.mode, 0o1777, 'a shared folder keeps its sticky bit');
    assert.equal(byPath['grp']?.mode, 0o1775, 'setgid stripped from a folder, sticky kept');
    assert.equal(byPath['lib/deep']?.mode, 0o755, 'folders keep u+rwx so they can be filled and removed');
    assert.equal(byPath['a-link']?.target, 'lib/a.js');
    assert.equal(byPath['lib/deep/up-link']?.target, '../a.js');
    assert.equal(byPath['dangling']?.type, 'symlink', 'a dangling link that stays inside is kept');
    const order = source.entries.map((e) => e.path);
    assert.ok(order.indexOf('lib') < order.indexOf('lib/a.js'), 'folders come before their content');
  });

  it('refuses symlinks that leave the plugin, directly, absolutely or through another link', async () => {
    for (const [link, target] of [
      ['out', '../outside'],
      ['abs', '/etc/passwd'],
      ['deep/out', '../../x'],
    ] as const) {
      const dir = folder({ 'deep/keep.txt': 'k' });
      symlinkSync(target, join(dir, link));
      await rejectedNaming(dir, link);
    }
    const chain = folder();
    symlinkSync('.', join(chain, 'self'));
    symlinkSync('self/../escape', join(chain, 'esc'));
    await rejectedNaming(chain, 'esc');
    const loop = folder();
    symlinkSync('b', join(loop, 'a'));
    symlinkSync('a', join(loop, 'b'));
    await rejectedNaming(loop, 'a');
  });

  it('refuses FIFOs, devices, sockets-to-be and reserved names, naming the path', async () => {
    const fifo = folder();
    execFileSync('mkfifo', [join(fifo, 'p')]);
    await rejectedNaming(fifo, 'p');
    const dev = folder();
    execFileSync('mknod', [join(dev, 'zero'), 'c', '1', '5']);
    await rejectedNaming(dev, 'zero');
    for (const reserved of ['.complete', '.berth-end']) {
      const dir = folder({ [reserved]: 'x' });
      await rejectedNaming(dir, reserved);
    }
    const nested = folder({ 'sub/.complete': 'a nested marker is plain content' });
    assert.equal((await scanPluginFolder(nested)).files, 1);
  });

  it('refuses names that are not valid UTF-8', async () => {
    const dir = folder();
    const raw = Buffer.concat([Buffer.from(join(dir, 'bad-')), Buffer.from([0xff, 0xfe])]);
    writeFileSync(raw, 'x');
    await assert.rejects(scanPluginFolder(dir), (e: { code?: number; message: string }) => e.code === ErrorCodes.Rejected && /UTF-8/.test(e.message));
  });

  it('a missing folder is NotFound, a relative path or a file is Rejected', async () => {
    await assert.rejects(scanPluginFolder(join(work, 'none')), (e: { code?: number }) => e.code === ErrorCodes.NotFound);
    await assert.rejects(scanPluginFolder('relative/x'), (e: { code?: number }) => e.code === ErrorCodes.Rejected);
    const dir = folder({ f: 'x' });
    await assert.rejects(scanPluginFolder(join(dir, 'f')), (e: { code?: number }) => e.code === ErrorCodes.Rejected);
  });
});

describe('plugin archives', () => {
  it('streams the checked entries with uid/gid 0, stripped modes, PAX for long paths, the trailer last', async () => {
    const long = `${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(90)}.txt`;
    const dir = folder({ 'a.txt': 'alpha', [long]: 'long path', 'big.bin': 'z'.repeat(300_000) });
    chmodSync(join(dir, 'a.txt'), 0o4755);
    symlinkSync('a.txt', join(dir, 'l'));
    const source = await scanPluginFolder(dir);
    const { entries, chunks } = await list(packPluginFolder(source.folder, source.entries, { trailer: { path: '.berth-end', content: 'STAMP' } }));
    const byPath = Object.fromEntries(entries.map((e) => [e.path.replace(/\/$/, ''), e]));
    assert.equal(byPath['a.txt']?.mode, 0o755);
    assert.equal(byPath['a.txt']?.sha, createHash('sha256').update('alpha').digest('hex'));
    assert.equal(byPath[long]?.sha, createHash('sha256').update('long path').digest('hex'));
    assert.equal(byPath['big.bin']?.sha, createHash('sha256').update('z'.repeat(300_000)).digest('hex'));
    assert.equal(byPath['l']?.linkpath, 'a.txt');
    for (const e of entries) assert.deepEqual([e.uid, e.gid], [0, 0], e.path);
    assert.equal(entries.at(-1)?.path, '.berth-end');
    assert.equal(entries.at(-1)?.sha, createHash('sha256').update('STAMP\n').digest('hex'));
    assert.ok(Math.max(...chunks) <= 300_000 + 64 * 1024, 'streamed in pieces, never the whole plugin at once');
  });

  it('puts every entry under a prefix for putArchive', async () => {
    const dir = folder({ 'a.txt': 'a' });
    const source = await scanPluginFolder(dir);
    const { entries } = await list(packPluginFolder(source.folder, source.entries, { prefix: 'demo.STAMP', trailer: { path: '.berth-end', content: 'S' } }));
    assert.deepEqual(entries.map((e) => e.path), ['demo.STAMP/', 'demo.STAMP/a.txt', 'demo.STAMP/.berth-end']);
  });

  it('stops without the trailer when aborted, so the receiver sees an incomplete archive', async () => {
    const dir = folder(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, 'x'.repeat(10_000)])));
    const source = await scanPluginFolder(dir);
    const controller = new AbortController();
    const stream = packPluginFolder(source.folder, source.entries, { trailer: { path: '.berth-end', content: 'S' }, signal: controller.signal, onProgress: (b) => b > 100_000 && controller.abort() });
    let bytes = 0;
    for await (const chunk of stream) bytes += (chunk as Buffer).length;
    assert.ok(bytes < 50 * 10_000, 'stopped early');
  });

  it('refuses a file that changed after the check, naming it', async () => {
    const dir = folder({ 'a.txt': 'original content' });
    const source = await scanPluginFolder(dir);
    truncateSync(join(dir, 'a.txt'), 3);
    await assert.rejects(list(packPluginFolder(source.folder, source.entries, { trailer: { path: '.berth-end', content: 'S' } })), (e: Error) => e instanceof PackError && e.message.includes(join(dir, 'a.txt')));
    rmSync(join(dir, 'a.txt'));
    symlinkSync('/etc/passwd', join(dir, 'a.txt'));
    await assert.rejects(list(packPluginFolder(source.folder, source.entries, { trailer: { path: '.berth-end', content: 'S' } })), (e: Error) => e instanceof PackError);
  });
});
