import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { applyHunks, HunkMismatchError } from '../../server/src/workspace/applyHunks';
import { parseChangeList } from '../../server/src/workspace/changeList';
import { ExportOutputParser } from '../../server/src/workspace/exportOutput';
import { assignSections, sectionStarts } from '../../server/src/workspace/patchSections';
import { shellCommand, shellQuote } from '../fixtures/shell';
import { resolveRepoPath, validateBranchName, validateContainerPath, validateRevision } from '../../server/src/workspace/validate';

const HOSTILE = ['plain', '', ' ', "it's", '"double"', '$(touch /tmp/x)', '`id`', '-rf', '--output=x', 'a\nb', '\\', '*', '$HOME', '; rm -rf /', 'ünï'];

describe('shellQuote', () => {
  it('round-trips every hostile word through a real sh as one argument', () => {
    const script = `for a; do printf '%s\\0' "$a"; done`;
    const line = `set -- ${shellCommand(HOSTILE)}; ${script}`;
    const out = execFileSync('sh', ['-c', line], { encoding: 'utf8' });
    assert.deepEqual(out.split('\0').slice(0, -1), HOSTILE);
  });

  it('leaves safe words alone and refuses NUL', () => {
    assert.equal(shellQuote('refs/heads/main'), 'refs/heads/main');
    assert.equal(shellQuote('-x'), "'-x'");
    assert.throws(() => shellQuote('a\0b'));
  });
});

describe('validators', () => {
  it('repo paths: absolute, normalized, not the root; label over setting over default', () => {
    assert.equal(validateContainerPath('/work/'), '/work');
    for (const bad of ['relative', '/', '/a/../b', '/a/./b', '/a\nb', '//']) assert.throws(() => validateContainerPath(bad), /repo path/);
    assert.deepEqual(resolveRepoPath(undefined, {}, undefined), { path: '/workspace', source: 'default' });
    assert.deepEqual(resolveRepoPath(undefined, {}, '/from/setting'), { path: '/from/setting', source: 'setting' });
    assert.deepEqual(resolveRepoPath(undefined, { 'berth.workspace.path': '/lab' }, '/from/setting'), { path: '/lab', source: 'label' });
    assert.deepEqual(resolveRepoPath('/explicit', { 'berth.workspace.path': '/lab' }, '/s'), { path: '/explicit', source: 'param' });
  });

  it('revisions: option-like and control characters refused, shell metacharacters kept as data', () => {
    assert.throws(() => validateRevision('-rf', 'base'), /starts with "-"/);
    assert.throws(() => validateRevision('a\nb', 'base'));
    assert.equal(validateRevision("x'$(y)`z`", 'base'), "x'$(y)`z`");
    assert.throws(() => validateBranchName('a..b'));
    assert.throws(() => validateBranchName('a b'));
    assert.equal(validateBranchName('feat/$(x)'), 'feat/$(x)');
  });
});

describe('parseChangeList', () => {
  it('reads raw and numstat records with NUL-separated paths, binary by numstat', () => {
    const z = '0'.repeat(40);
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const list = Buffer.from(
      [`:100644 100644 ${a} ${b} M`, 'src/a file.txt', `:000000 100644 ${z} ${b} A`, 'bin.dat', `:100644 000000 ${a} ${z} D`, 'gone', '3\t1\tsrc/a file.txt', '-\t-\tbin.dat', '0\t2\tgone', ''].join('\0'),
    );
    assert.deepEqual(parseChangeList(list), [
      { path: 'src/a file.txt', status: 'modified', binary: false, oldMode: '100644', newMode: '100644', oldBlob: a, newBlob: b, additions: 3, deletions: 1 },
      { path: 'bin.dat', status: 'added', binary: true, oldMode: '000000', newMode: '100644', oldBlob: z, newBlob: b },
      { path: 'gone', status: 'deleted', binary: false, oldMode: '100644', newMode: '000000', oldBlob: a, newBlob: z, additions: 0, deletions: 2 },
    ]);
    assert.deepEqual(parseChangeList(Buffer.alloc(0)), []);
  });

  it('refuses records a hostile container could print: object IDs that are paths, bad modes, letters, counts', () => {
    const a = 'a'.repeat(40);
    const hostile = [
      [`:100644 100644 ../../../../etc/passwd ${a} M`, 'x'],
      [`:100644 100644 ${a} ${a}/../x M`, 'x'],
      [`:10064x 100644 ${a} ${a} M`, 'x'],
      [`:100644 100644 ${a} ${a} Q`, 'x'],
      [`:100644 100644 ${a} ${a} M`, ''],
      [`:100644 100644 ${a} ${a} M extra`, 'x'],
      [`:100644 100644 ${a} ${a} M`, 'x', '1e9\t0\tx'],
      [`:100644 100644 ${a} ${a} M`, 'x', '-\t3\tx'],
    ];
    for (const records of hostile) {
      assert.throws(() => parseChangeList(Buffer.from([...records, ''].join('\0'))), /unexpected/, records.join(' | '));
    }
  });
});

