import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { extractTree, IncompleteExtractionError, UnsafeEntryError, UnsupportedNameError } from '../../server/src/archive/extractTree';

/** One ustar entry (header + padded body), built by hand so tests can make hostile archives. */
function entry(path: string | Buffer, type: '0' | '1' | '2' | '3' | '5' | '6', options: { body?: string; link?: string | Buffer; mode?: number } = {}): Buffer {
  const body = Buffer.from(options.body ?? '');
  const header = Buffer.alloc(512);
  Buffer.from(path).copy(header, 0, 0, 100);
  header.write(`${(options.mode ?? (type === '5' ? 0o755 : 0o644)).toString(8).padStart(7, '0')}\0`, 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write(type, 156);
  if (options.link) Buffer.from(options.link).copy(header, 157, 0, 100);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return Buffer.concat([header, padded]);
}

function archive(...entries: Buffer[]): Readable {
  return Readable.from([Buffer.concat([...entries, Buffer.alloc(1024)])]);
}

function target(): string {
  return join(mkdtempSync(join(tmpdir(), 'berth-extract-')), 'out');
}

describe('extractTree (a container\'s archive, untrusted)', () => {
  it('extracts files, folders, hard links and symbolic links verbatim (absolute targets kept), stripping the root', async () => {
    const dest = target();
    const result = await extractTree(
      archive(
        entry('./', '5'),
        entry('./src/', '5'),
        entry('./src/a.txt', '0', { body: 'hello', mode: 0o4755 }),
        entry('./src/twin.txt', '1', { link: './src/a.txt' }),
        entry('./abs-link', '2', { link: '/etc/passwd' }),
        entry('./rel-link', '2', { link: 'src/a.txt' }),
        entry('./fifo', '6'),
      ),
      dest,
      { strip: 1 },
    );
    assert.equal(readFileSync(join(dest, 'src/a.txt'), 'utf8'), 'hello');
    assert.equal(readFileSync(join(dest, 'src/twin.txt'), 'utf8'), 'hello');
    assert.equal(readlinkSync(join(dest, 'abs-link')), '/etc/passwd', 'absolute link targets are not rewritten');
    assert.equal(readlinkSync(join(dest, 'rel-link')), 'src/a.txt');
    assert.equal(lstatSync(join(dest, 'src/a.txt')).mode & 0o7777, 0o755, 'setuid dropped, executable kept');
    assert.equal(existsSync(join(dest, 'fifo')), false);
    assert.deepEqual(result.skipped, ['fifo']);
    assert.equal(result.files, 2);
    assert.equal(result.symlinks, 2);
  });

  const refused: [string, Buffer[]][] = [
    ['an absolute path', [entry('/etc/evil', '0', { body: 'x' })]],
    ['a .. path', [entry('./../evil', '0', { body: 'x' })]],
    ['a .. in the middle', [entry('./a/../../evil', '0', { body: 'x' })]],
    ['a hard link to outside', [entry('./l', '1', { link: '../../etc/passwd' })]],
    ['a hard link to something not extracted', [entry('./l', '1', { link: './nothing' })]],
    ['a symbolic link inside a symbolic link', [entry('./d', '2', { link: '/etc' }), entry('./d/x', '2', { link: 'y' })]],
  ];
  for (const [name, entries] of refused) {
    it(`refuses ${name} and writes nothing outside`, async () => {
      const dest = target();
      await assert.rejects(extractTree(archive(entry('./', '5'), ...entries), dest, { strip: 1 }), UnsafeEntryError);
      assert.deepEqual(readdirSync(join(dest, '..')).filter((n) => n !== 'out'), []);
      assert.equal(existsSync('/etc/evil'), false);
    });
  }

  it('a file written through a symbolic link is impossible: links are created after everything else', async () => {
    const dest = target();
    await extractTree(archive(entry('./', '5'), entry('./d', '2', { link: '/tmp' }), entry('./e/', '5'), entry('./e/f', '0', { body: 'in e' })), dest, { strip: 1 });
    assert.equal(readlinkSync(join(dest, 'd')), '/tmp');
    assert.equal(readFileSync(join(dest, 'e/f'), 'utf8'), 'in e');
  });

  it('refuses an entry that tries to go through a link made by the same archive', async () => {
    const dest = target();
    // The link comes first in the archive; the file "through" it must not land in /tmp.
    const marker = `berth-through-${process.pid}`;
    await assert.rejects(extractTree(archive(entry('./', '5'), entry('./d', '2', { link: '/tmp' }), entry(`./d/${marker}`, '0', { body: 'x' })), dest, { strip: 1 }), UnsafeEntryError);
    assert.equal(existsSync(join('/tmp', marker)), false);
  });
});

describe('extractTree names', () => {
  it('writes names and link targets as their exact bytes: a newline, a backslash, UTF-8', async () => {
    const dest = target();
    await extractTree(
      archive(entry('./', '5'), entry('./new\nline', '0', { body: 'n' }), entry('./back\\slash', '0', { body: 'b' }), entry('./caf\u00e9', '0', { body: 'u' }), entry('./l', '2', { link: 'a\nb' })),
      dest,
      { strip: 1 },
    );
    assert.deepEqual(readdirSync(dest).sort(), ['back\\slash', 'caf\u00e9', 'l', 'new\nline']);
    assert.equal(readlinkSync(join(dest, 'l')), 'a\nb');
  });

  for (const [what, bad] of [
    ['a file name', entry(Buffer.from('./caf\xe9.txt', 'latin1'), '0', { body: 'x' })],
    ['a link target', entry('./l', '2', { link: Buffer.from('caf\xe9', 'latin1') })],
  ] as const) {
    it(`refuses ${what} that is not UTF-8, instead of writing another name (the patch would show another file)`, async () => {
      const dest = target();
      await assert.rejects(extractTree(archive(entry('./', '5'), bad), dest, { strip: 1 }), (e: unknown) => e instanceof UnsupportedNameError && /not UTF-8/.test(e.message) && /caf\\xe9/.test(e.message));
    });
  }

  it('refuses a name the archive holds twice (a second entry would replace the first)', async () => {
    const dest = target();
    await assert.rejects(extractTree(archive(entry('./', '5'), entry('./a', '0', { body: 'one' }), entry('./a', '0', { body: 'two' })), dest, { strip: 1 }), UnsafeEntryError);
  });
});

describe('extractTree integrity', () => {
  it('refuses an archive cut off at an entry boundary (no end marker)', async () => {
    const dest = target();
    const cut = Readable.from([Buffer.concat([entry('./', '5'), entry('./a.txt', '0', { body: 'complete entry' })])]);
    await assert.rejects(extractTree(cut, dest, { strip: 1 }), (e: unknown) => e instanceof IncompleteExtractionError && /end-of-archive marker/.test(e.message));
  });
});
