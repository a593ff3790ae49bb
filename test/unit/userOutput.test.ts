import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../protocol/src';
import { openOutput, resolveOutput, type OutputWriter, type UserOutputOptions } from '../../server/src/output/userOutput';
import { blockDevice, charDevice, fifoWithReader, isCharDevice } from '../fixtures/outputTargets';
import { tempDir } from '../fixtures/gitRepo';

const DATA = randomBytes(3 * 1024 * 1024 + 17);

/** Resolves and opens in one step, as a command does with nothing to do in between. */
async function openUserOutput(named: string, options: UserOutputOptions = {}): Promise<OutputWriter> {
  return openOutput(await resolveOutput(named, options), options);
}

async function writeAll(named: string, data: Buffer = DATA, stdout?: PassThrough): Promise<void> {
  const out = await openUserOutput(named, stdout ? { stdout } : {});
  try {
    for (let i = 0; i < data.length; i += 65536) await out.write(data.subarray(i, i + 65536));
    await out.commit();
  } catch (error) {
    await out.abort();
    throw error;
  }
}

function hasCode(code: number, message?: RegExp) {
  return (error: unknown) => (error as { code?: number }).code === code && (!message || message.test((error as Error).message));
}

describe('writing to a path the user named', () => {
  it('a full device (like /dev/full) gives ENOSPC as a clear error and stays a character device', async () => {
    const dir = tempDir('berth-out-');
    const full = charDevice(dir, 'full');
    await assert.rejects(writeAll(full), hasCode(ErrorCodes.OperationFailed, /no space left/i));
    assert.ok(isCharDevice(full), `${full} is still a character device`);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.berth-tmp')), [], 'no temp file left');
  });

  it('a null device (like /dev/null) is written to and stays a character device', async () => {
    const dir = tempDir('berth-out-');
    const nul = charDevice(dir, 'null');
    assert.equal((await resolveOutput(nul)).kind, 'device');
    await writeAll(nul);
    assert.ok(isCharDevice(nul));
    assert.deepEqual(readdirSync(dir).sort(), nul.startsWith(dir) ? ['null'] : []);
  });

  it('the real /dev/null and /dev/full are devices to write to, never files to replace', async () => {
    assert.equal((await resolveOutput('/dev/null')).kind, 'device');
    assert.equal((await resolveOutput('/dev/full')).kind, 'device');
    await writeAll('/dev/null', Buffer.from('x'));
    assert.ok(isCharDevice('/dev/null'));
  });

  it('a FIFO receives the bytes, and stays a FIFO', async () => {
    const dir = tempDir('berth-out-');
    const { path, received } = fifoWithReader(dir);
    assert.equal((await resolveOutput(path)).kind, 'fifo');
    await writeAll(path);
    assert.ok((await received).equals(DATA));
    assert.ok(lstatSync(path).isFIFO());
  });

  it('a regular file is replaced atomically: a new inode, whole content, mode kept, no temp left', async () => {
    const dir = tempDir('berth-out-');
    const file = join(dir, 'out.bin');
    writeFileSync(file, 'old content\n');
    chmodSync(file, 0o640);
    // A hard link to the old file keeps the old bytes: the file was replaced, not written in place.
    linkSync(file, join(dir, 'old-link'));
    const before = statSync(file);
    const out = await openUserOutput(file);
    await out.write(DATA.subarray(0, 1000));
    assert.equal(readFileSync(file, 'utf8'), 'old content\n', 'the target is untouched until commit');
    await out.write(DATA.subarray(1000));
    await out.commit();
    const after = statSync(file);
    assert.notEqual(after.ino, before.ino);
    assert.ok(readFileSync(file).equals(DATA));
    assert.equal(readFileSync(join(dir, 'old-link'), 'utf8'), 'old content\n');
    assert.equal(after.mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir).sort(), ['old-link', 'out.bin']);
  });

  it('an aborted write leaves the regular file as it was and no temp file', async () => {
    const dir = tempDir('berth-out-');
    const file = join(dir, 'out.bin');
    writeFileSync(file, 'keep me\n');
    const out = await openUserOutput(file);
    await out.write(DATA);
    await out.abort();
    assert.equal(readFileSync(file, 'utf8'), 'keep me\n');
    assert.deepEqual(readdirSync(dir), ['out.bin']);
  });

  it('a new file is created whole', async () => {
    const dir = tempDir('berth-out-');
    await writeAll(join(dir, 'new.bin'));
    assert.ok(readFileSync(join(dir, 'new.bin')).equals(DATA));
    assert.deepEqual(readdirSync(dir), ['new.bin']);
  });

  it('"-" writes to stdout', async () => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    await writeAll('-', DATA, stdout);
    assert.ok(Buffer.concat(chunks).equals(DATA));
    await assert.rejects(resolveOutput('-'), hasCode(ErrorCodes.InvalidParams), 'no stdout (the backend): refused');
  });

  it('/proc/self/fd/1 and /dev/stdout are this process\'s stdout: written through its stream, never replaced', async () => {
    const dir = tempDir('berth-out-');
    const link = join(dir, 'to-stdout');
    symlinkSync('/proc/self/fd/1', link);
    const stdout = new PassThrough();
    for (const named of ['/dev/stdout', '/proc/self/fd/1', link]) assert.equal((await resolveOutput(named, { stdout })).kind, 'stdout', named);
    assert.equal(readlinkSync(link), '/proc/self/fd/1', 'the link is untouched');
  });

  it('a symlink to a device or FIFO writes through it; the link stays', async () => {
    const dir = tempDir('berth-out-');
    const nul = charDevice(dir, 'null');
    const link = join(dir, 'to-null');
    symlinkSync(nul, link);
    await writeAll(link);
    assert.equal(readlinkSync(link), nul);
    assert.ok(isCharDevice(nul));
    const { path, received } = fifoWithReader(dir);
    const fifoLink = join(dir, 'to-fifo');
    symlinkSync(path, fifoLink);
    await writeAll(fifoLink);
    assert.ok((await received).equals(DATA));
    assert.ok(lstatSync(fifoLink).isSymbolicLink());
  });

  it('a symlink to a regular file replaces that file atomically; the link stays a link', async () => {
    const dir = tempDir('berth-out-');
    mkdirSync(join(dir, 'real'));
    const file = join(dir, 'real', 'target.bin');
    writeFileSync(file, 'old\n');
    const link = join(dir, 'link.bin');
    symlinkSync('real/target.bin', link);
    await writeAll(link);
    assert.equal(readlinkSync(link), 'real/target.bin');
    assert.ok(readFileSync(file).equals(DATA));
    assert.deepEqual(readdirSync(join(dir, 'real')), ['target.bin'], 'the temp file was beside the target');
  });

  it('refuses a folder, a dangling link, a link to a folder and a block device, with exit-5 errors, touching nothing', async () => {
    const dir = tempDir('berth-out-');
    mkdirSync(join(dir, 'folder'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    symlinkSync(join(dir, 'folder'), join(dir, 'to-folder'));
    await assert.rejects(resolveOutput(join(dir, 'folder')), hasCode(ErrorCodes.Rejected, /folder/));
    await assert.rejects(resolveOutput(join(dir, 'dangling')), hasCode(ErrorCodes.Rejected, /leads to nothing/));
    await assert.rejects(resolveOutput(join(dir, 'to-folder')), hasCode(ErrorCodes.Rejected, /folder/));
    const block = blockDevice(dir);
    if (block) {
      await assert.rejects(resolveOutput(block), hasCode(ErrorCodes.Rejected, /block device/));
      assert.ok(lstatSync(block).isBlockDevice());
    }
    assert.equal(readlinkSync(join(dir, 'dangling')), join(dir, 'nowhere'));
    await assert.rejects(resolveOutput(join(dir, 'no-such-folder', 'x')), hasCode(ErrorCodes.NotFound));
  });

  it('a target that turned into something else before the commit is not replaced', async () => {
    const dir = tempDir('berth-out-');
    const file = join(dir, 'out.bin');
    const target = await resolveOutput(file);
    const out = await openOutput(target);
    await out.write(DATA);
    mkdirSync(file);
    await assert.rejects(out.commit(), hasCode(ErrorCodes.Rejected, /no longer a regular file/));
    assert.ok(lstatSync(file).isDirectory());
    assert.deepEqual(readdirSync(dir), ['out.bin']);
  });
});