describe('ExportOutputParser', () => {
  const id = 'c'.repeat(40);
  const list = Buffer.from(`:000000 100644 ${'0'.repeat(40)} ${id} A\0x\0` + '1\t0\tx\0');
  const patch = Buffer.from('diff --git a/x b/x\nnew file mode 100644\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+x\n');
  const framed = Buffer.concat([Buffer.from(`BERTH-EXPORT 1\nbase ${id}\nsource import\nrecord container\nhead ${id}\nwarn record-missing ${id}\nlist ${list.length}\n`), list, Buffer.from('patch\n'), patch]);

  async function feed(chunks: Buffer[]) {
    const sink = new PassThrough();
    const got: Buffer[] = [];
    sink.on('data', (c: Buffer) => got.push(c));
    const parser = new ExportOutputParser(sink);
    for (const chunk of chunks) await new Promise<void>((r) => parser.write(chunk, () => r()));
    await new Promise<void>((r) => parser.end(r));
    return { parser, patch: Buffer.concat(got) };
  }

  it('parses the frame however it is split, and streams the patch bytes through', async () => {
    for (const size of [1, 3, 7, 64, framed.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < framed.length; i += size) chunks.push(framed.subarray(i, i + size));
      const { parser, patch: out } = await feed(chunks);
      assert.equal(parser.header?.base, id);
      assert.equal(parser.header?.source, 'import');
      assert.equal(parser.header?.record, 'container');
      assert.deepEqual(parser.header?.warnings, [`record-missing ${id}`]);
      assert.ok(parser.header?.list.equals(list));
      assert.ok(out.equals(patch), `chunk size ${size}`);
      assert.equal(parser.patchBytes, patch.length);
    }
  });

  it('reads the section of changed submodules however the frame is split', async () => {
    const dirty = Buffer.from(`:160000 160000 ${id} ${'0'.repeat(40)} M\0lib\0`);
    const withDirty = Buffer.concat([Buffer.from(`BERTH-EXPORT 1\nbase ${id}\nsource head\nrecord -\nhead ${id}\ndirty ${dirty.length}\n`), dirty, Buffer.from(`list ${list.length}\n`), list, Buffer.from('patch\n'), patch]);
    for (const size of [1, 5, 13, withDirty.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < withDirty.length; i += size) chunks.push(withDirty.subarray(i, i + size));
      const { parser, patch: out } = await feed(chunks);
      assert.ok(parser.header?.dirty.equals(dirty), `chunk size ${size}`);
      assert.ok(parser.header?.list.equals(list));
      assert.ok(out.equals(patch));
    }
    for (const bad of ['dirty 1e3', 'dirty -1', 'dirty 0x10', 'list 1e3']) {
      const { parser, patch: out } = await feed([Buffer.from(`BERTH-EXPORT 1\nbase ${id}\nsource head\n${bad}\n`)]);
      assert.equal(parser.header, undefined, bad);
      assert.equal(out.length, 0);
    }
  });

  it('remembers unexpected output (an engine error instead of the script) without throwing', async () => {
    const { parser, patch: out } = await feed([Buffer.from('OCI runtime exec failed: exec: "sh": executable file not found\n')]);
    assert.equal(parser.header, undefined);
    assert.match(parser.problem ?? '', /unexpected output/);
    assert.equal(out.length, 0);
  });
});

describe('applyHunks', () => {
  function gitDiff(oldText: string, newText: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'berth-hunks-'));
    writeFileSync(join(dir, 'a'), oldText);
    writeFileSync(join(dir, 'b'), newText);
    try {
      execFileSync('git', ['diff', '--no-index', '-U3', 'a', 'b'], { cwd: dir, encoding: 'utf8' });
      return '';
    } catch (error) {
      return (error as { stdout: string }).stdout;
    }
  }

  const cases: [string, string, string][] = [
    ['middle change', 'a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nb\nc\nD\ne\nf\ng\nh\n'],
    ['two hunks', Array.from({ length: 30 }, (_, i) => `l${i}\n`).join(''), Array.from({ length: 30 }, (_, i) => (i === 2 ? 'X\n' : i === 25 ? 'Y\nZ\n' : `l${i}\n`)).join('')],
    ['insert at top', 'a\nb\n', 'new\na\nb\n'],
    ['append', 'a\nb\n', 'a\nb\nc\n'],
    ['remove the newline at the end', 'a\nb\n', 'a\nb'],
    ['add the newline at the end', 'a\nb', 'a\nb\n'],
    ['to empty', 'a\n', ''],
    ['from empty', '', 'a\nb\n'],
    ['CRLF lines', 'a\r\nb\r\n', 'a\r\nB\r\n'],
  ];
  for (const [name, oldText, newText] of cases) {
    it(`rebuilds the new side: ${name}`, () => {
      assert.equal(applyHunks(oldText, gitDiff(oldText, newText)), newText);
    });
  }

  it('refuses a patch that does not fit the old text', () => {
    assert.throws(() => applyHunks('x\ny\nz\n', gitDiff('a\nb\nc\n', 'a\nB\nc\n')), HunkMismatchError);
  });
});

describe('patch sections', () => {
  it('finds every file header and pairs a type change with two sections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-sections-'));
    const text = 'diff --git a/a b/a\n@@ -1 +1 @@\n-x\n+diff --git looks like a header but is content\ndiff --git a/l b/l\ndeleted file\ndiff --git a/l b/l\nnew file\ndiff --git a/z b/z\nGIT binary patch\n';
    writeFileSync(join(dir, 'p'), text);
    const { starts, size } = await sectionStarts(join(dir, 'p'));
    assert.equal(starts.length, 4);
    assert.equal(size, Buffer.byteLength(text));
    const file = (path: string, status: 'modified' | 'typeChanged') => ({ path, status, binary: false, oldMode: '', newMode: '', oldBlob: '', newBlob: '' });
    const sections = assignSections([file('a', 'modified'), file('l', 'typeChanged'), file('z', 'modified')], starts, size);
    assert.equal(sections?.[1]?.length, 2);
    assert.equal(sections?.[2]?.[0]?.[1], size);
    assert.equal(assignSections([file('a', 'modified')], starts, size), null);
  });
});
